#!/usr/bin/env bash
# fuzz.sh SECONDS [NAME...]: run each libFuzzer harness (build/fuzz/bin/fuzz_*, built by
# `make fuzz-build`) for SECONDS on a temporary copy of its committed seed corpus
# (tests/fuzz/corpus/<name>/, never written to here), then print per harness the
# executions run and the corpus size reached. Fails on any crash, leak, sanitizer report,
# timeout or memory blow-up; the input that did it is kept in build/fuzz/crashes/<name>/
# (make it a regression input: copy it into tests/fuzz/corpus/<name>/ once fixed).
# `make fuzz` (FUZZ_SECONDS, default 60) and scripts/test.sh (short) call it.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true

# The longest input worth trying per parser (default 64 KiB): about the biggest legitimate
# input plus room for hostile tails.
max_len() {
  case "$1" in
    sdmx_key | filter) echo 8192 ;;
    http_route) echo 2048 ;;
    form) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
tmp=$(mktemp -d /tmp/iscgobs-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
bins=(build/fuzz/bin/fuzz_*)
[ $# -gt 0 ] && bins=("${@/#/build/fuzz/bin/fuzz_}")
for bin in "${bins[@]}"; do
  [ -x "$bin" ] || { echo "fuzz: $bin missing (make fuzz-build)"; failed=1; continue; }
  name=${bin##*/fuzz_}
  corpus=$tmp/$name
  mkdir -p "$corpus" "build/fuzz/crashes/$name"
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
  seeds=$(find "$corpus" -type f | wc -l)
  log=$tmp/$name.log
  "$bin" -max_total_time="$secs" -max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048 \
         -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$name/" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  if [ $rc -ne 0 ]; then
    failed=1
    grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -20
    echo "fuzz: $name: FAILED (exit $rc) after ${execs:-?} executions; log kept in build/fuzz/crashes/$name/last.log"
    cp "$log" "build/fuzz/crashes/$name/last.log"
  else
    echo "fuzz: $name: ${execs:-?} executions in $secs s, corpus $seeds -> $size inputs, no crash"
  fi
done
exit $failed
