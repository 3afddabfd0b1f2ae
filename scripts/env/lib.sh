# shellcheck shell=bash
# Shared helpers for scripts/env/*.sh. Source it; do not run it.
LIFEBOAT_ENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LIFEBOAT_ENV_DIR/../.." && pwd)"
CACHE_DIR="${LIFEBOAT_CACHE_DIR:-$REPO_ROOT/.cache}"
DEMO_DIR="$REPO_ROOT/demo"
export REPO_ROOT CACHE_DIR DEMO_DIR

log() { printf '[lifeboat-env %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run "$@" as root (sudo when not root).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
