#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, and run redis-server with
# sumavlib in the foreground on localhost. Extra arguments are module options,
# e.g. scripts/run.sh host-ttl-ms 5000. PORT (default 6380) picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh sumavlib
PORT="${PORT:-6380}"
DATA="${DATA:-$PWD/build/data}"
mkdir -p "$DATA"
echo "run: redis-server with sumavlib on 127.0.0.1:$PORT (data in $DATA); try:"
echo "  redis-cli -p $PORT sumavlib.suma_try_leader agent.zy_test_master 10.0.0.7:9001"
exec redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DATA" \
  --appendonly yes --appendfsync everysec \
  --loadmodule "$PWD/build/sumavlib.so" "$@"
