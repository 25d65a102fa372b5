import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { reportWarnings, type PtqReport } from '../../src/shared/api/quant';
import { runCliCaptured } from './helpers/cli';
import { quantizeVariant, seedFloatModel } from './helpers/deploy-fixture';

/**
 * The quantize / variants command line on a small generated model (seconds, no data files): what a
 * user sees in the JSON and in the refusals.
 */
describe('quantize and variants on the command line (small model)', () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-qcli-')), 'a.db');
  let ctx: AppContext;
  beforeAll(async () => {
    ctx = createAppContext({ dbPath: db, shell: 'cli' });
    seedFloatModel(ctx);
    // 1-bit weights and 1-bit activations: the little model collapses (a report with warnings).
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w1a1', { weightBits: 1, actBits: 1 });
  }, 120_000);
  afterAll(async () => ctx?.close());

  const cli = (args: string[]) => runCliCaptured(args, db);

  it('variants show --json carries warnings for a report stored before the field existed', async () => {
    const fresh = JSON.parse((await cli(['variants', 'show', 'tiny-w1a1', '--json'])).out) as PtqReport;
    expect(fresh.warnings).toEqual(reportWarnings(fresh));
    expect(fresh.warnings!.length).toBeGreaterThan(0);
    // As a variant quantized before 2026-12-06 is stored: the same report without `warnings`.
    ctx.db.prepare(`UPDATE quant_variants SET report = json_remove(report, '$.warnings')`).run();
    const old = await cli(['variants', 'show', 'tiny-w1a1', '--json']);
    expect(old.code).toBe(0);
    expect((JSON.parse(old.out) as PtqReport).warnings).toEqual(fresh.warnings);
  }, 60_000);

  it('sensitivity refuses a bit width listed twice, before any job', async () => {
    const r = await cli([
      'sensitivity',
      '--model',
      'tiny-fp',
      '--bits',
      '2,4,2',
      '--mode',
      'ptq',
      '--seeds',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bits: 2 is listed twice \(2,4,2\)/);
    const jobs = JSON.parse((await cli(['jobs', 'list', '--kind', 'lowbit-sensitivity', '--json'])).out);
    expect(jobs).toEqual([]);
  }, 60_000);
});
