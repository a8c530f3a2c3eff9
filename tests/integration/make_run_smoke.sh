#!/usr/bin/env bash
# make_run_smoke.sh VARDIR: `make run` from this checkout with its state in VARDIR and a free
# port, as a user would: waits until it prints its URLs, checks that the demonstration year
# is served (readiness, a post's months over the API with the printed demo token), runs it a
# second time to check that everything is reused, then stops it with Ctrl-C (SIGINT).
set -euo pipefail
cd "$(dirname "$0")/../.."
var=$1
port=$(( 20000 + RANDOM % 20000 ))
export ISCGOBS_VAR=$var ISCGOBS_LISTEN=127.0.0.1:$port
unset ISCGOBS_DATABASE_URL

start() {
  setsid make -s run >"$var.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    grep -q "Arrêt : Ctrl-C" "$var.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$var.out" >&2; return 1; }
    sleep 0.25
  done
  cat "$var.out" >&2
  return 1
}
stop() { kill -INT -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }

mkdir -p "$var"
start
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null
line=$(grep -E '^ +post:' "$var.out")
post=$(echo "$line" | sed -E 's/^ +post:([^ ]+) .*/\1/')
token=$(echo "$line" | awk '{print $2}')
months=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/grids/$post")
received=$(echo "$months" | grep -o '"version":' | wc -l)
[ "$received" -ge 6 ] || { echo "make run: the demo post has $received grids" >&2; exit 1; }
stop
grep -q "lignes en" "$var.out" || { echo "make run: the demo year was not uploaded" >&2; exit 1; }

start   # second run: reuses cluster, key, data
grep -q "chargement de l'année" "$var.out" && { echo "make run: the second run reloaded the demo" >&2; exit 1; }
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/grids/$post" | grep -q '"version":'
stop
echo "make run smoke: ok ($received grids for $post)"
