#!/usr/bin/env bash
# Instructions per request, whole server (callgrind), for two builds of the
# module side by side: the cost of a change on the heartbeat hot path.
#   bench/hotpath_instructions.sh NEW.so [BASE.so] [N]
# Each figure is (instructions of N requests - instructions of N PINGs) / N,
# measured in the same run, so it is the work of the command itself.
set -euo pipefail
NEW=$1; BASE=${2:-}; N=${3:-20000}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
measure() {  # so label args...
  local so=$1 label=$2; shift 2
  local port out; port=$(free_port); out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" redis-server --port "$port" --save '' \
    --appendonly no --loadmodule "$so" >/dev/null 2>&1 &
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-cli -p "$port" sumavlib.suma_keep_alive agent.zy_b_master h1 >/dev/null
  redis-cli -p "$port" sumavlib.suma_try_leader agent.zy_c_master L >/dev/null
  redis-benchmark -p "$port" -n "$N" -c 1 -P 16 -q "$@" >/dev/null 2>&1
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
  rm -f "$out"
}
report() {  # so name
  local so=$1 name=$2 idle ka lead set
  idle=$(measure "$so" idle ping)
  ka=$(measure "$so" ka sumavlib.suma_keep_alive agent.zy_b_master h1)
  lead=$(measure "$so" lead sumavlib.suma_keep_alive agent.zy_c_master L)
  set=$(measure "$so" set set k v)
  printf '%s: keep_alive (follower) %d, keep_alive (leader) %d, SET %d instructions per request\n' \
    "$name" $(((ka - idle) / N)) $(((lead - idle) / N)) $(((set - idle) / N))
}
[ -n "$BASE" ] && report "$BASE" base
report "$NEW" new
