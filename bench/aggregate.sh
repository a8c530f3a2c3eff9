#!/usr/bin/env bash
# bench/aggregate.sh: the aggregator's timings on a database already holding a demo year
# (ISCGOBS_DATABASE_URL; bench/run.sh calls it after loading the year through the API):
#   1. baseline: one GROUP BY scan counting distinct persons per post and month;
#   2. full recompute of every stored indicator (`iscgobs aggregate`), against the write floor:
#      the scan of 1 plus a COPY of as many indicator rows into an empty copy of the indicator
#      table with its indexes (what any recompute must at least read and write; target <= 2x);
#   3. one incremental refresh, as an upload runs it (`iscgobs aggregate --post P --month M`,
#      the hook alone in its own transaction), for a post-month of the middle of the year;
#   4. the row counts, so that runs can be compared.
# Prints `key: value` lines. Changes nothing but the indicator rows it recomputes identically.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ISCGOBS_DATABASE_URL:?ISCGOBS_DATABASE_URL must name the database holding the demo year}"
BIN=${BIN:-$PWD/bin/iscgobs}
psqlq() { psql "$ISCGOBS_DATABASE_URL" -XAtqc "$1"; }

# The baseline, timed by the server (EXPLAIN ANALYZE adds little to a single aggregate).
baseline_ms() {
  psqlq "EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF)
         SELECT post, period, count(DISTINCT person) FROM contact GROUP BY post, period" |
    sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
}
best() { sort -n | head -n 1; } # best of several runs: the machines are shared and noisy

contacts=$(psqlq "SELECT count(*) FROM contact")
grids=$(psqlq "SELECT count(*) FROM grid")
base=$(for _ in 1 2 3; do baseline_ms; done | best)
full=$(for _ in 1 2; do "$BIN" aggregate --timing 2>/dev/null; done | best)
cells=$(psqlq "SELECT count(*) FROM indicator")
# The write floor's second half: the stored rows copied out once, then into an empty table
# like indicator (its indexes and constraints), best of 3, dropped after.
floor_copy_ms() {
  psqlq "DROP TABLE IF EXISTS bench_indicator_floor"
  psqlq "CREATE TABLE bench_indicator_floor (LIKE indicator INCLUDING ALL)"
  psqlq "CHECKPOINT"
  local t0 t1
  t0=$(date +%s.%N)
  psqlq "\\copy bench_indicator_floor FROM '$floor_file'"
  t1=$(date +%s.%N)
  psqlq "DROP TABLE bench_indicator_floor"
  echo "($t1 - $t0) * 1000" | bc -l
}
floor_file=$(mktemp /tmp/iscgobs-floor.XXXXXX)
chmod 644 "$floor_file"
psqlq "\\copy indicator TO '$floor_file'"
copy=$(for _ in 1 2 3; do floor_copy_ms; done | best)
rm -f "$floor_file"
read -r post month < <(psqlq "SELECT post, to_char(period, 'YYYY-MM') FROM grid
                              ORDER BY abs(extract(month FROM period) - 6), rows DESC, post
                              LIMIT 1" | tr '|' ' ')
incr=$(for _ in 1 2 3 4 5; do "$BIN" aggregate --post "$post" --month "$month" --timing 2>/dev/null; done | best)

echo "aggregate.contacts: $contacts"
echo "aggregate.grids: $grids"
echo "aggregate.cells: $cells"
echo "aggregate.baseline_distinct_persons_ms: $base"
echo "aggregate.full_recompute_ms: $full"
echo "aggregate.full_over_baseline: $(awk -v a="$full" -v b="$base" 'BEGIN { printf "%.1f", a / b }')"
echo "aggregate.write_floor_copy_ms: $(printf '%.0f' "$copy") ($cells rows into an empty copy of indicator)"
echo "aggregate.full_over_write_floor: $(awk -v a="$full" -v b="$base" -v c="$copy" 'BEGIN { printf "%.2f", a / (b + c) }') (target <= 2)"
echo "aggregate.incremental_refresh_ms: $incr ($post $month)"
