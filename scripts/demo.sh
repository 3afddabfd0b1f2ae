#!/usr/bin/env bash
# The main job in one command: set up (see setup.sh), then a real VS Code in the browser with
# Lifeboat installed, opened on the runbook's demo stack. Prints the URL to open.
#   bash scripts/demo.sh [PORT]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/scripts/setup.sh"
exec bash "$REPO/scripts/vscode/demo-vscode.sh" "$@"
