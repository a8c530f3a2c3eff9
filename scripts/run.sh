#!/usr/bin/env bash
# run.sh (`make run`): from a fresh clone to a serving observatory with a demonstration year.
#   1. installs missing Debian packages (as root; otherwise lists them), builds bin/iscgobs;
#   2. starts the embedded PostgreSQL under $ISCGOBS_VAR/pg (default var/pg), unless
#      ISCGOBS_DATABASE_URL names another server;
#   3. applies migrations and reference data, creates the pseudonymisation key and the
#      publications' signing key (mode 0600 both);
#   4. first run only: registers the demo posts and accounts and loads the synthetic year
#      THROUGH THE REAL UPLOAD PATH (HTTP PUT of every grid);
#   5. serves on $ISCGOBS_LISTEN (127.0.0.1:8080) and prints the URLs and demo tokens.
# A second run reuses all of it. Ctrl-C (or SIGTERM) stops the server and the embedded cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
make -s -j2 bin/iscgobs

export ISCGOBS_VAR=${ISCGOBS_VAR:-var}
mkdir -p "$ISCGOBS_VAR"
chmod 755 "$ISCGOBS_VAR"
VAR=$(cd "$ISCGOBS_VAR" && pwd)
export ISCGOBS_VAR=$VAR
export ISCGOBS_KEY_FILE=${ISCGOBS_KEY_FILE:-$VAR/pseudonym.key}
export ISCGOBS_SIGNING_KEY_FILE=${ISCGOBS_SIGNING_KEY_FILE:-$VAR/signing.key}
export ISCGOBS_LISTEN=${ISCGOBS_LISTEN:-127.0.0.1:8080}
BIN=$PWD/bin/iscgobs
embedded=0
if [ -z "${ISCGOBS_DATABASE_URL:-}" ]; then
  scripts/pg.sh start "$VAR/pg"
  export ISCGOBS_DATABASE_URL
  ISCGOBS_DATABASE_URL=$(scripts/pg.sh url "$VAR/pg")
  embedded=1
fi

server_pid=""
stop_all() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ "$embedded" = 1 ] && scripts/pg.sh stop "$VAR/pg"
  return 0
}
trap stop_all EXIT
trap 'exit 0' INT TERM

"$BIN" db migrate
[ -f "$ISCGOBS_KEY_FILE" ] || "$BIN" keygen --file "$ISCGOBS_KEY_FILE"
[ -f "$ISCGOBS_SIGNING_KEY_FILE" ] || "$BIN" keygen --signing --file "$ISCGOBS_SIGNING_KEY_FILE"

base="http://$ISCGOBS_LISTEN"
start_server() {
  "$BIN" serve 2>>"$VAR/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { tail -n 5 "$VAR/server.log" >&2; exit 1; }
    sleep 0.1
  done
}
stop_server() { kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

tokens=$VAR/demo-tokens.txt
if [ ! -f "$VAR/demo.loaded" ]; then
  year=$(( $(date +%Y) - 1 ))
  echo "chargement de l'année de démonstration $year (par l'API de dépôt)..." >&2
  rm -rf "$VAR/demo"
  "$BIN" demo --out "$VAR/demo" --year "$year"
  "$BIN" post import "$VAR/demo/posts.csv"
  demo_post=$(sed -n '2p' "$VAR/demo/posts.csv" | cut -d';' -f1)
  umask 077
  {
    echo "admin $("$BIN" user add --role admin --name "Administrateur démo")"
    echo "analyst $("$BIN" user add --role analyst --name "Analyste ministère démo")"
    echo "post:$demo_post $("$BIN" user add --role post --post "$demo_post" --name "Poste démo $demo_post")"
  } > "$tokens.tmp"
  mv "$tokens.tmp" "$tokens"
  umask 022
  admin=$(awk '$1 == "admin" {print $2}' "$tokens")
  # A bulk load of history: the server stores grids without refreshing indicators one upload
  # at a time (ISCGOBS_REFRESH=off), then one full computation follows.
  ISCGOBS_REFRESH=off start_server
  if ! "$BIN" upload "$VAR/demo" --url "$base" --token "$admin" --jobs 4; then
    echo "le chargement de la démonstration a échoué (voir $VAR/server.log) ;" \
         "relancez make run : les grilles déjà reçues ne sont pas dupliquées" >&2
    exit 1
  fi
  stop_server
  echo "calcul des indicateurs de l'année de démonstration..." >&2
  "$BIN" aggregate
  touch "$VAR/demo.loaded"
fi
start_server

cat <<EOF

  Observatoire ISCG : $base
    santé          $base/healthz   $base/readyz   $base/metrics
    dépôt          PUT  $base/api/v1/grids/{poste}/{AAAA-MM}
    indicateurs    $base/api/v1/indicators?mesure=PART_INCONNUS_SS&area=FR
  Comptes de démonstration (jetons Bearer, aussi dans $tokens) :
$(sed 's/^/    /' "$tokens")
  Journal du serveur : $VAR/server.log      Arrêt : Ctrl-C

EOF
wait "$server_pid"
