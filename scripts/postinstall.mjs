// Root postinstall. npm 11 blocks dependency install scripts unless package.json's
// `allowScripts` approves them; Electron's is denied there on purpose because it downloads
// the Electron binary, which fails on machines without internet and would fail the whole
// install. We run it here instead, best-effort: on a machine with internet the real binary
// arrives; without one we print why and carry on (`npm start` then serves the headless host).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function electronInstallScript() {
  try {
    return path.join(path.dirname(require.resolve('electron/package.json')), 'install.js');
  } catch {
    return undefined;
  }
}

const script = electronInstallScript();
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('[bitbench] ELECTRON_SKIP_BINARY_DOWNLOAD set: not fetching the Electron binary.');
} else if (script && existsSync(script)) {
  const res = spawnSync(process.execPath, [script], { stdio: 'pipe', timeout: 180_000 });
  if (res.status === 0) {
    console.log('[bitbench] Electron binary ready: `npm start` opens the desktop window.');
  } else {
    const why = (res.stderr?.toString() || res.error?.message || 'unknown error').split('\n')[0];
    console.log(
      `[bitbench] Electron binary not available (${why.slice(0, 160)}).\n` +
        '[bitbench] That is fine: `npm start` will serve the same app headless at http://127.0.0.1.',
    );
  }
}

// Build the app once so `npx bitbench` and `npm start` work right after install.
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const viteBin = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
if (existsSync(viteBin)) {
  const build = spawnSync(process.execPath, [viteBin, 'build'], { cwd: root, stdio: 'pipe' });
  console.log(
    build.status === 0
      ? '[bitbench] app built (out/): `npm start` runs it, `npx bitbench --help` lists the commands.'
      : `[bitbench] build failed (run \`npm run build\` to see why): ${build.stderr.toString().slice(0, 300)}`,
  );
}
