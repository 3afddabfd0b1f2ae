#!/usr/bin/env bash
# A real VS Code (code-server, in the browser) with the Lifeboat extension installed from a
# .vsix, opened on the demo folder. Stays in the foreground; Ctrl-C stops it.
#
#   bash scripts/vscode/demo-vscode.sh [PORT]
#
# Env: LIFEBOAT_VSCODE_PORT (default 8080; or the first argument), LIFEBOAT_DEMO_FOLDER (default
#      <repo>/demo), LIFEBOAT_VSIX (default: build dist/lifeboat.vsix with `npm run package`),
#      LIFEBOAT_DEMO_STATE (code-server profile; default ~/.local/state/lifeboat/demo-profile,
#      outside the checkout like a user's own profile, kept between runs; FRESH=1 starts from a
#      clean one).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${1:-${LIFEBOAT_VSCODE_PORT:-8080}}"
FOLDER="${LIFEBOAT_DEMO_FOLDER:-$REPO/demo}"
STATE="${LIFEBOAT_DEMO_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/lifeboat/demo-profile}"
log() { echo "[demo-vscode] $*" >&2; }

if [[ -n "${LIFEBOAT_VSIX:-}" ]]; then
  VSIX="$LIFEBOAT_VSIX"
else
  log "packaging the extension (npm run package -> dist/lifeboat.vsix)"
  (cd "$REPO" && npm run --silent package >&2)
  VSIX="$REPO/dist/lifeboat.vsix"
fi
[[ -f "$VSIX" ]] || { log "no vsix at $VSIX"; exit 1; }
[[ -d "$FOLDER" ]] || { log "demo folder $FOLDER does not exist"; exit 1; }

FRESH_ARG=()
[[ -n "${FRESH:-}" ]] && FRESH_ARG=(--fresh)

URL="http://127.0.0.1:$PORT/?folder=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$FOLDER")"
# code-server.sh prints CODE_SERVER_READY once /healthz answers; print the URL then.
bash "$REPO/scripts/vscode/code-server.sh" --port "$PORT" --state-dir "$STATE" "${FRESH_ARG[@]}" \
  --install-extension "$VSIX" -- --ignore-last-opened \
  | while IFS= read -r line; do
      if [[ "$line" == CODE_SERVER_READY* ]]; then
        echo
        echo "  Lifeboat demo: open $URL"
        echo "  (from another machine: ssh -L $PORT:127.0.0.1:$PORT <this host>, then the same URL)"
        echo
      else
        echo "$line"
      fi
    done
