import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildInputSchema, ImportInputSchema } from '../../../src/shared/api/datasets';
import { createAppContext } from '../../../src/main/context';
import { createDatasetsService } from '../../../src/main/datasets/datasets-service';
import { writeWindowedDataset, type RecordingInput } from '../../../src/main/datasets/dataset-writer';
import { openStore } from '../../../src/main/store/database';
import { SessionsRepo } from '../../../src/main/store/sessions-repo';
import { tmpDir } from './fixtures';
import { cli } from './run-cli';

interface Recorded {
  name: string;
  channels: string[];
  rateHz: number;
  n: number;
  labels: Array<{ label: string; start?: number; end?: number }>;
}

/** A database with recorded (board) sessions in `group`; sample i of session k holds k·1e4 + i. */
function recordedDb(group: string, sessions: Recorded[]): string {
  const db = path.join(tmpDir('bb-build-'), 'b.db');
  const store = openStore(db);
  try {
    const repo = new SessionsRepo(store.db);
    sessions.forEach((s, k) => {
      const row = repo.create({
        name: s.name,
        dataset: group,
        source: 'board',
        rateHz: s.rateHz,
        channels: s.channels.map((name) => ({ name })),
        state: 'complete',
      });
      const nch = s.channels.length;
      const data = Float32Array.from({ length: s.n * nch }, (_, i) => (k + 1) * 10_000 + Math.floor(i / nch));
      repo.appendChunks(row.id, [{ t0Us: 0, nSamples: s.n, data }]);
      for (const l of s.labels) {
        if (l.start === undefined) repo.setSessionLabel(row.id, l.label);
        else repo.addLabel(row.id, l.label, l.start, l.end ?? null);
      }
    });
  } finally {
    store.close();
  }
  return db;
}

function windowsOf(db: string): Array<{ session_id: number; start_sample: number; label: number }> {
  const store = openStore(db);
  try {
    return store.db
      .prepare(
        'SELECT session_id, start_sample, label FROM dataset_windows ORDER BY session_id, start_sample',
      )
      .all() as Array<{ session_id: number; start_sample: number; label: number }>;
  } finally {
    store.close();
  }
}

describe('datasets build from recorded sessions', () => {
  it('without --name the dataset is named after the group (as the README shows `datasets build <group>`)', async () => {
    const db = recordedDb('walk or stand', [
      { name: 'one', channels: ['x'], rateHz: 100, n: 300, labels: [{ label: 'walk' }] },
      { name: 'two', channels: ['x'], rateHz: 100, n: 300, labels: [{ label: 'still' }] },
    ]);
    const r = await cli([
      'datasets',
      'build',
      'walk or stand',
      '--window-length',
      '50',
      '--json',
      '--db',
      db,
    ]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect([d.name, d.version]).toEqual(['walk-or-stand', 1]);
    const named = await cli([
      'datasets',
      'build',
      'walk or stand',
      '--name',
      'other',
      '--window-length',
      '50',
      '--json',
      '--db',
      db,
    ]);
    expect(JSON.parse(named.out).name).toBe('other');
  });

  it('a segment inside a whole-session label wins there: no window is stored twice, and the build says so', async () => {
    const db = recordedDb('g1', [
      {
        name: 'one',
        channels: ['x', 'y'],
        rateHz: 100,
        n: 400,
        labels: [{ label: 'walk' }, { label: 'seg', start: 100, end: 200 }],
      },
      { name: 'two', channels: ['x', 'y'], rateHz: 100, n: 300, labels: [{ label: 'walk' }] },
    ]);
    const r = await cli([
      'datasets',
      'build',
      'g1',
      '--name',
      'ov',
      '--window-length',
      '50',
      '--stride',
      '50',
      '--json',
      '--db',
      db,
    ]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.classes).toEqual({ seg: 2, walk: 6 + 6 });
    const wins = windowsOf(db);
    const keys = wins.map((w) => `${w.session_id}:${w.start_sample}`);
    expect(new Set(keys).size).toBe(keys.length);
    const seg = d.window_length === 50 ? Object.keys(d.classes).indexOf('seg') : -1;
    expect(wins.filter((w) => w.label === seg).map((w) => w.start_sample)).toEqual([100, 150]);
    expect(wins.filter((w) => w.session_id === 1 && w.label !== seg).map((w) => w.start_sample)).toEqual([
      0, 50, 200, 250, 300, 350,
    ]);
    expect(d.notes.join('\n')).toMatch(/one: "seg" \[100, 200\) lies over "walk" \[0, end\)/);

    // Two equally wide segments with different labels: those samples give no window, with a warning.
    const db2 = recordedDb('g2', [
      {
        name: 'tie',
        channels: ['x'],
        rateHz: 50,
        n: 200,
        labels: [
          { label: 'a', start: 0, end: 100 },
          { label: 'b', start: 50, end: 150 },
        ],
      },
    ]);
    const r2 = await cli([
      'datasets',
      'build',
      'g2',
      '--name',
      'tie',
      '--window-length',
      '25',
      '--stride',
      '25',
      '--json',
      '--db',
      db2,
    ]);
    const d2 = JSON.parse(r2.out);
    expect(windowsOf(db2).map((w) => w.start_sample)).toEqual([0, 25, 100, 125]);
    expect(d2.warnings.join('\n')).toMatch(
      /tie: "a" \[0, 100\) and "b" \[50, 150\) label samples 50–100 both/,
    );
  });

  it('refuses sessions with other channels or another rate, naming them', async () => {
    const db = recordedDb('mix', [
      { name: 'acc', channels: ['acc_x', 'acc_y'], rateHz: 100, n: 200, labels: [{ label: 'a' }] },
      { name: 'gyro', channels: ['gyro_y', 'gyro_z'], rateHz: 400, n: 200, labels: [{ label: 'b' }] },
    ]);
    const r = await cli([
      'datasets',
      'build',
      'mix',
      '--name',
      'm',
      '--window-length',
      '50',
      '--json',
      '--db',
      db,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"acc" has 2 channels (acc_x, acc_y) at 100 Hz');
    expect(r.err).toContain('"gyro" has 2 channels (gyro_y, gyro_z) at 400 Hz');
    expect(JSON.parse((await cli(['datasets', 'list', '--json', '--db', db])).out)).toEqual([]);

    // Same channels, another rate: refused as well.
    const db2 = recordedDb('rate', [
      { name: 'slow', channels: ['x'], rateHz: 100, n: 200, labels: [{ label: 'a' }] },
      { name: 'fast', channels: ['x'], rateHz: 400, n: 200, labels: [{ label: 'b' }] },
    ]);
    const r2 = await cli(['datasets', 'build', 'rate', '--name', 'm', '--window-length', '50', '--db', db2]);
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('"slow" has 1 channel (x) at 100 Hz');
    expect(r2.err).toContain('"fast" has 1 channel (x) at 400 Hz');
  });

  it('warns when requested val/test splits come out empty (CLI text and JSON)', async () => {
    const db = recordedDb('g', [
      { name: 's1', channels: ['x'], rateHz: 50, n: 1300, labels: [{ label: 'a' }] },
      { name: 's2', channels: ['x'], rateHz: 50, n: 1300, labels: [{ label: 'b' }] },
    ]);
    const args = [
      'datasets',
      'build',
      'g',
      '--name',
      'x',
      '--window-length',
      '50',
      '--val-fraction',
      '0.5',
      '--test-fraction',
      '0.5',
      '--db',
      db,
    ];
    const json = JSON.parse((await cli([...args, '--json'])).out);
    expect(json.splits).toEqual({ train: 102, val: 0, test: 0 });
    expect(json.warnings).toEqual([
      expect.stringMatching(/^The val split is empty although a val fraction of 0.5 was asked for/),
      expect.stringMatching(/^The test split is empty although a test fraction of 0.5 was asked for/),
    ]);
    const text = await cli(args);
    expect(text.out).toMatch(/WARNING +The val split is empty/);
  });
});

describe('split checks of a written dataset', () => {
  const rec = (k: number, subject: string, labels: string[]): RecordingInput => {
    const n = 100 * labels.length;
    return {
      name: `r${k}`,
      subject,
      rateHz: 50,
      channels: [{ name: 'v' }],
      data: Float32Array.from({ length: n }, (_, i) => k * 10_000 + i),
      nSamples: n,
      segments: labels.map((label, j) => ({ start: j * 100, end: (j + 1) * 100, label })),
    };
  };
  const plan = {
    name: 'p',
    kind: 'test',
    group: 'p',
    classes: ['a', 'b'],
    windowLength: 50,
    stride: 50,
    splitBy: 'session' as const,
    seed: 1,
    valFraction: 0.25,
    testFraction: 0.25,
    normalization: 'none' as const,
    source: 'test',
    preprocess: null,
    notes: [],
  };

  it('warns when a class has no train windows', () => {
    // Four sessions, one of them the only one with class b: some seeds put it in val or test.
    const recs = [rec(0, '1', ['a']), rec(1, '2', ['a']), rec(2, '3', ['a']), rec(3, '4', ['a', 'b'])];
    let missing = 0;
    for (let seed = 0; seed < 12; seed++) {
      const store = openStore(':memory:');
      try {
        const row = writeWindowedDataset(store.db, recs, { ...plan, seed });
        const lost = (row.stats.splitClasses.train?.b ?? 0) === 0;
        const warned = (row.config.warnings ?? []).some((w) =>
          /^Class "b" has no train windows \(all 2 are in val\/test\)/.test(w),
        );
        expect(warned).toBe(lost);
        if (lost) missing++;
      } finally {
        store.close();
      }
    }
    expect(missing).toBeGreaterThan(0);
  });

  it('refuses a version whose train split would be empty, and writes nothing', () => {
    const store = openStore(':memory:');
    try {
      const recs = [rec(0, '1', ['a']), rec(1, '2', ['b'])];
      expect(() =>
        writeWindowedDataset(store.db, recs, { ...plan, splitBy: 'subject', testGroups: ['1', '2'] }),
      ).toThrow(/No window would be in the train split \(train\/val\/test 0\/0\/4\)/);
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n).toBe(0);
    } finally {
      store.close();
    }
  });
});

describe('one job per dataset name', () => {
  it('a second build or import of a name while one runs is refused; once it ended, another version is made', async () => {
    const dbPath = recordedDb('g1', [
      { name: 's1', channels: ['x'], rateHz: 50, n: 400, labels: [{ label: 'a' }] },
      { name: 's2', channels: ['x'], rateHz: 50, n: 400, labels: [{ label: 'b' }] },
    ]);
    const ctx = createAppContext({ dbPath, shell: 'headless-host' });
    try {
      const datasets = createDatasetsService(ctx);
      const input = BuildInputSchema.parse({ group: 'g1', name: 'g1', windowLength: 50 });
      const first = await datasets.build(input);
      expect(() => datasets.build(input)).toThrow(
        `Job ${first.jobId} is already making dataset "g1"; wait for it, cancel it, or choose another name.`,
      );
      expect(() =>
        datasets.import(ImportInputSchema.parse({ kind: 'csv', path: '/nowhere', name: 'g1' })),
      ).toThrow(/already making dataset "g1"/);
      // another name is not held up
      const other = await datasets.build({ ...input, name: 'other' });
      await ctx.jobs.done(first.jobId);
      await ctx.jobs.done(other.jobId);
      await ctx.jobs.done((await datasets.build(input)).jobId);
      expect((await datasets.show({ name: 'g1' })).versions.map((v) => v.version)).toEqual([1, 2]);
    } finally {
      await ctx.close();
    }
  });
});

describe('datasets build: sessions too short for a window, worded for the CLI or the app', () => {
  it.each(['cli', 'headless-host', 'electron'] as const)(
    '%s: the CLI is told to shorten --window-length, the app (no such field) to record longer sessions',
    async (shell) => {
      // Two labelled sessions of different lengths, both shorter than the default 128-sample window.
      const dbPath = recordedDb('short', [
        { name: 's1', channels: ['x'], rateHz: 100, n: 90, labels: [{ label: 'a' }] },
        { name: 's2', channels: ['x'], rateHz: 100, n: 100, labels: [{ label: 'b' }] },
      ]);
      const ctx = createAppContext({ dbPath, shell });
      try {
        const { jobId } = await createDatasetsService(ctx).build(
          BuildInputSchema.parse({ group: 'short', name: 'short' }),
        );
        const err = await ctx.jobs.done(jobId).then(
          () => null,
          (e: Error) => e,
        );
        expect(err?.message).toMatch(
          /^No window of 128 samples fits inside a labelled segment of sessions of group short\. /,
        );
        if (shell === 'cli')
          expect(err!.message).toMatch(/Use a shorter --window-length, or check the labels\.$/);
        else {
          expect(err!.message).toMatch(
            /Record longer sessions \(or label longer segments\), or check the labels\.$/,
          );
          expect(err!.message).not.toMatch(/--[a-z]/);
        }
      } finally {
        await ctx.close();
      }
    },
  );
});
