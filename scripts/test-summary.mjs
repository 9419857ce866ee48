// Prints the closing line of one or more test runs from vitest's JSON reports, and exits
// non-zero if any run failed:
//
//   node scripts/test-summary.mjs REPORT.json VITEST_EXIT_CODE [REPORT.json CODE ...]
//
// The last line is always `N passed, N failed, N skipped`, the plain form CI reads, summed
// over the runs (.ci/run adds the cgroup v2 tests run in the QEMU guest to the host's).
// A test file that fails to load (syntax error, missing import) has no failed tests of its
// own, so it is counted as one failure; a report that is missing altogether (vitest
// crashed) counts as one failure too, so the line never says "0 failed" for a run that
// failed. A "known gap:" test (it.fails: it passes while ts-runc still lacks the
// behaviour, and turns red once it has it) is counted as skipped, not passed: it shows
// something ts-runc does not do yet.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 0) args.push('test-results/vitest.json');

let passed = 0;
let failed = 0;
let skipped = 0;
let anyFailed = false;

for (let i = 0; i < args.length; i += 2) {
  const file = args[i];
  let exitCode = args[i + 1] === undefined ? undefined : Number(args[i + 1]);
  let runFailed = 0;
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    runFailed = report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const suite of report.testResults ?? []) {
      const gaps = (suite.assertionResults ?? []).filter((t) => t.status === 'passed' && /^known gap:/.test(t.title));
      passed -= gaps.length;
      skipped += gaps.length;
      const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
      if (suite.status === 'failed' && failedTests.length === 0) {
        console.log(`test file failed: ${suite.name}${suite.message ? `: ${suite.message.split('\n')[0]}` : ''}`);
        runFailed += 1;
      }
    }
    exitCode ??= report.success ? 0 : 1;
    // vitest fails a run in which no test file matched; say why.
    if (exitCode !== 0 && runFailed === 0) {
      console.log(`${file}: vitest failed outside any test (see its output above)`);
      runFailed = 1;
    }
  } catch (err) {
    console.log(`no test report at ${file}: ${err instanceof Error ? err.message : String(err)}`);
    runFailed = Math.max(runFailed, 1);
    exitCode = exitCode || 1;
  }
  failed += runFailed;
  if (exitCode !== 0) anyFailed = true;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(anyFailed ? 1 : 0);
