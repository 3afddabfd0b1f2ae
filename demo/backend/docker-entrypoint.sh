#!/bin/sh
# sms-web entry point: bring the schema to head (retrying while the database
# starts), then run the command (default: the HTTP server).
set -eu
cd /app
if [ "${SMS_SKIP_MIGRATIONS:-0}" != "1" ]; then
  tries=0
  until alembic upgrade head; do
    tries=$((tries + 1))
    if [ "$tries" -ge "${SMS_MIGRATION_RETRIES:-30}" ]; then
      echo "sms-web: alembic upgrade head failed $tries times; giving up" >&2
      exit 1
    fi
    echo "sms-web: database not ready, retrying migrations in 2 s ($tries)" >&2
    sleep 2
  done
fi
exec "$@"
