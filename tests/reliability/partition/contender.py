"""One contending host of the partition suite; runs inside its own network
namespace (ip netns exec) and writes its tenures as JSON.

Election loop: every lease/4, MULTI { suma_try_leader <mk> <vip> <lease>;
suma_leader_info <mk> } so the epoch is read atomically with the grant. After
each successful call the leader acts: suma_diamond_publish <ch> owner
"<vip>:<epoch>:<n>" IFEPOCH <epoch> (a FENCED reply ends its tenure). After
stepping down at its deadline it sends one more such write with its old epoch
(a "zombie" leader acting late), retried until the server answers, which must
be FENCED unless the epoch still holds on the server.

Client-side lease rule: the host considers itself leader only until
(monotonic time at which it SENT its last successful renewal) + lease. The
server started that lease when the request arrived, after the send, so the
host's belief always ends no later than the server's lease; a new leader can
only be granted after that. Times are CLOCK_MONOTONIC, shared by all network
namespaces of the machine, so the checker can compare hosts.

Tenure record: epoch, start (reply of the winning call received), first_sent,
last_sent (send time of the last successful renewal), end (belief end:
min(last_sent + lease, moment it learned otherwise)), learned (when the loop
noticed), how (deadline | lost | fenced | new-epoch | run-end), renewals.
"""
import argparse
import json
import time

import redis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mk", required=True)
    ap.add_argument("--ch", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--lease-ms", type=int, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lease = a.lease_ms / 1000.0
    period = lease / 4
    r = redis.Redis(host=a.host, port=a.port, decode_responses=True,
                    socket_timeout=period * 0.8, socket_connect_timeout=period * 0.8)
    tenures, cur = [], None
    stats = {"calls": 0, "errors": 0, "won": 0, "lost": 0, "writes": 0, "writes_ok": 0,
             "fenced": 0, "zombie_ok": 0, "zombie_fenced": 0}
    t_end = time.monotonic() + a.duration

    def close(end, learned, how):
        nonlocal cur
        cur.update(end=end, learned=learned, how=how)
        tenures.append(cur)
        cur = None

    zombie = None  # old epoch of a write still to deliver

    def zombie_write():
        """A deposed leader acting late (a pause, a lost timer): one write with
        its old epoch, retried until the server answers. The server must refuse
        it (FENCED) unless that epoch still holds there (a one-way cut lets
        renewals in but no replies out)."""
        nonlocal zombie
        try:
            r.execute_command("sumavlib.suma_diamond_publish", a.ch, "owner",
                              "%s:%d:zombie" % (a.vip, zombie), "IFEPOCH", zombie)
            stats["zombie_ok"] += 1
        except redis.ResponseError as e:
            if not str(e).startswith("FENCED"):
                raise
            stats["zombie_fenced"] += 1
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            stats["errors"] += 1
            return
        zombie = None

    while True:
        now = time.monotonic()
        if cur and now >= cur["last_sent"] + lease:
            zombie = cur["epoch"]
            close(cur["last_sent"] + lease, now, "deadline")
        if zombie is not None:
            zombie_write()
        if now >= t_end:
            break
        t_sent = time.monotonic()
        try:
            p = r.pipeline(transaction=True)
            p.execute_command("sumavlib.suma_try_leader", a.mk, a.vip, a.lease_ms)
            p.execute_command("sumavlib.suma_leader_info", a.mk)
            won, info = p.execute()
            t_recv = time.monotonic()
            stats["calls"] += 1
            info = dict(zip(info[0::2], info[1::2]))
            if won == 1 and info["vip"] == a.vip:
                stats["won"] += 1
                ep = info["epoch"]
                if cur and cur["epoch"] != ep:
                    close(min(cur["last_sent"] + lease, t_recv), t_recv, "new-epoch")
                if cur is None:
                    cur = {"host": a.vip, "epoch": ep, "start": t_recv, "first_sent": t_sent,
                           "last_sent": t_sent, "renewals": 0}
                else:
                    cur["last_sent"] = t_sent
                    cur["renewals"] += 1
                # Act as leader: a fenced write to the group's config.
                stats["writes"] += 1
                try:
                    r.execute_command("sumavlib.suma_diamond_publish", a.ch, "owner",
                                      "%s:%d:%d" % (a.vip, ep, stats["writes"]), "IFEPOCH", ep)
                    stats["writes_ok"] += 1
                except redis.ResponseError as e:
                    if not str(e).startswith("FENCED"):
                        raise
                    stats["fenced"] += 1
                    now = time.monotonic()
                    close(min(cur["last_sent"] + lease, now), now, "fenced")
            else:
                stats["lost"] += 1
                if cur:
                    close(min(cur["last_sent"] + lease, t_recv), t_recv, "lost")
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            stats["errors"] += 1  # nothing learned: the deadline decides
        now = time.monotonic()
        nap = period - (now - t_sent)
        if cur:
            nap = min(nap, cur["last_sent"] + lease - now)
        if nap > 0:
            time.sleep(nap)
    if cur:
        now = time.monotonic()
        close(min(cur["last_sent"] + lease, now), now, "run-end")
    with open(a.out, "w") as f:
        json.dump({"vip": a.vip, "lease_ms": a.lease_ms, "tenures": tenures, "stats": stats}, f)


if __name__ == "__main__":
    main()
