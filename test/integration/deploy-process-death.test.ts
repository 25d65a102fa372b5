// A profile whose process dies (killed, crashed, the machine slept and the app was closed) leaves a
// partial run that still carries the numbers of the windows it measured, and resumes to completion.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { createServices } from '../../src/main/services';
import type { ProfileResult } from '../../src/shared/api/deploy';
import { quantizeVariant, seedFloatModel } from './helpers/deploy-fixture';
import { skipNote, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'deploy process-death test');

it.skipIf(unavailable !== null)(
  'a profile whose process is killed is listed as partial with the results of its stored windows',
  async () => {
    const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-deploy-death-')), 'a.db');
    const setup = createAppContext({ dbPath: db, shell: 'cli' });
    seedFloatModel(setup, { name: 'tiny-fp', perSplit: 3000 });
    await quantizeVariant(setup, 'tiny-fp', 'tiny-w8a8', { weightBits: 8, actBits: 8 });
    await setup.close();

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main/cli/index.ts',
        'profile',
        '--model',
        'tiny-w8a8',
        '--board',
        'virtual:m4',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, BITBENCH_DB: db } },
    );
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    // Kill it once the run has stored a few checkpoints of windows.
    const peek = new Database(db, { readonly: true, fileMustExist: true });
    try {
      await expect
        .poll(
          () =>
            (
              peek.prepare(`SELECT MAX(windows_done) AS n FROM runs WHERE kind = 'profile'`).get() as {
                n: number | null;
              }
            ).n ?? 0,
          { timeout: 60_000, interval: 100 },
        )
        .toBeGreaterThanOrEqual(60);
    } finally {
      peek.close();
    }
    child.kill('SIGKILL');
    await exited;

    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    try {
      const s = createServices(ctx);
      const [run] = await s.deploy.runs({ kind: 'profile', limit: 1 });
      // Formerly: partial with its windows counted but no results — device and host accuracy, bit-exact
      // and latency all blank, `runs show` without a result, the run missing from compare.
      expect(run).toMatchObject({
        state: 'partial',
        note: 'the process running it stopped',
        unit: 'instructions',
      });
      expect(run!.windows).toBeGreaterThanOrEqual(60);
      expect(run!.device_accuracy).toEqual(expect.any(Number));
      expect(run!.bit_exact).toBe(true);
      const detail = await s.deploy.run({ id: run!.id });
      const partial = detail.result as ProfileResult;
      expect(partial).toMatchObject({
        state: 'partial',
        note: 'the process running it stopped',
        bit_exact: true,
      });
      // The stored numbers are those of the stored windows (the last checkpoint), not of fewer.
      expect(partial.windows).toBe(run!.windows);
      expect(partial.device_accuracy).toBe(partial.host_accuracy);
      const row = (await s.deploy.compare({ model: 'tiny-fp' })).rows.find((r) => r.name === 'tiny-w8a8')!;
      expect(row).toMatchObject({ run_id: run!.id, run_state: 'partial', bit_exact: true });
    } finally {
      await ctx.close();
    }
  },
  180_000,
);
