#!/usr/bin/env node
// `bitbench` command line: runs the built CLI (out/main/cli.js). `npm install` builds it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`bitbench is not built yet (${cli} missing). Run: npm run build\n`);
  process.exit(1);
}
await import(pathToFileURL(cli).href);
