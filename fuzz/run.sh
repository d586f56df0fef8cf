#!/usr/bin/env bash
# Builds (with clang) and runs every libFuzzer target for a while.
#   fuzz/run.sh                      build into build-fuzz/, run each target
#   fuzz/run.sh --build DIR          build into DIR (ctest uses <build>/fuzz-clang)
#   fuzz/run.sh --prebuilt DIR       targets already built in DIR (SUMA_FUZZ=ON tree)
# Time per target: SUMA_FUZZ_SECONDS, default 8 s; with SUMA_LONG=1, 300 s.
# Exits 77 (ctest: skipped) when clang or libFuzzer is not installed (1 under
# CI, which has them: a skip there is a failure), 1 when a target crashed or
# broke an invariant (the input is kept under DIR/artifacts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode=build
dir="$here/../build-fuzz"
if [ "${1:-}" = "--prebuilt" ]; then mode=prebuilt; dir="$2"; fi
if [ "${1:-}" = "--build" ]; then dir="$2"; fi
secs="${SUMA_FUZZ_SECONDS:-}"
if [ -z "$secs" ]; then
  if [ "${SUMA_LONG:-0}" = "1" ]; then secs=300; else secs=8; fi
fi
skip() {
  case "${CI:-}" in
    ""|0|false|FALSE|no) echo "SKIPPED: fuzz: $1"; exit 77 ;;
    *) echo "FAILED: fuzz: CI must run this, but it would be skipped: $1"; exit 1 ;;
  esac
}
targets=(fuzz_names fuzz_glob fuzz_numbers fuzz_json fuzz_event fuzz_config fuzz_lease fuzz_shared)

if [ "$mode" = build ]; then
  cxx="$(command -v clang++ || true)"
  if [ -z "$cxx" ]; then skip "clang++ not installed (scripts/deps-test.txt: clang)"; fi
  cmake -S "$here" -B "$dir" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$dir" -j2 --target fuzzers >/dev/null
fi
for t in "${targets[@]}"; do
  if [ ! -x "$dir/$t" ]; then skip "$dir/$t was not built (clang/libFuzzer missing?)"; fi
done

mkdir -p "$dir/artifacts"
export UBSAN_OPTIONS="suppressions=$here/ubsan.supp:halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
total=0
status=0
for t in "${targets[@]}"; do
  corpus="$dir/corpus/$t"
  mkdir -p "$corpus"
  seeds=()
  [ -d "$here/corpus/$t" ] && seeds=("$here/corpus/$t")
  log="$dir/$t.log"
  if "$dir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" "$corpus" "${seeds[@]}" \
      >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $t ok: ${execs:-?} executions in ${secs}s, corpus $(ls "$corpus" | wc -l) inputs"
    total=$((total + ${execs:-0}))
  else
    echo "fuzz: $t FAILED, see $log:"
    grep -E 'invariant failed|ERROR|SUMMARY|runtime error' "$log" | head -20 || true
    ls -1 "$dir/artifacts" | sed "s|^|fuzz:   artifact $dir/artifacts/|" | grep "$t" || true
    status=1
  fi
done
echo "fuzz: total $total executions over ${#targets[@]} targets"
exit $status
