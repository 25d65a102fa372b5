// `npm test`: builds what the tests drive (the app bundle for the E2E tests, the firmware for the
// virtual-board tests when the ARM toolchain is here), runs every test with Vitest, and closes
// with one summary line "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const step = (title, cmd, args) => {
  console.log(`\n── ${title}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  return r.status === 0;
};
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (!step('build the app (electron-vite)', bin('electron-vite'), ['build'])) process.exit(1);
if (existsSync(path.join(root, 'firmware', 'Makefile'))) {
  if (has('arm-none-eabi-gcc')) {
    if (!step('build the firmware (make -C firmware)', 'make', ['-C', 'firmware', '-j2'])) process.exit(1);
  } else {
    console.log(
      '\n── firmware not built: arm-none-eabi-gcc is not installed (virtual-board tests will be skipped)',
    );
  }
}

mkdirSync(path.join(root, 'test-results'), { recursive: true });
const report = path.join(root, 'test-results', 'vitest.json');
const args = [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
console.log('\n── vitest');
const res = spawnSync(bin('vitest'), args, { stdio: 'inherit', cwd: root });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  // A file that failed before running any test (an import error) counts as one failure; a file
  // whose tests failed is already counted through its tests.
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
  ).length;
  failed = (r.numFailedTests ?? 0) + brokenFiles;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  failed = 1;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(res.status === 0 && failed === 0 ? 0 : 1);
