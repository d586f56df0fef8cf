#!/usr/bin/env bash
# bench_smoke: starts a redis-server with sumavlib on a free loopback port,
# runs suma-loadgen for one second of keep_alive (and of PING in probe mode),
# and checks that it reports more than 0 operations and no errors.
# usage: smoke.sh <suma-loadgen> <sumavlib.so>
set -euo pipefail
LOADGEN=$(realpath "$1") MODULE=$(realpath "$2")
REDIS_SERVER=$(command -v redis-server || echo /usr/bin/redis-server)
DIR=$(mktemp -d /tmp/suma-bench-smoke.XXXXXX)
PID=""
cleanup() {
  local rc=$?
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
  exit "$rc"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$REDIS_SERVER" --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save "" --appendonly no \
  --logfile "$DIR/redis.log" --loadmodule "$MODULE" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 200); do
  redis-cli -p "$PORT" PING 2>/dev/null | grep -q PONG && break
  kill -0 "$PID" 2>/dev/null || { echo "redis-server exited:"; cat "$DIR/redis.log"; exit 1; }
  sleep 0.05
done
check() {  # check <json>: ops > 0 and errors == 0
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r); sys.exit(0 if r["ops"]>0 and r["errors"]==0 else 1)' "$1"
}
out=$("$LOADGEN" --port "$PORT" --clients 8 --pipeline 4 --duration 1 --hosts 1000 --groups 10 \
  --cmd 'sumavlib.suma_keep_alive bench.g{group}_master {host}' --label smoke --fail-on-error)
check "$out"
out=$("$LOADGEN" --port "$PORT" --requests 2000 --clients 4 --hosts 1000 --groups 10 \
  --cmd 'sumavlib.suma_vip_list bench.g{group}_master' --label smoke-list --fail-on-error)
check "$out"
out=$("$LOADGEN" --mode probe --port "$PORT" --duration 0.3)
check "$out"
echo "bench_smoke: ok"
