#!/usr/bin/env bash
# pg.sh: a private PostgreSQL cluster in a folder, reachable only through its Unix socket.
#   scripts/pg.sh start DIR [--fast]   create (first time) and start; prints nothing on success
#   scripts/pg.sh stop DIR
#   scripts/pg.sh url DIR [DBNAME]     the libpq connection string
#   scripts/pg.sh crash DIR            stop -m immediate (a crash: recovery at the next start)
#   scripts/pg.sh replica DIR PRIMARY_DIR [--fast]
#                                      a streaming hot standby of the cluster of PRIMARY_DIR
#                                      (pg_basebackup -R the first time), then started
# DIR/data holds the cluster, DIR/run the socket, DIR/log the server log. As root the cluster
# runs as the system user `iscgobs` (created if needed), since PostgreSQL refuses root.
# PG_EXTRA_OPTS: more server options ("-c name=value ...", e.g. pg_stat_statements for bench/burst.sh).
# --fast turns durability off (fsync, synchronous_commit): for throwaway test clusters only.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop|url DIR}
dir=${2:?usage: pg.sh start|stop|url DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
PGUSER_OS=iscgobs

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "pg.sh: PostgreSQL (initdb) introuvable : installez le paquet postgresql" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PGUSER_OS" -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
url)
  echo "host=$dir/run dbname=${3:-iscgobs} user=iscgobs"
  ;;
start)
  if [ "$(id -u)" -eq 0 ]; then
    id "$PGUSER_OS" >/dev/null 2>&1 ||
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PGUSER_OS"
    chown "$PGUSER_OS" "$dir"
    if ! runuser -u "$PGUSER_OS" -- test -w "$dir"; then
      echo "pg.sh: l'utilisateur $PGUSER_OS ne peut pas accéder à $dir ;" >&2
      echo "       placez le dépôt dans un répertoire lisible par tous (ex. /srv, /opt, /tmp)" >&2
      echo "       ou définissez ISCGOBS_DATABASE_URL vers un PostgreSQL existant." >&2
      exit 1
    fi
  fi
  mkdir -p "$dir/run"
  [ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$dir/run"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir/data" -U iscgobs --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    exit 0
  fi
  opts="-c listen_addresses='' -c unix_socket_directories='$dir/run' -c max_connections=200"
  opts="$opts -c shared_buffers=256MB -c timezone=UTC ${PG_EXTRA_OPTS:-}"
  if [ "${3:-}" = "--fast" ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -o "$opts" -w -t 60 start >/dev/null ||
    { tail -n 20 "$dir/log" >&2; exit 1; }
  as_owner "$bindir/psql" -h "$dir/run" -U iscgobs -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'iscgobs'" | grep -q 1 ||
    as_owner "$bindir/createdb" -h "$dir/run" -U iscgobs iscgobs
  ;;
stop)
  if [ -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
crash)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  ;;
replica)
  src=${3:?usage: pg.sh replica DIR PRIMARY_DIR [--fast]}
  src=$(cd "$src" && pwd)
  [ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/pg_basebackup" -h "$src/run" -U iscgobs -D "$dir/data" -R -X stream \
      -c fast >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    # long public reads are not cancelled by the replay of a vacuum on the primary
    echo "hot_standby_feedback = on" | as_owner tee -a "$dir/data/postgresql.auto.conf" >/dev/null
  fi
  "$0" start "$dir" ${4:-}
  ;;
*)
  echo "usage: pg.sh start|stop|url|crash|replica DIR" >&2; exit 2
  ;;
esac
