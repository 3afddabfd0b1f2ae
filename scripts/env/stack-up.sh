#!/usr/bin/env bash
# Brings up the runbook's "sms" Compose stack from demo/ with sample data:
#   1. install-system.sh (skip with LIFEBOAT_SKIP_INSTALL=1)
#   2. start-docker.sh
#   3. build-images.sh
#   4. docker-compose -p sms up -d   (in demo/)
#   5. wait: sms-db healthy, http://127.0.0.1:$SMS_WEB_PORT/health healthy (90 s)
#   6. seed sample rows when the tables are empty
# Prints a summary on stdout-free stderr; safe to run again (seconds when up).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
if [ "${LIFEBOAT_SKIP_INSTALL:-0}" != 1 ]; then
  "$LIFEBOAT_ENV_DIR/install-system.sh"
fi
"$LIFEBOAT_ENV_DIR/start-docker.sh"
"$LIFEBOAT_ENV_DIR/build-images.sh"

# Stack settings from demo/.env (values only read, never eval'ed).
env_value() { # key default
  local v
  v="$(sed -n "s/^$1=//p" "$DEMO_DIR/.env" | tail -n1)"
  printf '%s' "${v:-$2}"
}
PROJECT=sms
DB_CONTAINER=sms-db
WEB_CONTAINER=sms-web
DB_USER="$(env_value POSTGRES_USER sms_user)"
DB_NAME="$(env_value POSTGRES_DB sms_db)"
DB_PORT="${SMS_DB_PORT:-$(env_value SMS_DB_PORT 55432)}"
WEB_PORT="${SMS_WEB_PORT:-$(env_value SMS_WEB_PORT 8000)}"
HEALTH_URL="http://127.0.0.1:$WEB_PORT/health"
TIMEOUT="${LIFEBOAT_STACK_TIMEOUT:-90}"

# Containers of the same project started from another checkout keep that folder in their
# working_dir label (compose does not recreate them for it), and Lifeboat would not find them
# from this folder: recreate them here. The data volume is kept.
RECREATE=()
current_dir="$(docker inspect --format '{{index .Config.Labels "com.docker.compose.project.working_dir"}}' "$DB_CONTAINER" 2>/dev/null || true)"
if [ -n "$current_dir" ] && [ "$current_dir" != "$DEMO_DIR" ]; then
  log "the stack was started from $current_dir: recreating its containers from $DEMO_DIR"
  RECREATE=(--force-recreate)
fi
log "compose: docker-compose -p $PROJECT up -d ${RECREATE[*]:-}(in $DEMO_DIR)"
(cd "$DEMO_DIR" && docker-compose -p "$PROJECT" up -d "${RECREATE[@]}" 2>&1 | sed 's/^/  /' >&2)

dump_logs() {
  local c
  for c in "$DB_CONTAINER" "$WEB_CONTAINER"; do
    log "---- docker logs $c (last 60 lines) ----"
    docker logs --tail 60 "$c" >&2 2>&1 || true
  done
  (cd "$DEMO_DIR" && docker-compose -p "$PROJECT" ps >&2) || true
}

health_of() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo missing; }

deadline=$((SECONDS + TIMEOUT))
log "waiting for $DB_CONTAINER to be healthy"
until [ "$(health_of "$DB_CONTAINER")" = healthy ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then dump_logs; die "$DB_CONTAINER not healthy after $TIMEOUT s"; fi
  sleep 0.5
done
log "waiting for $HEALTH_URL"
body=""
until body="$(curl -fsS --max-time 3 "$HEALTH_URL" 2>/dev/null)" && [[ "$body" == *'"healthy"'* ]]; do
  if [ "$SECONDS" -ge "$deadline" ]; then dump_logs; die "$HEALTH_URL not healthy after $TIMEOUT s (last: ${body:-no answer})"; fi
  # Compose does not start sms-web again when a dependency was late: nudge it.
  if [ "$(health_of "$WEB_CONTAINER")" = exited ]; then docker start "$WEB_CONTAINER" >/dev/null || true; fi
  sleep 0.5
done
log "health: $body"

psql_db() { docker exec -i "$DB_CONTAINER" psql -X -q -v ON_ERROR_STOP=1 -U "$DB_USER" -d "$DB_NAME" "$@"; }

students="$(psql_db -tAc 'SELECT count(*) FROM students')"
if [ "$students" = 0 ]; then
  log "seeding sample data"
  psql_db -1 <"$LIFEBOAT_ENV_DIR/sql/seed-sample.sql" >&2
else
  log "sample data: present ($students students)"
fi

log "stack up in $((SECONDS - T0)) s"
{
  echo "== containers"
  docker ps --filter "label=com.docker.compose.project=$PROJECT" \
    --format '  {{.Names}}  {{.Image}}  {{.Status}}'
  echo "== volume"
  docker volume ls --filter "label=com.docker.compose.project=$PROJECT" --format '  {{.Name}}'
  echo "== rows"
  psql_db -tA -F ' ' -c "SELECT '  ' || relname, n FROM (
      SELECT 'users' relname, count(*) n FROM users UNION ALL
      SELECT 'students', count(*) FROM students UNION ALL
      SELECT 'courses', count(*) FROM courses UNION ALL
      SELECT 'enrollments', count(*) FROM enrollments UNION ALL
      SELECT 'audit_log', count(*) FROM audit_log) t"
  echo "== connect"
  echo "  db: docker exec -it $DB_CONTAINER psql -U $DB_USER -d $DB_NAME   (tcp 127.0.0.1:$DB_PORT)"
  echo "  web: $HEALTH_URL"
} >&2
