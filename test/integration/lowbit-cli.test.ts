import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { startSensitivity } from '../../src/main/quant/lowbit-service';
import { JobsRepo } from '../../src/main/store/jobs-repo';
import { VariantsRepo } from '../../src/main/store/variants-repo';
import { BitbenchError } from '../../src/shared/errors';
import { runCliCaptured } from './helpers/cli';
import { seedFloatModel } from './helpers/deploy-fixture';
import { seededRandom } from '../../src/main/quant/rng';

/**
 * `bitbench quantize` with low-bit methods and `bitbench sensitivity`, on a small float model (4
 * classes a–d, 16×3 windows): a dataset of the same window shape but other classes is refused before any
 * work (low-bit training, sensitivity, and PTQ alike); a mistyped method is named first, with every
 * method there is; the help and the output say which bits a low-bit run used.
 */
let dir: string;
let db: string;

/** A CSV dataset of 16×3 windows, one file per class (the class names are the file names). */
function csvDataset(name: string, classes: string[]): string {
  const r = seededRandom(classes.length);
  const d = path.join(dir, name);
  mkdirSync(d);
  for (const c of classes) {
    const recordings = Array.from({ length: 12 }, () =>
      Array.from({ length: 16 }, () => [r(), r(), r()].map((v) => v.toFixed(3)).join(',')).join('\n'),
    );
    writeFileSync(path.join(d, `${c}.csv`), `x,y,z\n${recordings.join('\n\n')}\n`);
  }
  return d;
}

async function importCsv(name: string, classes: string[]) {
  const r = await runCliCaptured(
    [
      'datasets',
      'import',
      'csv',
      csvDataset(name, classes),
      '--name',
      name,
      '--recording-length',
      '16',
      '--label-from',
      'file',
    ],
    db,
  );
  expect(r.code, r.err).toBe(0);
}

const jobCount = async () => {
  const ctx = createAppContext({ dbPath: db, shell: 'cli' });
  try {
    return new JobsRepo(ctx.db).list(100).length;
  } finally {
    await ctx.close();
  }
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-lowbit-cli-'));
  db = path.join(dir, 'a.db');
  const ctx = createAppContext({ dbPath: db, shell: 'cli' });
  seedFloatModel(ctx, { name: 'tiny-fp', perSplit: 40 });
  await ctx.close();
  await importCsv('three', ['a', 'b', 'c']);
  await importCsv('other', ['a', 'b', 'c', 'e']);
}, 60_000);

describe('a dataset whose classes are not the model’s', () => {
  it('low-bit training refuses it before any work, naming both class lists', async () => {
    const before = await jobCount();
    const r = await runCliCaptured(
      [
        'quantize',
        '--model',
        'tiny-fp',
        '--method',
        'qat-ste',
        '--weights',
        '4',
        '--epochs',
        '1',
        '--dataset',
        'three',
        '--name',
        'tiny-on-three',
      ],
      db,
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Dataset three has 3 classes \(a, b, c\), model "tiny-fp" has 4 \(a, b, c, d\)/);
    expect(await jobCount()).toBe(before);
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    try {
      expect(new VariantsRepo(ctx.db).exists('tiny-on-three')).toBe(false);
    } finally {
      await ctx.close();
    }
  });

  it('as many classes under other names are refused too', async () => {
    const r = await runCliCaptured(
      ['quantize', '--model', 'tiny-fp', '--method', 'universal-s1', '--dataset', 'other', '--epochs', '1'],
      db,
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      /Dataset other has the classes a, b, c, e, model "tiny-fp" was trained on a, b, c, d/,
    );
  });

  it('the sensitivity sweep refuses it (CLI and service), starting no job', async () => {
    const before = await jobCount();
    const r = await runCliCaptured(
      ['sensitivity', '--model', 'tiny-fp', '--dataset', 'three', '--seeds', '1', '--epochs', '1'],
      db,
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Dataset three has 3 classes/);
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    try {
      expect(() => startSensitivity(ctx, { model: 'tiny-fp', dataset: 'other', seeds: 1 })).toThrow(
        BitbenchError,
      );
    } finally {
      await ctx.close();
    }
    expect(await jobCount()).toBe(before);
  });

  it('PTQ with --dataset refuses it the same way', async () => {
    const r = await runCliCaptured(
      ['quantize', '--model', 'tiny-fp', '--dataset', 'three', '--name', 'tiny-ptq-three', '--calib', '8'],
      db,
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Dataset three has 3 classes \(a, b, c\), model "tiny-fp" has 4/);
  });
});

describe('quantize --method', () => {
  it('a mistyped method is named first (before --name), with the PTQ steps and the low-bit methods', async () => {
    for (const args of [[], ['--name', 'x']]) {
      const r = await runCliCaptured(
        ['quantize', '--model', 'tiny-fp', '--method', 'universal-s3', ...args],
        db,
      );
      expect(r.code).not.toBe(0);
      expect(r.err).not.toMatch(/--name is required/);
      expect(r.err).toMatch(/unknown method "universal-s3"/);
      for (const m of [
        'minmax',
        'adaround',
        'bias-tuning',
        'universal-s1',
        'universal-s2',
        'qat-ste',
        'qat-lsq',
      ])
        expect(r.err).toContain(m);
    }
    const joined = await runCliCaptured(['quantize', '--model', 'tiny-fp', '--method', 'qat-ste+mse'], db);
    expect(joined.err).toMatch(/qat-ste is used alone/);
  });
});

describe('the bits of a low-bit run', () => {
  it('--help gives the weight default per family', async () => {
    const r = await runCliCaptured(['quantize', '--help'], db);
    const help = r.out.replace(/\s+/g, ' ');
    expect(help).toMatch(
      /--weights <bits> weight bits 1\.\.8 \(default 8 for PTQ methods; 1 for the low-bit methods/,
    );
    expect(help).not.toMatch(/weight bits 1\.\.8 \(default 8\)/);
  });

  it('the text and the JSON say the bits used, and that W1 was the low-bit default', async () => {
    const text = await runCliCaptured(
      ['quantize', '--model', 'tiny-fp', '--method', 'qat-ste', '--epochs', '1', '--name', 'tiny-w1'],
      db,
    );
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(
      /bits {7}weights 1 bit \(the low-bit default; --weights to change\), activations 8 bits/,
    );
    expect(text.out).toMatch(/stored \d+ B/);
    const json = await runCliCaptured(
      ['quantize', '--model', 'tiny-fp', '--method', 'qat-ste', '--epochs', '1', '--weights', '2', '--json'],
      db,
    );
    expect(json.code, json.err).toBe(0);
    const report = JSON.parse(json.out) as {
      name: string;
      weights_bits: number;
      acts_bits: number;
      stored_bytes: number;
    };
    expect(report).toMatchObject({ name: 'tiny-fp-qat-ste-w2', weights_bits: 2, acts_bits: 8 });
    expect(Number.isInteger(report.stored_bytes)).toBe(true);
  }, 120_000);

  it('without --lr, QAT fine-tunes at its own rate (0.0005, cosine); universal keeps 0.002 constant; --lr wins', async () => {
    const run = async (...args: string[]) => {
      const r = await runCliCaptured(
        ['quantize', '--model', 'tiny-fp', '--epochs', '1', '--weights', '2', '--json', ...args],
        db,
      );
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as { config: { learningRate: number; lrSchedule: string } }).config;
    };
    expect(await run('--method', 'qat-lsq', '--name', 'tiny-lsq-default')).toMatchObject({
      learningRate: 5e-4,
      lrSchedule: 'cosine',
    });
    expect(await run('--method', 'universal-s1', '--name', 'tiny-s1-default')).toMatchObject({
      learningRate: 2e-3,
      lrSchedule: 'constant',
    });
    expect(await run('--method', 'qat-ste', '--lr', '0.01', '--name', 'tiny-ste-lr')).toMatchObject({
      learningRate: 0.01,
      lrSchedule: 'cosine',
    });
  }, 120_000);
});
