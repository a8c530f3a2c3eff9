#!/usr/bin/env bash
# bench/sdmx.sh: SDMX measurements, called by bench/run.sh with a demo year loaded and the
# server running (BENCH_WORK, BENCH_ADMIN, ISCGOBS_LISTEN, ISCGOBS_DATABASE_URL set).
#  1. requests/s and p99 latency of an SDMX-CSV query for one series, against a static 1 KiB
#     answer of the same daemon (GET /sdmx/ping), 64 keep-alive connections on loopback, in
#     the same run (bench/httpload.c, a small epoll load generator: no wrk on the machines;
#     it counts 2xx answers only, and this script fails when either run had an error);
#  2. time and peak memory of exporting the whole year as GenericData (`iscgobs export sdmx`).
# Prints markdown.
#   BENCH_SDMX_SECONDS=10   duration of each load run
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_WORK:?}" "${ISCGOBS_LISTEN:?}" "${ISCGOBS_DATABASE_URL:?}"
secs=${BENCH_SDMX_SECONDS:-10}
conns=64
load=$BENCH_WORK/httpload
cc -O2 -std=c11 -Wall -Wextra -Werror -o "$load" bench/httpload.c
base="http://$ISCGOBS_LISTEN"
year=$(psql "$ISCGOBS_DATABASE_URL" -Atqc "SELECT max(year) FROM agg_generation")
csv='application/vnd.sdmx.data+csv;version=1.0.0'
series="/sdmx/data/ISCG_INDICATEURS/M.FR.PART_INCONNUS_SS._T._T._T._T._T._T._T?startPeriod=$year&endPeriod=$year"

# Warm up: the first query takes the publication run (a snapshot of the year).
t0=$(date +%s.%N)
curl -fsS -o /dev/null -H "Accept: $csv" "$base$series"
t1=$(date +%s.%N)
first_s=$(echo "$t1 - $t0" | bc -l)
curl -fsS -o /dev/null "$base/sdmx/ping"

read -r st_rps st_p50 st_p99 st_err < <("$load" "$ISCGOBS_LISTEN" /sdmx/ping "$conns" "$secs")
read -r sd_rps sd_p50 sd_p99 sd_err < <("$load" "$ISCGOBS_LISTEN" "$series" "$conns" "$secs" "$csv")

printf '## SDMX: one series as SDMX-CSV vs a static 1 KiB answer (%d connections, %ss each)\n\n' "$conns" "$secs"
printf '| what | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|\n'
printf '| GET /sdmx/ping (static 1 KiB) | %s | %s | %s | %s |\n' "$st_rps" "$st_p50" "$st_p99" "$st_err"
printf '| GET /sdmx/data/... one series, SDMX-CSV | %s | %s | %s | %s |\n' "$sd_rps" "$sd_p50" "$sd_p99" "$sd_err"
# requests/s counts 2xx answers only; any error makes the comparison meaningless.
# The report says so and the later stages still run (an abort lost a whole run's burst and
# growth figures for 2 closed connections out of 450,000 requests).
if [ "$st_err" -gt 0 ] || [ "$sd_err" -gt 0 ]; then
  printf '
**not a valid comparison**: %s errors on /sdmx/ping, %s on the SDMX-CSV series (non-2xx answers or closed connections; the server log is kept in bench/out/bench-server.log)
' "$st_err" "$sd_err"
fi
printf '\nratio SDMX-CSV / static = **%.2f** (target >= 0.5); first query after loading (publication run of the year): %.2f s\n\n' \
  "$(echo "$sd_rps / $st_rps" | bc -l)" "$first_s"

# 2. The whole year as GenericData (plus structure, structure-specific data, schema).
out=$BENCH_WORK/sdmx-export
/usr/bin/time -v bin/iscgobs export sdmx --period "$year" --out "$out" 2>"$BENCH_WORK/export.time" >/dev/null || {
  cat "$BENCH_WORK/export.time" >&2; exit 1; }
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$BENCH_WORK/export.time")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$BENCH_WORK/export.time")
gen=$out/ISCG_INDICATEURS_${year}_generic.xml
size=$(stat -c %s "$gen")
obs=$(grep -o '<generic:Obs>' "$gen" | wc -l)
printf '## SDMX: export of the whole year (iscgobs export sdmx --period %s)\n\n' "$year"
printf '| observations | GenericData bytes | wall clock (all files) | peak RSS |\n|---|---|---|---|\n'
printf '| %d | %d | %s | %d MiB |\n\n' "$obs" "$size" "$wall" "$((rss / 1024))"
