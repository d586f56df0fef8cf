"""Tasks: a failing hook leaves the task to its lease; the redelivered
attempt is acked when the hook succeeds."""
import json

from agentlib import CHANNEL, lines, write_hook


def test_task_is_redelivered_after_a_failing_hook(server, r, agents, tmp_path):
    out = str(tmp_path / "tasks.log")
    hook = write_hook(str(tmp_path / "task.sh"),
                      'echo "$SUMA_TASK_ID $SUMA_TASK_ATTEMPT $(cat)" >> %s\n'
                      '[ "$SUMA_TASK_ATTEMPT" -ge 2 ]' % out)
    a = agents(server, args=["--on-task", hook])
    a.wait("connected", lambda: a.status().get("connected"))
    tid = r.execute_command("sumavlib.suma_ci_task", CHANNEL, "PUSH", json.dumps({"job": "build"}))

    a.wait("second attempt", lambda: len(lines(out)) >= 2)
    assert lines(out)[:2] == ['%d 1 {"job": "build"}' % tid, '%d 2 {"job": "build"}' % tid]
    a.wait("acked", lambda: r.execute_command("sumavlib.suma_ci_task", CHANNEL, "STATS")
           == ["queued", 0, "claimed", 0])
    assert len(lines(out)) == 2
