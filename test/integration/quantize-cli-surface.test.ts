import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { reportWarnings, type PtqReport } from '../../src/shared/api/quant';
import { createServices } from '../../src/main/services';
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
    // The list's verdicts come along: show and list say the same of a variant.
    const listed = (
      JSON.parse((await cli(['variants', 'list', '--json'])).out) as Array<Record<string, unknown>>
    ).find((v) => v.name === 'tiny-w1a1')!;
    const shown = JSON.parse(old.out) as Record<string, unknown>;
    for (const k of ['mixed', 'collapsed', 'created_at']) expect(shown[k]).toEqual(listed[k]);
    // --integer-model prints only with --json: refused without it, not silently ignored.
    const noJson = await cli(['variants', 'show', 'tiny-w1a1', '--integer-model']);
    expect(noJson.code).toBe(1);
    expect(noJson.err).toMatch(/--integer-model goes with --json/);
  }, 60_000);

  it('sensitivity refuses a bit width listed twice, and training flags in ptq mode, before any job', async () => {
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
    // PTQ mode trains nothing: a training flag would be ignored.
    const epochs = await cli([
      'sensitivity',
      '--model',
      'tiny-fp',
      '--mode',
      'ptq',
      '--epochs',
      '10',
      '--max-train',
      '50',
    ]);
    expect(epochs.code).toBe(1);
    expect(epochs.err).toMatch(
      /--epochs, --max-train: --mode ptq rounds the float weights without training and would ignore them/,
    );
    const jobs = JSON.parse((await cli(['jobs', 'list', '--kind', 'lowbit-sensitivity', '--json'])).out);
    expect(jobs).toEqual([]);
  }, 60_000);

  it('refuses a method step named twice, and a step count for a step the method does not have', async () => {
    const q = (args: string[]) =>
      cli(['quantize', '--model', 'tiny-fp', '--name', 'tiny-x', '--json', ...args]);
    for (const [args, re] of [
      [['--method', 'mse+mse'], /--method: method names mse twice/],
      [['--method', 'cle+mse+adaround+cle'], /--method: method names cle twice/],
      [
        ['--method', 'mse', '--iterations', '20'],
        /--iterations sets the steps of a layerwise optimiser .* method "mse" has none/,
      ],
      [['--iterations', '20'], /method "minmax" has none/],
      [
        ['--method', 'mse+adaround', '--tuning-iterations', '20'],
        /--tuning-iterations sets the steps of bias-tuning, weight-tuning or range-tuning; method "mse\+adaround" has none/,
      ],
      [
        ['--method', 'mse+qdrop'],
        /qdrop changes how the learning steps see the activations .* "mse\+qdrop" has none/,
      ],
      [
        ['--method', 'mse+adaround', '--qdrop-prob', '0.3'],
        /--qdrop-prob .* method "mse\+adaround" has no qdrop step/,
      ],
      [['--method', 'mse+adaround+qdrop', '--qdrop-prob', '1'], /--qdrop-prob: "1" is not a probability/],
    ] as const) {
      const r = await q([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(re);
      expect(JSON.parse(r.out).error.code).toBe('bad_request');
    }
    // The service (the Quantize page's path) refuses the repeated step too.
    const services = createServices(ctx);
    await expect(
      Promise.resolve().then(() =>
        services.quant.quantize({
          model: 'tiny-fp',
          name: 'tiny-x',
          method: 'adaround+mse+adaround',
          config: {},
          overwrite: false,
        }),
      ),
    ).rejects.toThrow(/method names adaround twice/);
    const jobs = JSON.parse((await cli(['jobs', 'list', '--kind', 'quantize', '--json'])).out) as Array<{
      params: { name: string };
    }>;
    expect(jobs.filter((j) => j.params.name === 'tiny-x')).toEqual([]);
    // With the step there, the same flags are taken.
    const ok = await q([
      '--method',
      'mse+adaround+bias-tuning',
      '--iterations',
      '5',
      '--tuning-iterations',
      '5',
      '--calib',
      '32',
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).config).toMatchObject({
      iterations: 5,
      biasTuningIterations: 5,
      calibSize: 32,
    });
  }, 120_000);

  it('a per-layer table entry that changes no bits does not make the variant mixed; one that does, does', async () => {
    const q = (name: string, table: string) =>
      cli([
        'quantize',
        '--model',
        'tiny-fp',
        '--name',
        name,
        '--weights',
        '4',
        '--acts',
        '4',
        '--calib',
        '32',
        '--layer-bits',
        table,
        '--json',
      ]);
    // conv1 at the defaults; fc (the logits) keeps 8-bit activations unless asked, so fc=4 only restates its weights.
    const same = await q('tiny-same', 'conv1=4/4,fc=4');
    expect(same.code, same.err).toBe(0);
    expect(JSON.parse(same.out).config.layerBits).toEqual({});
    // fc=/4 lowers the logits from their 8 bits: a real change.
    const lower = await q('tiny-logits4', 'conv1=4/4,fc=/4');
    expect(lower.code, lower.err).toBe(0);
    expect(JSON.parse(lower.out).config.layerBits).toEqual({ fc: { acts: 4 } });
    const list = JSON.parse((await cli(['variants', 'list', '--model', 'tiny-fp', '--json'])).out) as Array<{
      name: string;
      mixed: boolean;
    }>;
    expect(list.find((v) => v.name === 'tiny-same')!.mixed).toBe(false);
    expect(list.find((v) => v.name === 'tiny-logits4')!.mixed).toBe(true);
  }, 120_000);

  it('quantize --method …+qdrop --qdrop-prob runs QDrop and stores it in the method and the config', async () => {
    const r = await runCliCaptured(
      [
        'quantize',
        '--model',
        'tiny-fp',
        '--name',
        'tiny-qdrop',
        '--weights',
        '4',
        '--acts',
        '4',
        '--calib',
        '32',
        '--method',
        'mse+adaround+qdrop',
        '--iterations',
        '20',
        '--qdrop-prob',
        '0.3',
        '--json',
      ],
      db,
    );
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as PtqReport;
    expect(rep.method).toBe('mse+adaround+qdrop');
    expect(rep.config).toMatchObject({ qdrop: true, qdropProb: 0.3 });
    // The text report's arena is the minimum the firmware needs, and says so (deploy estimate's
    // "arena used" can be larger on a board with room to keep every activation).
    const shown = await cli(['variants', 'show', 'tiny-qdrop']);
    expect(shown.out).toContain(`firmware arena at least ${rep.arena_bytes.toLocaleString('en-US')} B`);
  }, 120_000);
});
