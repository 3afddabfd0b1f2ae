#!/usr/bin/env bash
# Starts code-server (installed by install-code-server.sh) with a private, quiet profile and
# waits until /healthz answers. Stays in the foreground; Ctrl-C / SIGTERM stops code-server.
#
#   bash scripts/vscode/code-server.sh [--port N] [--state-dir DIR] [--test-mode] [--fresh]
#                                      [--install-extension X.vsix] [-- extra code-server args]
#
#   --port N        127.0.0.1:N (default $LIFEBOAT_VSCODE_PORT or 8080)
#   --state-dir D   HOME, XDG_*, user-data and extensions dirs live under D
#                   (default ${TMPDIR:-/tmp}/lifeboat-vscode/profile: outside the checkout, so an
#                   installed extension cannot find the checkout's node_modules)
#   --fresh         delete the state dir first
#   --test-mode     add --vscode-option enable-smoke-test-driver (needed for extension
#                   development / extension-host tests through the URL payload)
#   --install-extension X.vsix   install X into the extensions dir before starting
#
# Prints "CODE_SERVER_READY http://127.0.0.1:N/" on stdout once /healthz answers.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${LIFEBOAT_VSCODE_CACHE:-$REPO/.cache/vscode}"
PORT="${LIFEBOAT_VSCODE_PORT:-8080}"
STATE="${TMPDIR:-/tmp}/lifeboat-vscode/profile"
TEST_MODE=""
FRESH=""
VSIX=""
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PORT="$2"; shift 2 ;;
    --state-dir) STATE="$2"; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --test-mode) TEST_MODE=1; shift ;;
    --install-extension) VSIX="$2"; shift 2 ;;
    --) shift; EXTRA+=("$@"); break ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done

log() { echo "[code-server.sh] $*" >&2; }

# Paths of Node 24 and code-server (installs them if missing; quiet when cached).
eval "$(bash "$REPO/scripts/vscode/install-code-server.sh")"
: "${NODE24:?}" "${CODE_SERVER_ENTRY:?}"

[[ -n "$FRESH" ]] && rm -rf "$STATE"
USER_DATA="$STATE/user-data"
EXT_DIR="$STATE/extensions"
mkdir -p "$STATE"/{home,config,data,cache,state,runtime} "$USER_DATA/User" "$EXT_DIR"
chmod 700 "$STATE/runtime"

export HOME="$STATE/home"
export XDG_CONFIG_HOME="$STATE/config"
export XDG_DATA_HOME="$STATE/data"
export XDG_CACHE_HOME="$STATE/cache"
export XDG_STATE_HOME="$STATE/state"
export XDG_RUNTIME_DIR="$STATE/runtime"
export PATH="$(dirname "$NODE24"):$PATH"
# No extension gallery (offline: open-vsx.org is unreachable, and its lookups only add errors
# and delay). Set EXTENSIONS_GALLERY yourself to use one.
export EXTENSIONS_GALLERY="${EXTENSIONS_GALLERY:-"{}"}"
# Keep the Node 20 toolchain's settings out of code-server's Node 24.
unset NODE_OPTIONS npm_config_nodedir || true

# Quiet user settings (written each start; edit LIFEBOAT_VSCODE_SETTINGS to add to them).
cat > "$USER_DATA/User/settings.json" <<JSON
{
  "telemetry.telemetryLevel": "off",
  "telemetry.feedback.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "chat.commandCenter.enabled": false,
  "chat.agent.enabled": false,
  "git.enabled": false,
  "git.autoRepositoryDetection": false,
  "git.openRepositoryInParentFolders": "never",
  "github.gitAuthentication": false,
  "update.mode": "none",
  "update.showReleaseNotes": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "npm.autoDetect": "off",
  "typescript.tsc.autoDetect": "off",
  "task.autoDetect": "off",
  "window.restoreWindows": "none",
  "files.hotExit": "off"${LIFEBOAT_VSCODE_SETTINGS:+,
  $LIFEBOAT_VSCODE_SETTINGS}
}
JSON

if [[ -n "$VSIX" ]]; then
  log "installing $VSIX into $EXT_DIR"
  "$NODE24" "$CODE_SERVER_ENTRY" --user-data-dir "$USER_DATA" --extensions-dir "$EXT_DIR" \
    --install-extension "$VSIX" --force >&2
fi

ARGS=(--auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check
      --disable-workspace-trust --disable-getting-started-override
      --user-data-dir "$USER_DATA" --extensions-dir "$EXT_DIR")
[[ -n "$TEST_MODE" ]] && ARGS+=(--vscode-option enable-smoke-test-driver)

log "starting code-server on 127.0.0.1:$PORT (state: $STATE)"
"$NODE24" "$CODE_SERVER_ENTRY" "${ARGS[@]}" "${EXTRA[@]}" &
CS_PID=$!
stop() { kill -TERM "$CS_PID" 2>/dev/null || true; wait "$CS_PID" 2>/dev/null || true; }
trap 'stop; exit 143' TERM
trap 'stop; exit 130' INT
trap 'stop' EXIT

for _ in $(seq 1 300); do
  if ! kill -0 "$CS_PID" 2>/dev/null; then log "code-server exited early"; wait "$CS_PID"; exit 1; fi
  if "$NODE24" -e "require('http').get('http://127.0.0.1:$PORT/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))" 2>/dev/null; then
    echo "CODE_SERVER_READY http://127.0.0.1:$PORT/"
    wait "$CS_PID"
    exit $?
  fi
  sleep 0.2
done
log "code-server did not answer /healthz within 60 s"
exit 1
