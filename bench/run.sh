#!/usr/bin/env bash
# bench/run.sh (`make bench`): performance measured against baselines taken in the same run,
# on the same machine and the same PostgreSQL cluster (the machines are shared and noisy:
# only ratios are comparable between runs). Prints a report and writes it to bench/out/.
#   BENCH_POSTS=450   posts in the demonstration year (default: the full national year)
#   BENCH_ONLY=collector  only the collector's measurement (the quick loop when tuning uploads)
#   BENCH_ROUNDS=3    rounds of the collector's measurement (the best of each side is kept)
#   BENCH_ONLY=burst  only the month-end burst (bench/burst.sh: refresh on vs off, reads)
#   BENCH_ONLY=aggregate  only the aggregator's figures (a year loaded in bulk, one round)
#   BENCH_ONLY=growth  only the growth table (bench/growth.sh: 450 / 1,000 posts, 3 years);
#   BENCH_GROWTH=0     a full run without it (it takes about a quarter of an hour)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s -j2 bin/iscgobs

posts=${BENCH_POSTS:-450}
work=$(mktemp -d /tmp/iscgobs-bench.XXXXXX)
chmod 755 "$work"
# The server's pid lives in a file: it is started in the report's subshell too (the part piped
# to tee), where a variable would not reach this trap.
stop_server() {
  if [ -f "$work/server.pid" ]; then
    pid=$(cat "$work/server.pid")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$work/server.pid"
  fi
}
cleanup() {
  stop_server
  scripts/pg.sh stop "$work/pg"
  # the burst's server log (uploads, folds, protections) is kept beside the reports
  [ -f "$work/burst/server.log" ] && cp "$work/burst/server.log" bench/out/burst-server.log
  [ -f "$work/server.log" ] && cp "$work/server.log" bench/out/bench-server.log
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p bench/out
out=bench/out/bench-$(date -u +%Y%m%dT%H%M%SZ).txt

# A durable cluster (fsync and synchronous_commit on): the service promises that a 2xx
# means committed, so the benchmark pays for it as production would.
scripts/pg.sh start "$work/pg"
export ISCGOBS_DATABASE_URL ISCGOBS_KEY_FILE=$work/key ISCGOBS_LISTEN=127.0.0.1:$((30000 + RANDOM % 20000))
ISCGOBS_DATABASE_URL=$(scripts/pg.sh url "$work/pg")
BIN=$PWD/bin/iscgobs
now() { date +%s.%N; }
psqlq() { psql "$ISCGOBS_DATABASE_URL" -Atqc "$1"; }

"$BIN" keygen --file "$ISCGOBS_KEY_FILE" 2>/dev/null
# the publications' signing key (`export sdmx` signs its files), private to the run
export ISCGOBS_SIGNING_KEY_FILE=$work/signing.key
"$BIN" keygen --signing --file "$ISCGOBS_SIGNING_KEY_FILE" 2>/dev/null
year=$(( $(date +%Y) - 1 ))
"$BIN" demo --out "$work/demo" --posts "$posts" --year "$year" 2>/dev/null
# Standard output too goes to the log: a server holding the pipe to tee open would keep the
# report (and make bench) waiting for ever.
start_server() {
  "$BIN" serve </dev/null >>"$work/server.log" 2>&1 &
  echo $! > "$work/server.pid"
  for _ in $(seq 1 100); do curl -fsS "http://$ISCGOBS_LISTEN/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
}
# A fresh database for one round of the collector's measurement: schema, posts, an admin.
fresh_db() {
  psql "$(scripts/pg.sh url "$work/pg" postgres)" -Xq -c "DROP DATABASE IF EXISTS iscgobs" \
    -c "CREATE DATABASE iscgobs" >/dev/null
  "$BIN" db migrate >/dev/null 2>&1
  "$BIN" post import "$work/demo/posts.csv" >/dev/null 2>&1
  admin=$("$BIN" user add --role admin --name bench 2>/dev/null)
  psqlq "CHECKPOINT"
}
best() { sort -n | head -n 1; }
rounds=${BENCH_ROUNDS:-3}

{
echo "# iscgobs bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, demo year $year, $posts posts"
echo
if [ "${BENCH_ONLY:-}" = burst ] || [ "${BENCH_ONLY:-}" = growth ]; then
  BENCH_WORK=$work "bench/$BENCH_ONLY.sh"
  exit 0
fi
[ "${BENCH_ONLY:-}" = aggregate ] && rounds=1

# 1. Collector: the demo year over HTTP with 8 concurrent clients, end to end (bulk-load
#    mode: ISCGOBS_REFRESH=off; the aggregator's per-upload refresh is measured below),
#    against psql \copy of the same pseudonymised rows into the same table (same indexes and
#    constraints). The machines are shared and noisy: each round loads a fresh database over
#    HTTP, then times \copy on it; the report keeps the best time of each side.
http_all='' copy_all=''
for round in $(seq 1 "$rounds"); do
  fresh_db
  ISCGOBS_REFRESH=off start_server
  t0=$(now)
  "$BIN" upload "$work/demo" --url "http://$ISCGOBS_LISTEN" --token "$admin" --jobs 8 2>/dev/null
  t1=$(now)
  stop_server
  http_all="$http_all $(echo "$t1 - $t0" | bc -l)"
  [ -f "$work/contact.tsv" ] || psqlq "\\copy contact TO '$work/contact.tsv'"
  psqlq "TRUNCATE contact"
  psqlq "CHECKPOINT"
  t0=$(now)
  psqlq "\\copy contact FROM '$work/contact.tsv'"
  t1=$(now)
  copy_all="$copy_all $(echo "$t1 - $t0" | bc -l)"
done
rows=$(psqlq "SELECT count(*) FROM contact")
grids=$(psqlq "SELECT count(*) FROM grid")
http_s=$(echo $http_all | tr ' ' '\n' | best)
copy_s=$(echo $copy_all | tr ' ' '\n' | best)
http_rps=$(echo "$rows / $http_s" | bc -l)
copy_rps=$(echo "$rows / $copy_s" | bc -l)
printf '## Collector: upload of the demo year over HTTP (8 clients) vs psql \\copy\n\n'
printf '| what | rows | grids | seconds (best of %d) | rows/s | every round (s) |\n|---|---|---|---|---|---|\n' "$rounds"
printf '| HTTP upload, end to end | %d | %d | %.2f | %.0f | %s |\n' "$rows" "$grids" "$http_s" "$http_rps" "$(printf '%.2f ' $http_all)"
printf '| psql \\copy, same rows, same table | %d | | %.2f | %.0f | %s |\n' "$rows" "$copy_s" "$copy_rps" "$(printf '%.2f ' $copy_all)"
printf '\nratio HTTP / \\copy = **%.2f** (target >= 0.65, issue 13; 2-core ceiling in RESULTS.md)\n\n' "$(echo "$http_rps / $copy_rps" | bc -l)"
# 2. The national year loaded as a new user does it: the same upload with the default
#    configuration (indicators refreshed in every upload), against the refresh-off load above
#    (its best round). Target: <= 2x. The year then stays loaded for the stages below.
if [ "${BENCH_ONLY:-}" != collector ]; then
  fresh_db
  start_server
  t0=$(now)
  "$BIN" upload "$work/demo" --url "http://$ISCGOBS_LISTEN" --token "$admin" --jobs 8 2>/dev/null
  t1=$(now)
  rss=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$(cat "$work/server.pid")/status")
  stop_server
  default_s=$(echo "$t1 - $t0" | bc -l)
  printf '## The national year loaded with the default refresh (8 clients)\n\n'
  printf '| load | grids | seconds | ratio to refresh off | server peak RSS MiB |\n|---|---|---|---|---|\n'
  printf '| ISCGOBS_REFRESH=off (best round above) | %d | %.2f | 1.00 | |\n' "$grids" "$http_s"
  printf '| default (refresh in every upload) | %d | %.2f | **%.2f** (target <= 2) | %s |\n\n' \
    "$(psqlq "SELECT count(*) FROM grid")" "$default_s" "$(echo "$default_s / $http_s" | bc -l)" "$rss"
fi
# Later stages add their measurements here (they need the loaded year); the server now
# refreshes indicators inside each upload, as in production.
start_server
for extra in bench/aggregate.sh bench/sdmx.sh bench/burst.sh bench/growth.sh; do
  if [ "${BENCH_ONLY:-}" = collector ]; then break; fi
  if [ "${BENCH_ONLY:-}" = aggregate ] && [ "$extra" != bench/aggregate.sh ]; then continue; fi
  if [ "$extra" = bench/growth.sh ] && [ "${BENCH_GROWTH:-1}" = 0 ]; then continue; fi
  if [ "$extra" = bench/burst.sh ]; then stop_server; fi
  if [ -x "$extra" ]; then BENCH_WORK=$work BENCH_ADMIN=$admin "$extra"; fi
done
stop_server
} | tee "$out"
echo "(report saved in $out)" >&2
