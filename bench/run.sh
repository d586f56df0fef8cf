#!/usr/bin/env bash
# Benchmarks of sumavlib against plain Redis and etcd (issue 3), one command:
#
#   bench/run.sh                      # full run, ~10-15 min on 2 cores
#   SUMA_BENCH_QUICK=1 bench/run.sh   # small sizes, ~3 min: a sanity run
#
# Installs what it needs (Debian packages), builds the module and suma-loadgen
# into build-bench/, starts on 127.0.0.1 only: redis-server with sumavlib,
# a plain redis-server (same binary) as the baseline and etcd (Debian
# etcd-server, defaults, data in a temp dir), runs measurements 1-7 of
# docs/benchmarks.md, stops everything and writes docs/benchmarks.md and
# docs/img/benchmarks.png. Raw results stay in build-bench/bench-results/.
# Environment: SUMA_BENCH_QUICK=1, SUMA_BENCH_OUT=<dir> (default docs/),
# SUMA_BENCH_NO_INSTALL=1 (skip apt-get), SUMA_BENCH_SKIP="4 7" (skip parts).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=${SUMA_BENCH_QUICK:-0}
OUT=${SUMA_BENCH_OUT:-$ROOT/docs}
SKIP=" ${SUMA_BENCH_SKIP:-} "
BUILD=$ROOT/build-bench
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

# Shell-quotes arguments for the record of exact commands (docs/benchmarks.md).
quote_args() {
  local a out=()
  for a in "$@"; do
    if [[ -z "$a" || "$a" =~ [^A-Za-z0-9_./:=@%+,-] ]]; then out+=("'${a//\'/\'\\\'\'}'"); else out+=("$a"); fi
  done
  echo "${out[*]}"
}
record_cmd() { quote_args "$@" | sed "s#$WORK#\$TMP#g; s#$ROOT/##g" >>"$CMDS"; }
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
skip() { [[ "$SKIP" == *" $1 "* ]]; }

# ------------------------------------------------------------------ install
PKGS=(build-essential cmake pkg-config rapidjson-dev libgtest-dev libgmock-dev libhiredis-dev
      libevent-dev redis-server redis-tools etcd-server etcd-client wrk gnuplot-nox valgrind
      python3 curl util-linux procps)
if [ "${SUMA_BENCH_NO_INSTALL:-0}" != 1 ]; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# -------------------------------------------------------------------- build
log "building into $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2 --target sumavlib suma-loadgen >"$BUILD/bench-build.log" 2>&1 || { cat "$BUILD/bench-build.log"; exit 1; }
MOD=$BUILD/sumavlib.so
LG=$BUILD/bench/suma-loadgen
REDIS=$(command -v redis-server || echo /usr/bin/redis-server)

# -------------------------------------------------------------------- sizes
if [ "$QUICK" = 1 ]; then
  DUR=1.5; ROUNDS=1; SCALE_HOSTS=100000; SUBS=200; PUSH_MSGS=30; WRK_DUR=4
  CG_REQ=5000; START_REPEAT=3; START_REPEAT_BIG=1
else
  DUR=5; ROUNDS=3; SCALE_HOSTS=1000000; SUBS=1000; PUSH_MSGS=100; WRK_DUR=10
  CG_REQ=20000; START_REPEAT=10; START_REPEAT_BIG=3
fi
CLIENTS=50; HOSTS=10000; NGROUPS=100

# ---------------------------------------------------------- work dir, trap
WORK=$(mktemp -d /tmp/suma-bench.XXXXXX)
RES=$BUILD/bench-results
rm -rf "$RES"; mkdir -p "$RES"
RESULTS=$RES/results.jsonl
CMDS=$RES/commands.txt
: >"$RESULTS"; : >"$CMDS"
PIDS=()
LG_PID=""
cleanup() {
  local rc=$?
  if [ -n "$LG_PID" ]; then kill "$LG_PID" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rc() { local port=$1; shift; redis-cli -p "$port" "$@"; }
info_field() { rc "$1" INFO "$2" | tr -d '\r' | sed -n "s/^$3://p"; }
wait_ping() {  # wait_ping <port> <seconds>
  local until=$((SECONDS + ${2:-20}))
  while ((SECONDS < until)); do
    [ "$(rc "$1" PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  log "no PONG on port $1"; return 1
}
start_redis() {  # start_redis <name> <port> [--module args...|--plain]; sets LAST_PID
  local name=$1 port=$2; shift 2
  local dir=$WORK/$name; mkdir -p "$dir"
  local args=(--port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no
              --appendfsync everysec --logfile "$dir/redis.log")
  if [ "${1:-}" = --module ]; then shift; args+=(--loadmodule "$MOD" "$@"); fi
  "$REDIS" "${args[@]}" >/dev/null 2>&1 &
  LAST_PID=$!; PIDS+=("$LAST_PID")
  record_cmd "$REDIS" "${args[@]}"
  wait_ping "$port" 20
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# lg <key> <aof> <loadgen args...>: runs suma-loadgen, stores its JSON line.
lg() {
  local key=$1 aof=$2; shift 2
  record_cmd suma-loadgen "$@"
  local out
  # In the background + wait, so INT/TERM reach the trap at once.
  "$LG" --label "$key" "$@" >"$WORK/lg.out" &
  LG_PID=$!
  wait "$LG_PID"
  LG_PID=""
  out=$(cat "$WORK/lg.out")
  echo "{\"key\":\"$key\",\"aof\":\"$aof\",${out#\{}" >>"$RESULTS"
  log "$key: $(echo "$out" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("%(ops_per_sec).0f ops/s p50 %(p50_us).0f us p99 %(p99_us).0f us errors %(errors)d" % r)')"
}
record() {  # record <key> <json fields without braces>
  echo "{\"key\":\"$1\",$2}" >>"$RESULTS"; log "$1: $2"
}
set_aof() {  # set_aof <port> no|everysec|always: waits for the initial rewrite
  local port=$1 mode=$2
  if [ "$mode" = no ]; then rc "$port" CONFIG SET appendonly no >/dev/null; return; fi
  rc "$port" CONFIG SET appendfsync "$mode" >/dev/null
  rc "$port" CONFIG SET appendonly yes >/dev/null
  for _ in $(seq 600); do
    [ "$(info_field "$port" persistence aof_rewrite_in_progress)" = 0 ] &&
      [ "$(info_field "$port" persistence aof_rewrite_scheduled)" = 0 ] && break
    sleep 0.1
  done
}

KA='sumavlib.suma_keep_alive bench.g{group}_master {host}'
SETCMD='SET bench.g{group}:{host} {ms}'
log "work dir $WORK; quick=$QUICK"

# ------------------------------------------------------------ machine facts
{
  echo "date_utc=$(date -u '+%Y-%m-%d %H:%M')"
  echo "quick=$QUICK"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "cpus=$(nproc)"
  echo "mem=$(free -g | awk '/^Mem:/{print $2" GiB total, "$7" GiB available"}')"
  echo "kernel=$(uname -r)"
  echo "os=$(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "redis=$("$REDIS" --version | sed 's/ sha=.*malloc=/ malloc=/; s/ bits=.*//')"
  echo "etcd=$(etcd --version 2>/dev/null | head -1)"
  echo "wrk=$(dpkg-query -W -f='${Version}' wrk 2>/dev/null)"
  echo "valgrind=$(valgrind --version 2>/dev/null)"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "git=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet -- src 2>/dev/null || echo '+dirty src')"
} >"$RES/machine.txt"

# ------------------------------------------------------------------ servers
P_MOD=$(free_port); P_PLAIN=$(free_port)
start_redis mod "$P_MOD" --module host-ttl-ms 3600000
PID_MOD=$LAST_PID
start_redis plain "$P_PLAIN"
PID_PLAIN=$LAST_PID

# Every host heartbeats once first, so the timed runs measure steady-state
# heartbeats (no "online" event), and SET overwrites existing keys.
lg fill.keepalive no --port "$P_MOD" --clients "$CLIENTS" --pipeline 16 --requests "$HOSTS" \
  --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$KA"
lg fill.set no --port "$P_PLAIN" --clients "$CLIENTS" --pipeline 16 --requests "$HOSTS" \
  --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$SETCMD"

# ---------------------------------------- 1. heartbeat throughput vs SET
if ! skip 1; then
  log "1. keep_alive vs SET, $CLIENTS clients, $HOSTS hosts in $NGROUPS groups"
  for r in $(seq "$ROUNDS"); do
    for pl in 1 16; do
      lg "m1.set.p$pl" no --port "$P_PLAIN" --clients "$CLIENTS" --pipeline "$pl" --duration "$DUR" \
        --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$SETCMD"
      lg "m1.keepalive.p$pl" no --port "$P_MOD" --clients "$CLIENTS" --pipeline "$pl" --duration "$DUR" \
        --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$KA"
    done
  done
  # Cross-check of suma-loadgen against redis-benchmark, same server, same clients.
  RB_N=$([ "$QUICK" = 1 ] && echo 40000 || echo 150000)
  rb=(redis-benchmark -h 127.0.0.1 -p "$P_PLAIN" -c "$CLIENTS" -n "$RB_N" -r "$HOSTS" -t set --csv)
  record_cmd "${rb[@]}"
  out=$("${rb[@]}" 2>/dev/null | tail -1 | tr -d '"')
  IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$out"
  record m1.redis-benchmark.set "\"ops_per_sec\":${rps:-0},\"p50_us\":$(awk "BEGIN{print ${p50:-0}*1000}"),\"p99_us\":$(awk "BEGIN{print ${p99:-0}*1000}")"
  # The same, unpipelined, with the AOF on both servers.
  for mode in everysec always; do
    set_aof "$P_MOD" "$mode"; set_aof "$P_PLAIN" "$mode"
    for r in $(seq "$ROUNDS"); do
      lg "m1.set.aof-$mode" "$mode" --port "$P_PLAIN" --clients "$CLIENTS" --duration "$DUR" \
        --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$SETCMD"
      lg "m1.keepalive.aof-$mode" "$mode" --port "$P_MOD" --clients "$CLIENTS" --duration "$DUR" \
        --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$KA"
    done
  done
  set_aof "$P_MOD" no; set_aof "$P_PLAIN" no
fi

# ------------------------------------------------------------ 2. vs etcd
if ! skip 2; then
  log "2. etcd lease keep-alive and put-with-lease through the gRPC gateway"
  P_ETCD=$(free_port); P_PEER=$(free_port)
  ETCD_URL=http://127.0.0.1:$P_ETCD
  ETCD_ARGS=(--name bench --data-dir "$WORK/etcd" --listen-client-urls "$ETCD_URL"
             --advertise-client-urls "$ETCD_URL" --listen-peer-urls "http://127.0.0.1:$P_PEER"
             --initial-advertise-peer-urls "http://127.0.0.1:$P_PEER"
             --initial-cluster "bench=http://127.0.0.1:$P_PEER")
  etcd "${ETCD_ARGS[@]}" >"$RES/etcd.log" 2>&1 &
  PID_ETCD=$!; PIDS+=("$PID_ETCD")
  record_cmd etcd "${ETCD_ARGS[@]}"
  for _ in $(seq 200); do curl -sf "$ETCD_URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
  # One lease per host, with the id chosen by us (LEASE_BASE + host index).
  LEASE_BASE=1000000
  "$PY" - "$P_ETCD" "$HOSTS" "$LEASE_BASE" <<'EOF'
import http.client, json, sys, threading
port, hosts, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def grant(part):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(part, hosts, 8):
        c.request("POST", "/v3/lease/grant", json.dumps({"ID": base + i, "TTL": 3600}))
        c.getresponse().read()
ts = [threading.Thread(target=grant, args=(p,)) for p in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
EOF
  echo "(grant $HOSTS leases: POST /v3/lease/grant {\"ID\": $LEASE_BASE+i, \"TTL\": 3600})" >>"$CMDS"
  for mode in keepalive put; do
    cmd=(wrk -t2 -c"$CLIENTS" -d"${WRK_DUR}s" --latency -s "$ROOT/bench/etcd.lua"
         "$ETCD_URL" -- "$mode" "$HOSTS" "$NGROUPS" "$LEASE_BASE")
    record_cmd "${cmd[@]}"
    out=$("${cmd[@]}" | grep '^{"mode":"wrk"')
    echo "{\"key\":\"m2.etcd.$mode\",\"aof\":\"etcd fsync\",\"clients\":$CLIENTS,\"pipeline\":1,${out#\{}" >>"$RESULTS"
    log "m2.etcd.$mode: $out"
  done
  stop_pid "$PID_ETCD"
fi

# ------------------------------------------- 3. other commands, latency
if ! skip 3; then
  log "3. try_leader, vip_list, diamond_publish, message_publish, vip_kill"
  lg fill.big no --port "$P_MOD" --clients "$CLIENTS" --pipeline 16 --requests "$HOSTS" \
    --hosts "$HOSTS" --groups 1 --cmd 'sumavlib.suma_keep_alive bench.big_master {host}'
  lg fill.big.zset no --port "$P_PLAIN" --clients "$CLIENTS" --pipeline 16 --requests "$HOSTS" \
    --hosts "$HOSTS" --groups "$NGROUPS" --cmd 'ZADD bench.g{group}:hosts {ms} {host}'
  lg fill.big.zset2 no --port "$P_PLAIN" --clients "$CLIENTS" --pipeline 16 --requests "$HOSTS" \
    --hosts "$HOSTS" --groups 1 --cmd 'ZADD bench.big:hosts {ms} {host}'
  common=(--clients "$CLIENTS" --duration "$DUR" --hosts "$HOSTS" --groups "$NGROUPS")
  lg m3.set no --port "$P_PLAIN" "${common[@]}" --cmd "$SETCMD"
  lg m3.try_leader no --port "$P_MOD" "${common[@]}" \
    --cmd 'sumavlib.suma_try_leader bench.g{group}_master {host}'
  lg m3.zrange100 no --port "$P_PLAIN" "${common[@]}" --cmd 'ZREVRANGEBYSCORE bench.g{group}:hosts +inf 0'
  lg m3.vip_list100 no --port "$P_MOD" "${common[@]}" --cmd 'sumavlib.suma_vip_list bench.g{group}_master'
  lg m3.zrange10k no --port "$P_PLAIN" "${common[@]}" --cmd 'ZREVRANGEBYSCORE bench.big:hosts +inf 0'
  lg m3.vip_list10k no --port "$P_MOD" "${common[@]}" --cmd 'sumavlib.suma_vip_list bench.big_master'
  lg m3.diamond_publish no --port "$P_MOD" "${common[@]}" \
    --cmd 'sumavlib.suma_diamond_publish bench.g{group}_channel cfg.{hidx} v{seq}'
  lg m3.message_publish no --port "$P_MOD" "${common[@]}" \
    --cmd 'sumavlib.suma_message_publish bench.g{group}_channel {"op":"reload"}'
  # vips never drained before (k<i>.bench:9001, i < 16M), so every kill changes state.
  lg m3.vip_kill no --port "$P_MOD" --clients "$CLIENTS" --duration "$DUR" --hosts 16000000 \
    --groups "$NGROUPS" --cmd 'sumavlib.suma_vip_kill bench.g{group}_channel k{hidx}.bench:9001'
fi

# ----------------------------------------------- 5. push latency, 1000 subs
if ! skip 5; then
  log "5. diamond_publish -> $SUBS subscribers"
  lg m5.publish no --mode pubsub --port "$P_PLAIN" --subscribers "$SUBS" --messages "$PUSH_MSGS" \
    --interval-ms 20 --channel bench.push_channel --cmd 'PUBLISH bench.push_channel {ts}'
  lg m5.diamond_publish no --mode pubsub --port "$P_MOD" --subscribers "$SUBS" --messages "$PUSH_MSGS" \
    --interval-ms 20 --channel bench.push_channel \
    --cmd 'sumavlib.suma_diamond_publish bench.push_channel cfg {ts}'
fi
stop_pid "$PID_MOD"; stop_pid "$PID_PLAIN"

# ------------------------------------ 4. scale: memory, mass expiry; 6. data
P_X=$(free_port); P_PLAIN=$(free_port)
# Hosts left in the 100 groups (members with a finite score: a host set may keep
# a -inf marker member so it stays skiplist-encoded).
hosts_left="EVAL|local n = 0 for i = 0, $((NGROUPS - 1)) do n = n + redis.call(\"ZCOUNT\", \"bench.g\" .. i .. \":hosts\", \"(-inf\", \"+inf\") end return n|0"
if ! skip 4 || ! skip 6; then
  log "4. $SCALE_HOSTS hosts: memory against a plain sorted set"
  # host-ttl-ms 100 at start makes the start-up grace 100 ms; then 1 h while filling.
  start_redis scale "$P_X" --module host-ttl-ms 100
  PID_X=$LAST_PID
  rc "$P_X" CONFIG SET sumavlib.host-ttl-ms 3600000 >/dev/null
  echo "redis-cli CONFIG SET sumavlib.host-ttl-ms 3600000" >>"$CMDS"
  start_redis plain2 "$P_PLAIN"
  PID_PLAIN=$LAST_PID
  m0=$(info_field "$P_X" memory used_memory); p0=$(info_field "$P_PLAIN" memory used_memory)
  lg m4.fill.keepalive no --port "$P_X" --clients "$CLIENTS" --pipeline 16 --requests "$SCALE_HOSTS" \
    --hosts "$SCALE_HOSTS" --groups "$NGROUPS" --cmd "$KA"
  lg m4.fill.zadd no --port "$P_PLAIN" --clients "$CLIENTS" --pipeline 16 --requests "$SCALE_HOSTS" \
    --hosts "$SCALE_HOSTS" --groups "$NGROUPS" --cmd 'ZADD bench.g{group}:hosts {ms} {host}'
  m1=$(info_field "$P_X" memory used_memory); p1=$(info_field "$P_PLAIN" memory used_memory)
  zsum() {  # bytes of the 100 hosts sorted sets
    local port=$1 s=0 g v
    for g in $(seq 0 $((NGROUPS - 1))); do
      v=$(rc "$port" MEMORY USAGE "bench.g$g:hosts" SAMPLES 0); s=$((s + ${v:-0}))
    done
    echo "$s"
  }
  mz=$(zsum "$P_X"); pz=$(zsum "$P_PLAIN")
  live=$(rc "$P_X" sumavlib.suma_vip_list bench.g0_master | wc -l)
  record m4.memory "\"hosts\":$SCALE_HOSTS,\"mod_used_delta\":$((m1 - m0)),\"plain_used_delta\":$((p1 - p0)),\"mod_zsets\":$mz,\"plain_zsets\":$pz,\"live_g0\":$live"
  echo "redis-cli INFO memory (used_memory before/after); MEMORY USAGE bench.g<N>:hosts SAMPLES 0" >>"$CMDS"

  # Data files with every host for the start-up measurement (6).
  rc "$P_X" SAVE >/dev/null
  mkdir -p "$WORK/start-rdb" "$WORK/start-aof"
  cp "$WORK/scale/dump.rdb" "$WORK/start-rdb/"
  set_aof "$P_X" everysec
  cp -r "$WORK/scale/appendonlydir" "$WORK/start-aof/"
  set_aof "$P_X" no
  echo "redis-cli SAVE; redis-cli CONFIG SET appendonly yes (rewrite), copies of dump.rdb and appendonlydir" >>"$CMDS"

  if ! skip 4; then
    log "4. $SCALE_HOSTS hosts expiring at once (probe PINGs every ms)"
    lg m4.expiry no --mode probe --port "$P_X" --pre-ms 1000 --poll-ms 50 --max-seconds 900 \
      --trigger 'CONFIG SET sumavlib.host-ttl-ms 100' --until-zero "$hosts_left" --control-port "$P_PLAIN"
    record m4.expiry.evictions "\"evictions\":$(info_field "$P_X" sumavlib sumavlib_evictions)"
  fi
  stop_pid "$PID_X"; stop_pid "$PID_PLAIN"
fi

# ------------------------------------------------------------- 6. start-up
if ! skip 6; then
  log "6. start-up: process start to first PONG"
  P_S=$(free_port)
  # Plain and module runs alternate, so machine noise hits both alike.
  for r in $(seq "$START_REPEAT"); do
    for what in plain module; do
      dir=$WORK/start-empty-$what; mkdir -p "$dir"
      args=("$REDIS" --port "$P_S" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --logfile "$dir/log")
      [ "$what" = module ] && args+=(--loadmodule "$MOD")
      lg "m6.empty.$what" no --mode startup --port "$P_S" -- "${args[@]}"
    done
  done
  if [ -f "$WORK/start-rdb/dump.rdb" ]; then
    for r in $(seq "$START_REPEAT_BIG"); do
      for what in plain module; do
        args=("$REDIS" --port "$P_S" --bind 127.0.0.1 --dir "$WORK/start-rdb" --save "" --appendonly no --logfile "$WORK/start-rdb/log")
        [ "$what" = module ] && args+=(--loadmodule "$MOD")
        # sumavlib keeps its state in core types only, so the plain server loads the
        # same RDB: the difference is what the module adds to start-up.
        lg "m6.rdb.$what" no --mode startup --port "$P_S" --max-seconds 120 -- "${args[@]}"
      done
      args=("$REDIS" --port "$P_S" --bind 127.0.0.1 --dir "$WORK/start-aof" --save "" --appendonly yes --logfile "$WORK/start-aof/log" --loadmodule "$MOD")
      lg m6.aof.module everysec --mode startup --port "$P_S" --max-seconds 120 -- "${args[@]}"
    done
  fi
fi

# ------------------------------------------------ 7. instructions (callgrind)
if ! skip 7; then
  log "7. callgrind: instructions per keep_alive and per SET over $CG_REQ requests"
  for what in keepalive set; do
    P_C=$(free_port); dir=$WORK/cg-$what; mkdir -p "$dir"
    args=(--port "$P_C" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --logfile "$dir/log")
    [ "$what" = keepalive ] && args+=(--loadmodule "$MOD" host-ttl-ms 3600000)
    cgout=$RES/callgrind.$what.out
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$cgout" \
      "$REDIS" "${args[@]}" >"$dir/valgrind.log" 2>&1 &
    PID_C=$!; PIDS+=("$PID_C")
    record_cmd valgrind --tool=callgrind --instr-atstart=no redis-server "${args[@]}"
    wait_ping "$P_C" 120
    if [ "$what" = keepalive ]; then cmd=$KA; else cmd=$SETCMD; fi
    lg "m7.fill.$what" no --port "$P_C" --clients "$CLIENTS" --pipeline 16 --requests "$HOSTS" \
      --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$cmd"
    callgrind_control -i on "$PID_C" >/dev/null 2>&1
    lg "m7.run.$what" no --port "$P_C" --clients "$CLIENTS" --requests "$CG_REQ" \
      --hosts "$HOSTS" --groups "$NGROUPS" --cmd "$cmd"
    callgrind_control -i off "$PID_C" >/dev/null 2>&1
    echo "callgrind_control -i on <pid>; (suma-loadgen run above); callgrind_control -i off <pid>" >>"$CMDS"
    stop_pid "$PID_C"
    callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$cgout" >"$RES/callgrind.$what.inclusive.txt" 2>/dev/null || true
    callgrind_annotate --auto=no --threshold=100 "$cgout" >"$RES/callgrind.$what.self.txt" 2>/dev/null || true
    record "m7.$what" "\"requests\":$CG_REQ,\"annotate\":\"callgrind.$what.inclusive.txt\""
  done
fi

# ------------------------------------------------------------------- report
log "writing $OUT/benchmarks.md and $OUT/img/benchmarks.png"
mkdir -p "$OUT/img"
"$PY" "$ROOT/bench/report.py" --results "$RES" --out "$OUT"
log "done"
