#!/usr/bin/env bash
# Every test, against real parts: static checks, unit tests, integration tests on a real Docker
# engine and PostgreSQL, extension-host tests in a real VS Code, and the UI flow in Chromium.
# Ends with one line "total: N passed, N failed, N skipped".
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
LOGDIR="$REPO/test-results/logs"
mkdir -p "$LOGDIR"

bash scripts/setup.sh || { echo "setup failed"; echo "total: 0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0; broken=()
# The unit and integration steps add their coverage here, and the integration tests their fault
# records; the coverage and fault-matrix steps report them (the latter writes docs/reliability.md).
rm -rf coverage test-results/fault-matrix.jsonl

count() { awk -v w="$1" '$2 == w && $1 ~ /^[0-9]+$/ { n += $1 } END { print n + 0 }' "$2"; }

# A step's output goes to the console and a log; mocha's summary lines are added up.
step() {
  local name="$1"; shift
  echo; echo "=== $name: $*"
  local log="$LOGDIR/$name.log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f s
  p=$(count passing "$log"); f=$(count failing "$log"); s=$(count pending "$log")
  if ! grep -Eq '^\s*[0-9]+ (passing|failing)' "$log"; then
    # A step without mocha output (type check, lint, a UI flow) counts as one test.
    if [ "$rc" -eq 0 ]; then p=1; else f=1; fi
  elif [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  [ "$rc" -eq 0 ] || broken+=("$name")
}

step typecheck npm run --silent typecheck
step lint npm run --silent lint
step check-commands npm run --silent check-commands
step unit npm run --silent test:unit
step integration npm run --silent test:integration
step coverage npm run --silent coverage
step fault-matrix node scripts/fault-matrix.mjs
step package npm run --silent test:package
step extension npm run --silent test:extension
step ui npm run --silent test:ui

echo
if [ ${#broken[@]} -gt 0 ]; then echo "failed steps: ${broken[*]} (logs in $LOGDIR)"; fi
echo "total: $passed passed, $failed failed, $skipped skipped"
[ ${#broken[@]} -eq 0 ]
