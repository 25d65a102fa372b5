import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { JobsRepo } from '../../src/main/store/jobs-repo';

/**
 * `bitbench jobs list --json | head`: a reader that stops early closes the pipe; the CLI ends
 * quietly with 0 instead of dying on EPIPE. Run as a real process, its stdout a real pipe.
 */
it('a closed stdout pipe ends the CLI quietly', async () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-pipe-')), 'a.db');
  const ctx = createAppContext({ dbPath: db, shell: 'cli' });
  const jobs = new JobsRepo(ctx.db);
  // ~1000 jobs: far more JSON than a pipe buffer holds, so the CLI is still writing when the reader leaves.
  for (let i = 0; i < 1000; i++)
    jobs.insert(`job-${i}`, 'quantize', { model: 'm', name: `v${i}`, pad: 'x'.repeat(200) });
  await ctx.close();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main/cli/index.ts', 'jobs', 'list', '--limit', '1000', '--json', '--db', db],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  // Read one chunk, then close the pipe like `head -1` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(stderr).not.toMatch(/EPIPE|Error/);
  expect(code).toBe(0);
}, 60_000);
