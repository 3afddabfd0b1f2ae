#!/usr/bin/env bash
# Everything the demo and the tests need, on a fresh Debian 12 machine (as root) or again in
# seconds: Debian packages, the Docker engine, the local images, the demo stack with sample
# data, npm dependencies, and a real VS Code (code-server) for the extension tests.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
log() { echo "[setup] $*" >&2; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
fi
bash scripts/env/stack-up.sh
bash scripts/vscode/install-code-server.sh >&2
log "ready"
