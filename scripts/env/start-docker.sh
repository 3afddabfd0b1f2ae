#!/usr/bin/env bash
# Starts the Docker engine without a bridge network when it is not running.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if docker info >/dev/null 2>&1; then
  log "docker engine: already running"
  exit 0
fi
command -v dockerd >/dev/null || die "dockerd not installed (run scripts/env/install-system.sh)"

LOG_FILE=/var/log/lifeboat-dockerd.log
if ! touch "$LOG_FILE" 2>/dev/null; then
  mkdir -p "$CACHE_DIR"; LOG_FILE="$CACHE_DIR/dockerd.log"
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd process exists but does not answer yet; waiting"
else
  log "starting dockerd (no bridge, no iptables); log: $LOG_FILE"
  # setsid + nohup: the daemon outlives this script and its session.
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false \
    >>"$LOG_FILE" 2>&1 </dev/null &
fi

for _ in $(seq 1 120); do
  if [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; then
    log "docker engine: up ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 0.5
done
tail -n 30 "$LOG_FILE" >&2 || true
die "docker engine did not come up within 60 s"
