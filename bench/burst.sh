#!/usr/bin/env bash
# bench/burst.sh: the month-end burst (issue 13, issue 11 point 9), called by bench/run.sh with
# the demo year written (BENCH_WORK/demo) and the cluster running (BENCH_WORK/pg). In a
# database of its own (iscgobs_burst):
#   1. the year's first ten months loaded in bulk (ISCGOBS_REFRESH=off), then `aggregate`;
#   2. baseline: every post's grid of month 11 uploaded at once over 32 connections with
#      ISCGOBS_REFRESH=off (grids/s, p50/p99 latency, errors, server peak RSS = VmHWM);
#   3. `aggregate` again (the store consistent), then the same burst of month 12 with the
#      default refresh, while one public reader alternates the national report and one SDMX
#      series, during the burst and BENCH_BURST_AFTER seconds after it (p99, max, and the
#      protections computed on a reader's path, from the server log: each one is a wait);
#      (BENCH_BURST_READER=0: no reader during the burst, to measure the uploads alone;
#      BENCH_PGSS=1 with PG_EXTRA_OPTS="-c shared_preload_libraries=pg_stat_statements
#      -c pg_stat_statements.track_planning=on": the statements that took the time);
#   4. every grid of both bursts stored (grid rows counted against the files sent).
# The two bursts run in the same run on the same machine: compare their ratio, not seconds.
# Prints markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_WORK:?}" "${ISCGOBS_LISTEN:?}"
BIN=${BIN:-$PWD/bin/iscgobs}
after=${BENCH_BURST_AFTER:-20}
conns=32
w=$BENCH_WORK/burst
rm -rf "$w"
mkdir -p "$w"
pgurl() { scripts/pg.sh url "$BENCH_WORK/pg" "$1"; }
export ISCGOBS_DATABASE_URL
ISCGOBS_DATABASE_URL=$(pgurl iscgobs_burst)
psqlq() { psql "$ISCGOBS_DATABASE_URL" -XAtqc "$1"; }
psql "$(pgurl postgres)" -Xq -c "DROP DATABASE IF EXISTS iscgobs_burst" \
  -c "CREATE DATABASE iscgobs_burst" >/dev/null
"$BIN" db migrate >/dev/null 2>&1
"$BIN" post import "$BENCH_WORK/demo/posts.csv" >/dev/null 2>&1
admin=$("$BIN" user add --role admin --name burst 2>/dev/null)
year=$(awk -F';' 'NR == 2 { print substr($3, 1, 4) }' "$BENCH_WORK/demo/manifest.csv")
base="http://$ISCGOBS_LISTEN"

. bench/server.sh
# On any exit: the background reader and sampler stopped too (they hold the report's pipe).
trap 'touch "$w/stop" "$w/stop_sampler"; wait; [ -f "$w/server.pid" ] && stop' EXIT
files_of() { awk -F';' -v p="$year-$1" -v d="$BENCH_WORK/demo" '$3 == p { print d "/" $1 }' \
  "$BENCH_WORK/demo/manifest.csv"; }
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
  i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; printf "%.0f", v[i] * 1000 }'; }

# One PUT per file, 32 at a time; one line per upload: status, seconds.
burst() {
  local month=$1 out=$2
  files_of "$month" | xargs -P "$conns" -I{} sh -c '
    f=$1; b=$(basename "$f"); post=${b%_*}; per=${b#*_}; per=${per%.*}
    case "$f" in *.xml) ct=application/xml ;; *) ct=text/csv ;; esac
    curl -sS -o /dev/null -w "%{http_code} %{time_total}\n" -X PUT \
      -H "Authorization: Bearer $2" -H "Content-Type: $ct" --data-binary @"$f" \
      "$3/api/v1/grids/$post/$per" || echo "000 0"' _ {} "$admin" "$base" >"$out"
}
# Public reads, one after the other, until the file stop appears: kind, status, seconds.
reader() {
  local series="/sdmx/data/ISCG_INDICATEURS/M.FR.PART_INCONNUS_SS._T._T._T._T._T._T._T?startPeriod=$year&endPeriod=$year"
  local csv='application/vnd.sdmx.data+csv;version=1.0.0' n=0
  while [ ! -e "$w/stop" ] && [ $n -lt 100000 ]; do
    n=$((n + 1))
    printf 'report %s\n' "$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$base/rapports/national/$year" || echo '000 0')"
    printf 'sdmx %s\n' "$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -H "Accept: $csv" "$base$series" || echo '000 0')"
  done >"$w/$1"
}
# What PostgreSQL's busy backends do, sampled every 0.2 s until the file stop_sampler appears:
# one line per sample and wait kind ("CPU" when not waiting, else wait_event_type:wait_event).
sampler() {
  local n=0
  while [ ! -e "$w/stop_sampler" ] && [ $n -lt 3000 ]; do
    n=$((n + 1))
    psqlq "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), count(*) FROM pg_stat_activity
           WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
           GROUP BY 1" | sed 's/|/ /' || true
    echo "sample 1"
    sleep 0.2
  done >"$w/waits"
}
summary() { # label file seconds rss
  local n ok err
  n=$(wc -l <"$2")
  ok=$(awk '$1 ~ /^2/' "$2" | wc -l)
  err=$((n - ok))
  awk '{ print $2 }' "$2" >"$2.lat"
  printf '| %s | %d | %d | %.1f | %.1f | %s | %s | %d | %s |\n' "$1" "$n" "$ok" "$3" \
    "$(echo "$ok / $3" | bc -l)" "$(pct "$2.lat" 50)" "$(pct "$2.lat" 99)" "$err" "$4"
}
now() { date +%s.%N; }
# CPU seconds so far: the machine busy (all but idle and iowait, /proc/stat), the server
# (its utime + stime) and PostgreSQL (every postgres process: utime + stime), "busy srv pg".
cpu_now() {
  local hz; hz=$(getconf CLK_TCK)
  awk -v hz="$hz" '/^cpu / { printf "%.1f ", ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat
  awk -v hz="$hz" '{ sub(/^.*\) /, ""); printf "%.1f ", ($12 + $13) / hz }' "/proc/$(cat "$w/server.pid")/stat"
  # (a process may end between the glob and its read: cat then fails, which is no error here)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v hz="$hz" '/\(postgres\)/ { sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%.1f\n", t / hz }'
}

# 1. Ten months in bulk, then the store made consistent.
ISCGOBS_REFRESH=off start
mapfile -t ten < <(for m in 01 02 03 04 05 06 07 08 09 10; do files_of $m; done)
"$BIN" upload "${ten[@]}" --url "$base" --token "$admin" --jobs 8 >/dev/null 2>&1
stop
"$BIN" aggregate >/dev/null 2>&1

# 2. Baseline burst, refresh off.
ISCGOBS_REFRESH=off start
cpuoff0=$(cpu_now)
t0=$(now); burst 11 "$w/off"; t1=$(now)
cpuoff1=$(cpu_now)
off_s=$(echo "$t1 - $t0" | bc -l); off_rss=$(hwm)
stop
"$BIN" aggregate >/dev/null 2>&1

# 3. The same burst with the default refresh, a public reader during it and after it.
start
curl -fsS -o /dev/null "$base/rapports/national/$year" # the year protected once before
# and published: the run in force may be older than the loaded months (the empty run of the
# first start) until the background thread records the round's; wait for it (at most 60 s).
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null -H 'Accept: application/vnd.sdmx.data+csv;version=1.0.0' \
    "$base/sdmx/data/ISCG_INDICATEURS/A.FR.NB_CONTACTS._T._T._T._T._T._T._T" 2>/dev/null && break
  sleep 0.5
done
logline0=$(wc -l <"$w/server.log")
if [ "${BENCH_BURST_READER:-1}" = 1 ]; then reader during & else touch "$w/during"; sleep 0.1 & fi
rpid=$!
[ "${BENCH_PGSS:-0}" = 1 ] && psqlq "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" && psqlq "SELECT pg_stat_statements_reset()" >/dev/null
cpu0=$(cpu_now)
sampler &
spid=$!
t0=$(now); burst 12 "$w/on"; t1=$(now)
cpu1=$(cpu_now)
touch "$w/stop_sampler"; wait "$spid"
on_s=$(echo "$t1 - $t0" | bc -l); on_rss_burst=$(hwm)
touch "$w/stop"; wait "$rpid"; rm -f "$w/stop"
logline1=$(wc -l <"$w/server.log")
reader right_after &
rpid=$!
sleep "$after"
touch "$w/stop"; wait "$rpid"; rm -f "$w/stop"
on_rss=$(hwm)
logline2=$(wc -l <"$w/server.log")
stop
# Waits for a protection on a reader's path: protections not computed by the background
# thread (`by=background`), and SDMX publication runs recorded by a query (not trigger=background).
waits() { sed -n "$(( $1 + 1 )),$2p" "$w/server.log" |
  grep -E 'agg\.protect|sdmx\.publish run=' | grep -Evc 'by=background|trigger=background' || true; }
w_during=$(waits "$logline0" "$logline1")
w_after=$(waits "$logline1" "$logline2")

sent11=$(files_of 11 | wc -l); sent12=$(files_of 12 | wc -l)
stored11=$(psqlq "SELECT count(*) FROM grid WHERE period = '$year-11-01'")
stored12=$(psqlq "SELECT count(*) FROM grid WHERE period = '$year-12-01'")

printf '## Month-end burst: every post'"'"'s grid of one month at once, %d connections\n\n' "$conns"
printf '| burst | uploads | 2xx | seconds | grids/s | p50 ms | p99 ms | errors | server peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
summary "month 11, ISCGOBS_REFRESH=off (baseline)" "$w/off" "$off_s" "$off_rss"
summary "month 12, default refresh (with a public reader)" "$w/on" "$on_s" "$on_rss_burst"
on_gps=$(echo "$(awk '$1 ~ /^2/' "$w/on" | wc -l) / $on_s" | bc -l)
off_gps=$(echo "$(awk '$1 ~ /^2/' "$w/off" | wc -l) / $off_s" | bc -l)
awk '{ print $2 }' "$w/on" >"$w/on.lat"
printf '\nstored: month 11 %d of %d grids, month 12 %d of %d\n\n' "$stored11" "$sent11" "$stored12" "$sent12"
printf '| target | measured | baseline (same run) | met |\n|---|---|---|---|\n'
printf '| throughput >= 0.5x refresh off | %.2fx (%.1f grids/s) | %.1f grids/s | %s |\n' \
  "$(echo "$on_gps / $off_gps" | bc -l)" "$on_gps" "$off_gps" \
  "$(echo "$on_gps >= 0.5 * $off_gps" | bc -l | sed 's/1/yes/;s/0/no/')"
on_err=$(awk '$1 !~ /^2/' "$w/on" | wc -l)
printf '| 0 errors | %d | %d (refresh off) | %s |\n' "$on_err" "$(awk '$1 !~ /^2/' "$w/off" | wc -l)" \
  "$([ "$on_err" -eq 0 ] && [ "$stored12" -eq "$sent12" ] && echo yes || echo no)"
on_p99=$(pct "$w/on.lat" 99)
printf '| p99 <= 1 s | %s ms | %s ms (refresh off) | %s |\n' "$on_p99" "$(pct "$w/off.lat" 99)" \
  "$([ "$on_p99" -le 1000 ] && echo yes || echo no)"
printf '| server peak RSS <= 100 MiB | %d MiB during the burst, %d MiB after the reads | %d MiB (refresh off) | %s |\n' \
  "$on_rss_burst" "$on_rss" "$off_rss" "$([ "$on_rss" -le 100 ] && echo yes || echo no)"

cpu_line() { # label seconds before after
  local b0 s0 p0 b1 s1 p1
  read -r b0 s0 p0 <<<"$3"; read -r b1 s1 p1 <<<"$4"
  printf '| %s | %.1f | %.0f %% | %.1f | %.1f |\n' "$1" "$2" \
    "$(echo "100 * ($b1 - $b0) / ($(nproc) * $2)" | bc -l)" "$(echo "$s1 - $s0" | bc -l)" "$(echo "$p1 - $p0" | bc -l)"
}
printf '\nCPU (%d cores; PostgreSQL: its live processes, exited backends not counted):\n\n' "$(nproc)"
printf '| burst | seconds | machine busy | server CPU s | PostgreSQL CPU s |\n|---|---|---|---|---|\n'
cpu_line "refresh off" "$off_s" "$cpuoff0" "$cpuoff1"
cpu_line "default refresh" "$on_s" "$cpu0" "$cpu1"
printf '\nrounds built in the background during the default burst: %d\n' \
  "$(sed -n "$(( logline0 + 1 )),${logline1}p" "$w/server.log" | grep -c 'agg.warm round=' || true)"
printf '\nBusy PostgreSQL backends during the default burst (mean over %d samples, by what they do):' \
  "$(awk '$1 == "sample" { n++ } END { print n + 0 }' "$w/waits")"
awk '$1 == "sample" { n++; next } { t[$1] += $2 } END { for (k in t) printf " %s %.1f;", k, t[k] / (n ? n : 1); print "" }' "$w/waits"
if [ "${BENCH_PGSS:-0}" = 1 ]; then
  printf '\nStatements of the default burst by time (pg_stat_statements: execution + planning ms):\n\n| calls | total ms | mean ms | plan ms | statement |\n|---|---|---|---|---|\n'
  psqlq "SELECT calls, round(total_exec_time + total_plan_time), round(((total_exec_time + total_plan_time) / calls)::numeric, 2), round(total_plan_time),
         left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements ORDER BY 2 DESC LIMIT 12" |
    awk -F'|' '{ printf "| %s | %s | %s | %s | `%s` |\n", $1, $2, $3, $4, $5 }'
fi
printf '\n### Public reads during and right after the burst (one reader, one request at a time)\n\n'
printf '| when | what | reads | non-2xx | p50 ms | p99 ms | max ms | protections computed on a reader'"'"'s path |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for when in during right_after; do
  for kind in report sdmx; do
    awk -v k=$kind '$1 == k { print $3 }' "$w/$when" >"$w/$when.$kind"
    nb=$(wc -l <"$w/$when.$kind")
    bad=$(awk -v k=$kind '$1 == k && $2 !~ /^2/' "$w/$when" | wc -l)
    mx=$(pct "$w/$when.$kind" 100)
    if [ $kind = report ]; then wt=$([ $when = during ] && echo "$w_during" || echo "$w_after"); else wt='(same)'; fi
    printf '| %s | %s | %d | %d | %s | %s | %s | %s |\n' "${when/_/ }" "$kind" "$nb" "$bad" \
      "$(pct "$w/$when.$kind" 50)" "$(pct "$w/$when.$kind" 99)" "$mx" "$wt"
  done
done
cat "$w"/during.* "$w"/right_after.* >"$w/reads.lat"
printf '\ntarget: reads p99 <= 100 ms: %s ms (%s); never a wait for a protection: %s protections on a reader'"'"'s path (%s)\n\n' \
  "$(pct "$w/reads.lat" 99)" "$([ "$(pct "$w/reads.lat" 99)" -le 100 ] && echo met || echo not met)" \
  "$((w_during + w_after))" "$([ $((w_during + w_after)) -eq 0 ] && echo met || echo not met)"
