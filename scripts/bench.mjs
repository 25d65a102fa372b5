// `npm run bench -- <name> [args]`: runs bench/<name>.ts (each prints ratios against a baseline it
// measures in the same run). Without a name, lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.log(`usage: npm run bench -- <name>\nbenchmarks: ${available.join(', ') || '(none yet)'}`);
  process.exit(name ? 1 : 0);
}
const file = path.join(root, 'bench', `${name}.ts`);
if (!existsSync(file)) process.exit(1);
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...rest], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
