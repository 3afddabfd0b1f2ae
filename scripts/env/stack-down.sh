#!/usr/bin/env bash
# Stops and removes the "sms" stack's containers. The named volume
# sms_postgres_data is kept unless --volumes (or -v) is given.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

args=()
for a in "$@"; do
  case "$a" in
    -v|--volumes) args+=(--volumes) ;;
    *) die "unknown argument: $a (use --volumes to remove sms_postgres_data too)" ;;
  esac
done
if ! docker info >/dev/null 2>&1; then
  log "docker engine not running: nothing to stop"
  exit 0
fi
log "docker-compose -p sms down ${args[*]:-}"
(cd "$DEMO_DIR" && docker-compose -p sms down "${args[@]}" 2>&1 | sed 's/^/  /' >&2)
log "stack down"
