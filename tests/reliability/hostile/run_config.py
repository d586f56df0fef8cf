"""Settings and group names shared by the hostile run's modules."""

PHASES = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
          "volatile-ttl"]
MAXMEMORY_HEADROOM = 512 << 10  # bytes above the memory in use when a phase starts
RAW_RATE = 0.15  # share of ordinary Redis commands on internal keys
FILL_RATE = 0.03  # share of filler SETs
# Groups the random commands never name; each carries one silent host at a time.
UNTOUCHED_GROUPS = ["agent.zz_untouched", "agent.zz_untouched2", "{agent.zz_untouched3}"]
UNTOUCHED = UNTOUCHED_GROUPS[0]
SLACK_MS = 1500  # the sweep's lateness allowed beyond host-ttl-ms (ASan build, 2 shared cores)

# Module options for the run: short times so hosts expire, leases lapse and
# claims requeue during the run; small limits so FULL and oversize are hit.
MODULE_ARGS = {"host-ttl-ms": 300, "lease-ms": 200, "max-hosts": 40, "event-log-len": 50,
               "max-payload": 2048, "max-tasks": 60, "task-lease-ms": 200, "history-len": 4,
               "sweep-budget-us": 200}
MAX_PAYLOAD = MODULE_ARGS["max-payload"]
TENANT = "agent.zy test"  # what CONFIG SET sumavlib.tenant locks to, now and then

GOOD_GROUPS = ["agent.zy_test", "agent.zy_prod", "{agent.zy_test}", "agent.yy_a-b.c",
               "x_" + "g" * 126]
HOSTILE_GROUPS = ["h.x_wt1", "{h.x_wt2}", "h.x_wt3"]  # mangled: ordinary commands write here
GROUPS = GOOD_GROUPS + HOSTILE_GROUPS
BAD_GROUPS = ["", "_master", "master", "{}", "{}_channel", "{a", "a}", "a{b}", "{{a}}", "a:b",
              "a b", "x_" + "g" * 127, "\xff\xfe", "a\r\nb", "a\x00b", "\u00e9t\u00e9_x",
              "*", "agent.zy_*"]
SUFFIXES = ["", "_master", "_channel", ".master", ":channel", "-master", "master", "channel"]
