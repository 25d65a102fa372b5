import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/main/cli/program';
import { CliRuntime } from '../../../src/main/cli/runtime';
import { createAppContext } from '../../../src/main/context';
import { evaluateModel } from '../../../src/main/ml/training-service';
import { DatasetsRepo } from '../../../src/main/store/datasets-repo';

/**
 * End to end through the CLI and the services: import the real gesture-to-emoji data, train the
 * seed 000 CNN→GRU→FC model in a worker, read it back (list, model card, evaluate), and see
 * the refusals. The data set is read from ../shared/datasets (never copied).
 */
const GESTURES = path.resolve('../shared/datasets/gesture-to-emoji');
const have = existsSync(GESTURES);
if (!have) console.warn(`skipping training CLI tests: ${GESTURES} not found`);

async function cli(args: string[]): Promise<{ code: number; out: unknown; err: string }> {
  let out = '';
  let err = '';
  // Errors go to process.stderr (and the --json error object to process.stdout).
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(args, new CliRuntime((s) => (out += s)));
    return { code, out: out.trim() ? (JSON.parse(out) as unknown) : null, err };
  } finally {
    spyErr.mockRestore();
    spyOut.mockRestore();
  }
}

describe.skipIf(!have)('bitbench train / models / evaluate', () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-train-')), 'a.db');

  it('trains gesture-cnn-gru on gesture-to-emoji and stores a model card', async () => {
    expect(
      (await cli(['datasets', 'import', 'csv', GESTURES, '--name', 'gestures', '--db', db, '--json'])).code,
    ).toBe(0);
    const args = [
      'train',
      '--dataset',
      'gestures',
      '--arch',
      'gesture-cnn-gru',
      '--epochs',
      '15',
      '--lr',
      '0.01',
    ];
    const r = await cli([
      ...args,
      '--batch-size',
      '8',
      '--seed',
      '1',
      '--name',
      'g-fp',
      '--db',
      db,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const s = r.out as Record<string, unknown>;
    for (const k of [
      'name',
      'arch',
      'params',
      'epochs',
      'seconds',
      'backend',
      'val_accuracy',
      'test_accuracy',
    ])
      expect(s).toHaveProperty(k);
    expect(s).toMatchObject({
      name: 'g-fp',
      arch: 'gesture-cnn-gru',
      params: 321,
      epochs: 15,
      dataset: 'gestures',
    });
    // Punch vs flex is easy: the float model must separate the held-out recordings.
    expect(s.test_accuracy as number).toBeGreaterThanOrEqual(0.8);
    // Every training window, unless asked otherwise.
    const trainSplit = (
      (await cli(['datasets', 'show', 'gestures', '--db', db, '--json'])).out as {
        splits: Record<string, number>;
      }
    ).splits.train!;
    expect(s.train_windows).toBe(trainSplit);

    const list = (await cli(['models', 'list', '--db', db, '--json'])).out as Array<Record<string, unknown>>;
    expect(list.map((m) => m.name)).toEqual(['g-fp']);
    const card = (await cli(['models', 'show', 'g-fp', '--db', db, '--json'])).out as Record<string, unknown>;
    expect(card).toMatchObject({
      name: 'g-fp',
      params: 321,
      size_bytes: 1284,
      classes: ['flex', 'punch'],
      input_shape: [119, 6],
    });
    expect((card.curves as unknown[]).length).toBe(15);
    expect(
      (card.evaluations as Record<string, { confusion: { matrix: number[][] } }>).test!.confusion.matrix,
    ).toHaveLength(2);

    const ev = (await cli(['evaluate', '--model', 'g-fp', '--split', 'test', '--db', db, '--json']))
      .out as Record<string, unknown>;
    expect(ev.accuracy).toBe(s.test_accuracy);
    expect(ev.per_class).toHaveLength(2);

    // The dataset version is locked; the in-process helper gives the same numbers.
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    try {
      expect(new DatasetsRepo(ctx.db).find('gestures')!.locked).toBe(true);
      expect((await evaluateModel(ctx, 'g-fp', 'test')).accuracy).toBe(s.test_accuracy);
    } finally {
      await ctx.close();
    }
  });

  it('refuses before training: wrong window shape, unknown arch, taken name, bad spec', async () => {
    const base = ['--dataset', 'gestures', '--epochs', '1', '--db', db, '--json'];
    const wrong = await cli(['train', '--arch', 'har-cnn', '--name', 'x1', ...base]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/takes windows of shape \[128, 9\].*\[119, 6\]/);
    // And says what to do instead.
    expect(wrong.err).toMatch(/or a custom one \(arch "custom"\) whose inputShape is \[119, 6\]/);
    expect((await cli(['train', '--arch', 'resnet', '--name', 'x2', ...base])).err).toMatch(
      /Unknown architecture/,
    );
    expect((await cli(['train', '--arch', 'gesture-cnn-gru', '--name', 'g-fp', ...base])).err).toMatch(
      /already exists/,
    );
    expect((await cli(['train', '--arch', 'custom', '--name', 'x3', ...base])).err).toMatch(/needs --spec/);
    expect((await cli(['models', 'list', '--db', db, '--json'])).out).toHaveLength(1);
  });

  it('--max-train trains on a seeded sample of the training windows, the same one for the same seed', async () => {
    const args = (name: string, seed: string) => [
      'train',
      '--dataset',
      'gestures',
      '--arch',
      'gesture-cnn-gru',
      '--epochs',
      '2',
      '--max-train',
      '12',
      '--seed',
      seed,
      '--name',
      name,
      '--db',
      db,
      '--json',
    ];
    const a = (await cli(args('g-s12a', '3'))).out as Record<string, unknown>;
    const b = (await cli(args('g-s12b', '3'))).out as Record<string, unknown>;
    expect(a.train_windows).toBe(12);
    // Deterministic: the same sample and the same weights.
    expect(b.train_accuracy).toBe(a.train_accuracy);
    expect(b.val_accuracy).toBe(a.val_accuracy);
    const card = (await cli(['models', 'show', 'g-s12a', '--db', db, '--json'])).out as {
      evaluations: Record<string, { count: number }>;
      options?: { maxTrainWindows?: number };
    };
    expect(card.evaluations.train!.count).toBe(12);
    // Refused: not a whole number ≥ 0.
    const withMax = (v: string) => [
      'train',
      '--dataset',
      'gestures',
      '--arch',
      'gesture-cnn-gru',
      '--name',
      'g-s12c',
      `--max-train=${v}`,
      '--db',
      db,
      '--json',
    ];
    const frac = await cli(withMax('1.5'));
    expect(frac.code).toBe(1);
    expect(frac.err).toMatch(/--max-train must be an integer, got "1.5"/);
    const neg = await cli(withMax('-5'));
    expect(neg.code).toBe(1);
    expect(neg.err).toMatch(/maxTrainWindows/);
  });
});
