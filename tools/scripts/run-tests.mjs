#!/usr/bin/env node
// Runs every vitest project from the root config once, with the default reporter for people and a
// JSON reporter for this script, then prints a one-line summary as the very last line:
//   Tests: N passed, N failed, N skipped
// Exits non-zero when vitest fails, when the JSON report is missing, or when zero tests ran (a
// suite that runs nothing must not look green).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outputFile = join(root, '.vitest-results.json');
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');

rmSync(outputFile, { force: true });
const vitest = spawnSync(
  process.execPath,
  [vitestBin, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${outputFile}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: process.env },
);

let passed = 0;
let failed = 0;
let skipped = 0;
let reportProblem = '';
if (existsSync(outputFile)) {
  const report = JSON.parse(readFileSync(outputFile, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load (syntax error, missing import) counts no test but fails the suite.
  if ((report.numFailedTestSuites ?? 0) > 0 && failed === 0) reportProblem = `${report.numFailedTestSuites} test file(s) failed to run`;
} else {
  reportProblem = `vitest wrote no JSON report to ${outputFile}`;
}

const vitestFailed = vitest.status !== 0;
if (vitest.error) console.error(`run-tests: could not start vitest: ${vitest.error.message}`);
if (reportProblem) console.error(`run-tests: ${reportProblem}`);
if (passed + failed === 0) console.error('run-tests: zero tests ran; treating that as a failure');
if (vitestFailed) console.error(`run-tests: vitest exited with ${vitest.status ?? vitest.signal}`);

console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(vitestFailed || reportProblem || passed + failed === 0 ? 1 : 0);
