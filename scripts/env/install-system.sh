#!/usr/bin/env bash
# Installs the Debian packages the test environment needs, only those missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(docker.io docker-compose mmdebstrap chromium age pigz busybox-static
  libkrb5-dev openssl postgresql-client zstd openssh-server podman)
if [ "$#" -gt 0 ]; then PACKAGES+=("$@"); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "system packages: all ${#PACKAGES[@]} present"
  exit 0
fi

log "system packages missing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -qq >&2
log "apt-get install ${missing[*]}"
# Packages must not start services (openssh-server would listen on *:22): the tests start their
# own servers on 127.0.0.1. policy-rc.d answering 101 is Debian's way to say so.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
  as_root chmod 755 "$POLICY"
  ADDED_POLICY=1
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  -o DPkg::Lock::Timeout=120 --no-install-recommends "${missing[@]}" >&2
if [ -n "$ADDED_POLICY" ]; then as_root rm -f "$POLICY"; fi
log "system packages installed"
