// `npm start`: build, then open the Electron window when the Electron binary is installed, or
// serve the same app headless on 127.0.0.1 when it is not (machines without internet at install).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const passArgs = process.argv.slice(2);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status === 0;
}

function electronBinary() {
  try {
    const p = require('electron'); // a path string when the binary is installed; throws otherwise
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * better-sqlite3 is built for Node's ABI (tests, CLI, host). Electron needs its own build: we keep
 * it apart in .cache/electron-native/<electron version>/ and hand its path to the app
 * (BITBENCH_SQLITE_BINDING → better-sqlite3's nativeBinding), so both runtimes work side by side.
 * serialport ships N-API prebuilds that load in both without a rebuild.
 */
function electronSqliteBinding() {
  const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  const dir = path.join(root, '.cache', 'electron-native', electronVersion, 'better-sqlite3');
  const binding = path.join(dir, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(binding)) return binding;
  console.log(`[bitbench] building better-sqlite3 for Electron ${electronVersion} (once)…`);
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(path.dirname(require.resolve('better-sqlite3/package.json')), dir, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}build${path.sep}`),
  });
  const prebuilt = run(
    process.execPath,
    [
      path.join(root, 'node_modules', 'prebuild-install', 'bin.js'),
      '--runtime',
      'electron',
      '--target',
      electronVersion,
    ],
    { cwd: dir },
  );
  if (!prebuilt) {
    const nodeGyp = path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    );
    const gyp = existsSync(nodeGyp) ? [process.execPath, nodeGyp] : ['npx', 'node-gyp'];
    run(
      gyp[0],
      [
        ...gyp.slice(1),
        'rebuild',
        '--release',
        `--target=${electronVersion}`,
        '--dist-url=https://electronjs.org/headers',
      ],
      { cwd: dir },
    );
  }
  return existsSync(binding) ? binding : undefined;
}

if (
  !run(process.execPath, [
    path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'),
    'build',
  ])
) {
  console.error('[bitbench] build failed');
  process.exit(1);
}

// Virtual boards run our firmware under QEMU: build it when the ARM toolchain is here (make skips
// what is up to date); without it the Devices page says what to install.
const hasCmd = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
if (hasCmd('arm-none-eabi-gcc') && hasCmd('make')) {
  if (!run('make', ['-C', 'firmware', '-j2', '-s']))
    console.warn('[bitbench] firmware build failed: virtual boards are unavailable.');
} else {
  console.log(
    '[bitbench] gcc-arm-none-eabi not installed: virtual boards need it (and qemu-system-arm) — ' +
      'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm',
  );
}

const electron = electronBinary();
if (electron && !process.env.BITBENCH_HEADLESS) {
  const binding = electronSqliteBinding();
  if (!binding)
    console.warn(
      '[bitbench] could not build better-sqlite3 for Electron; the app will report a database error.',
    );
  const child = spawn(electron, ['.', ...passArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...(binding ? { BITBENCH_SQLITE_BINDING: binding } : {}) },
  });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    electron
      ? '[bitbench] BITBENCH_HEADLESS set: serving the headless host.'
      : '[bitbench] No Electron binary on this machine (its download needs internet): serving the same app headless.',
  );
  const child = spawn(process.execPath, [path.join(root, 'out', 'main', 'host.js'), ...passArgs], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
