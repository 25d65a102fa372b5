import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The app's data folder, the same one Electron's app.getPath('userData') gives for "bitbench". */
export function userDataDir(): string {
  if (process.env.BITBENCH_HOME) return path.resolve(process.env.BITBENCH_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'bitbench');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'bitbench');
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'bitbench');
  }
}

/** `--db` beats `BITBENCH_DB` beats the default file in the data folder. */
export function resolveDbPath(flag?: string): string {
  if (flag) return path.resolve(flag);
  if (process.env.BITBENCH_DB) return path.resolve(process.env.BITBENCH_DB);
  return path.join(userDataDir(), 'bitbench.db');
}

/** The repository / installed package root (holds package.json, out/, resources/, firmware/). */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function resourcesDir(): string {
  return path.join(appRoot(), 'resources');
}
