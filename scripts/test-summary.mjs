// Prints the closing line of a test run from vitest's JSON report, and exits with
// vitest's status:
//
//   node scripts/test-summary.mjs test-results/vitest.json VITEST_EXIT_CODE
//
// The last line is always `N passed, N failed, N skipped`, the plain form CI reads.
// A test file that fails to load (syntax error, missing import) has no failed tests
// of its own, so it is counted as one failure; a report that is missing altogether
// (vitest crashed) counts as one failure too, so the line never says "0 failed"
// for a run that failed. A "known gap:" test (it.fails: it passes while ts-runc still
// lacks the behaviour, and turns red once it has it) is counted as skipped, not passed:
// it shows something ts-runc does not do yet.
import { readFileSync } from 'node:fs';

const [file = 'test-results/vitest.json', codeArg] = process.argv.slice(2);
let exitCode = codeArg === undefined ? undefined : Number(codeArg);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    const gaps = (suite.assertionResults ?? []).filter((t) => t.status === 'passed' && /^known gap:/.test(t.title));
    passed -= gaps.length;
    skipped += gaps.length;
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
    if (suite.status === 'failed' && failedTests.length === 0) {
      console.log(`test file failed: ${suite.name}${suite.message ? `: ${suite.message.split('\n')[0]}` : ''}`);
      failed += 1;
    }
  }
  exitCode ??= report.success ? 0 : 1;
  // vitest fails a run in which no test file matched; say why.
  if (exitCode !== 0 && failed === 0) {
    console.log('vitest failed outside any test (see its output above)');
    failed = 1;
  }
} catch (err) {
  console.log(`no test report at ${file}: ${err instanceof Error ? err.message : String(err)}`);
  failed = Math.max(failed, 1);
  exitCode = exitCode || 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(exitCode);
