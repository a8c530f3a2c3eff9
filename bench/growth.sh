#!/usr/bin/env bash
# bench/growth.sh: how each cost grows (issue 13, point 3), called by bench/run.sh with the
# cluster running (BENCH_WORK/pg). Three stores, each in a fresh database of its own
# (iscgobs_growth), loaded as a new user does it (the default refresh, 8 clients over HTTP):
#   base     BENCH_POSTS posts (default 450), one year;
#   posts    BENCH_GROWTH_POSTS posts (default 1000), one year;
#   history  BENCH_POSTS posts, three years (the two years before, then the same year).
# For each: the load's seconds, the full recompute (`iscgobs aggregate --timing`), one
# incremental refresh (`--post P --month M`), the last year's protection (the first public
# read after a start: load + SDC, from the server's log `agg.protect`), the SDMX publication
# run the background thread records after it (until its log line), public report reads at rest (p50 of 10), and the server's
# peak RSS. Each figure is then divided by the base's and compared with the ratio of contact
# rows: a cost "grows at most linearly" when its ratio is no more than the rows' (10 % noise
# allowed: the machines are shared). Prints markdown.
#   BENCH_GROWTH=0  skip (bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_WORK:?}" "${ISCGOBS_LISTEN:?}" "${ISCGOBS_KEY_FILE:?}"
BIN=${BIN:-$PWD/bin/iscgobs}
posts=${BENCH_POSTS:-450}
big=${BENCH_GROWTH_POSTS:-1000}
w=$BENCH_WORK/growth
rm -rf "$w"
mkdir -p "$w"
chmod 755 "$w"
pgurl() { scripts/pg.sh url "$BENCH_WORK/pg" "$1"; }
export ISCGOBS_DATABASE_URL
ISCGOBS_DATABASE_URL=$(pgurl iscgobs_growth)
psqlq() { psql "$ISCGOBS_DATABASE_URL" -XAtqc "$1"; }
base="http://$ISCGOBS_LISTEN"
year=$(( $(date +%Y) - 1 ))
now() { date +%s.%N; }

. bench/server.sh
trap '[ -f "$w/server.pid" ] && stop' EXIT

# One store: name, posts, years (the last one is $year). Prints one line of figures:
# name contacts load_s recompute_ms refresh_ms protect_ms sdmx_first_ms report_p50_ms rss_mib
measure() {
  local name=$1 n=$2 years=$3 y dirs=() t0 t1
  for ((y = year - years + 1; y <= year; y++)); do
    [ -d "$w/demo-$n-$y" ] || "$BIN" demo --out "$w/demo-$n-$y" --posts "$n" --year "$y" >/dev/null 2>&1
    dirs+=("$w/demo-$n-$y")
  done
  psql "$(pgurl postgres)" -Xq -c "DROP DATABASE IF EXISTS iscgobs_growth" \
    -c "CREATE DATABASE iscgobs_growth" >/dev/null 2>&1
  "$BIN" db migrate >/dev/null 2>&1
  "$BIN" post import "${dirs[0]}/posts.csv" >/dev/null 2>&1
  local admin
  admin=$("$BIN" user add --role admin --name growth 2>/dev/null)
  psqlq "CHECKPOINT"
  : >"$w/server.log"
  start
  t0=$(now)
  for d in "${dirs[@]}"; do
    "$BIN" upload "$d" --url "$base" --token "$admin" --jobs 8 >/dev/null 2>&1
  done
  t1=$(now)
  stop
  local load_s recompute refresh post month contacts
  load_s=$(echo "$t1 - $t0" | bc -l)
  contacts=$(psqlq "SELECT count(*) FROM contact")
  recompute=$("$BIN" aggregate --timing 2>/dev/null)
  read -r post month < <(psqlq "SELECT post, to_char(period, 'YYYY-MM') FROM grid
                                WHERE period >= '$year-01-01'
                                ORDER BY abs(extract(month FROM period) - 6), rows DESC, post
                                LIMIT 1" | tr '|' ' ')
  refresh=$(for _ in 1 2 3; do "$BIN" aggregate --post "$post" --month "$month" --timing 2>/dev/null; done | sort -n | head -n 1)
  # A fresh start: the first public read waits for the year's first protection (there is no
  # earlier one to serve), the first SDMX query then records the first publication run.
  : >"$w/server.log"
  start
  curl -fsS -o /dev/null "$base/rapports/national/$year"
  local protect sdmx_ms lat
  protect=$(grep "agg.protect year=$year " "$w/server.log" | tail -n 1 |
    sed -n 's/.*load_ms=\([0-9]*\) sdc_ms=\([0-9]*\).*/\1 \2/p' | awk '{ print $1 + $2 }')
  # The background thread then records the round's publication run: until its log line.
  t0=$(now)
  for _ in $(seq 1 1200); do
    grep -Eq 'sdmx.publish run=[0-9]+ trigger=background cells=[1-9]' "$w/server.log" && break
    sleep 0.1
  done
  t1=$(now)
  sdmx_ms=$(echo "($t1 - $t0) * 1000" | bc -l)
  lat=$(for _ in $(seq 1 10); do curl -fsS -o /dev/null -w '%{time_total}\n' "$base/rapports/national/$year"; done |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] * 1000 }')
  local rss
  rss=$(hwm)
  stop
  printf '%s %s %.1f %s %s %s %.0f %s %s\n' "$name" "$contacts" "$load_s" "$recompute" "$refresh" \
    "${protect:-0}" "$sdmx_ms" "$lat" "$rss"
}

measure "$posts posts, 1 year" "$posts" 1 >"$w/figures"
measure "$big posts, 1 year" "$big" 1 >>"$w/figures"
measure "$posts posts, 3 years" "$posts" 3 >>"$w/figures"

printf '## Growth: the same figures at %d and %d posts and with three years loaded\n\n' "$posts" "$big"
printf 'Each store loaded with the default refresh (8 clients); in parentheses the ratio to the first row. A figure grows at most linearly when its ratio is no more than the rows'"'"' (+10 %%).\n\n'
printf '| store | contact rows | load s | full recompute ms | one refresh ms | protection of the year ms | SDMX run after it ms | report read p50 ms | server peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
# The store's name has spaces: the figures are the last 8 fields.
awk '{ k = NF - 8; name = $1; for (i = 2; i <= k; i++) name = name " " $i
       for (j = 1; j <= 8; j++) v[NR, j] = $(k + j)
       line = "| " name
       for (j = 1; j <= 8; j++) line = line sprintf(" | %s (%.2f)", v[NR, j], v[1, j] > 0 ? v[NR, j] / v[1, j] : 0)
       print line " |"
       for (j = 2; j <= 8; j++) if (NR > 1 && v[1, j] > 0 && v[NR, j] / v[1, j] > 1.1 * v[NR, 1] / v[1, 1]) worse[NR] = worse[NR] " " j
       names[NR] = name }
     END { print ""; cols = "load,recompute,refresh,protection,SDMX,report,RSS"; split(cols, c, ",")
       for (r = 2; r <= NR; r++) {
         if (worse[r] == "") { printf "target (%s): every cost grows at most linearly: met\n", names[r]; continue }
         split(substr(worse[r], 2), ws, " "); s = ""
         for (i in ws) s = s " " c[ws[i] - 1]
         printf "target (%s): every cost grows at most linearly: not met (faster than the rows:%s)\n", names[r], s } }' "$w/figures"
echo
