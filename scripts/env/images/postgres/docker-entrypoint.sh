#!/bin/bash
# Entry point of lifeboat/postgres:15, modelled on the official postgres image:
# honours POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_INITDB_ARGS,
# POSTGRES_HOST_AUTH_METHOD, PGDATA, PGPORT and /docker-entrypoint-initdb.d/.
# Extra: POSTGRES_LISTEN_ADDRESSES (default 127.0.0.1, for host networking).
set -Eeuo pipefail

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
: "${PGPORT:=5432}"
: "${POSTGRES_LISTEN_ADDRESSES:=127.0.0.1}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
export POSTGRES_USER POSTGRES_DB PGDATA PGPORT

log() { echo "lifeboat-postgres: $*" >&2; }

# "docker run IMAGE -c foo=bar" => postgres -c foo=bar
if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" != 'postgres' ]; then
  exec "$@"
fi

if [ "$(id -u)" = '0' ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  chown -R postgres:postgres "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  # initdb refuses to run as root: drop privileges and start again.
  exec /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
    log "error: database is uninitialized and POSTGRES_PASSWORD is not set"
    log "       set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)"
    exit 1
  fi
  log "initialising $PGDATA for user $POSTGRES_USER"
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  # Like the official image: password auth for every TCP client.
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # Temporary server on a private socket, no TCP: nobody (pg_isready included)
  # sees it, so the health check cannot report ready before init is done.
  sockdir="$(mktemp -d)"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories='$sockdir'" start >/dev/null
  psql_init=(psql -v ON_ERROR_STOP=1 --no-psqlrc -X -q -h "$sockdir" -U "$POSTGRES_USER")
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    "${psql_init[@]}" -d postgres -v db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  fi
  # shellcheck disable=SC1090 # init scripts are sourced, as in the official image
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) log "running $f"; PGHOST="$sockdir" . "$f" ;;
      *.sql) log "running $f"; "${psql_init[@]}" -d "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql_init[@]}" -d "$POSTGRES_DB" ;;
      *) log "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  rmdir "$sockdir" 2>/dev/null || true
  log "init complete; ready for start up"
fi

exec postgres -c listen_addresses="$POSTGRES_LISTEN_ADDRESSES" "${@:2}"
