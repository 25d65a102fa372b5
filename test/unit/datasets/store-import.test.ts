import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportInputSchema } from '../../../src/shared/api/datasets';
import { BitbenchError } from '../../../src/shared/errors';
import { importDataset } from '../../../src/main/datasets/dataset-import';
import { loadDatasetTensors } from '../../../src/main/datasets/dataset-reader';
import { harChannels, harFilters } from '../../../src/main/datasets/uci-hapt-import';
import { openStore, type OpenedStore } from '../../../src/main/store/database';
import { SessionsRepo } from '../../../src/main/store/sessions-repo';
import { idxBytes, makeHapt, makeMnist, tmpDir } from './fixtures';

let store: OpenedStore;
beforeEach(() => {
  store = openStore(':memory:');
});
afterEach(() => store.close());

const count = (table: string) =>
  (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

async function rejection(p: Promise<unknown>): Promise<BitbenchError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BitbenchError);
    return err as BitbenchError;
  }
  throw new Error('expected a rejection');
}

describe('sessions store', () => {
  it('appends chunks with counters in one transaction and reads any range back', () => {
    const repo = new SessionsRepo(store.db);
    const s = repo.create({
      name: 'r',
      source: 'board',
      channels: [{ name: 'x' }, { name: 'y' }],
      rateHz: 100,
    });
    expect(s.state).toBe('recording');
    const chunk = (from: number, n: number) => ({
      t0Us: from * 10_000,
      nSamples: n,
      data: Float32Array.from({ length: 2 * n }, (_, i) => from * 2 + i),
    });
    expect(repo.appendChunks(s.id, [chunk(0, 3), chunk(3, 4)], { gaps: 1 })).toBe(7);
    expect(repo.appendChunks(s.id, [chunk(7, 2)])).toBe(9);
    const r = repo.readSamples(s.id, { start: 2, end: 8 });
    expect(Array.from(r.data)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(repo.get(s.id)).toMatchObject({ sampleCount: 9, gaps: 1 });
    expect(repo.chunkTimes(s.id).map((c) => c.firstSample)).toEqual([0, 3, 7]);
    // a chunk with the wrong number of values is refused and nothing of the batch is kept
    expect(() =>
      repo.appendChunks(s.id, [chunk(9, 1), { t0Us: 0, nSamples: 2, data: new Float32Array(3) }]),
    ).toThrow(/needs 4 values/);
    expect(repo.get(s.id)!.sampleCount).toBe(9);
    expect(count('sample_chunks')).toBe(3);
  });

  it("reads a session's chunks in order through the primary-key index (query plan)", () => {
    const plan = store.db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT first_sample, n_samples, data FROM sample_chunks WHERE session_id = ? AND first_sample < ? AND first_sample + n_samples > ? ORDER BY seq',
      )
      .all(1, 10, 0) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(
      /SEARCH sample_chunks USING INDEX sqlite_autoindex_sample_chunks_1 \(session_id=\?\)/,
    );
    expect(plan.map((p) => p.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
    const win = store.db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT label, data FROM dataset_windows WHERE dataset_id = ? AND split = ? ORDER BY idx',
      )
      .all(1, 'train') as Array<{ detail: string }>;
    expect(win.map((p) => p.detail).join(' ')).toMatch(
      /USING INDEX dataset_windows_split \(dataset_id=\? AND split=\?\)/,
    );
    expect(win.map((p) => p.detail).join(' ')).not.toMatch(/TEMP B-TREE/);
  });

  it('labels: whole-session label replaces, segments kept, delete returns the row for undo', () => {
    const repo = new SessionsRepo(store.db);
    const s = repo.create({ name: 'r', source: 'board', channels: [{ name: 'x' }], state: 'complete' });
    repo.setSessionLabel(s.id, 'wave');
    repo.setSessionLabel(s.id, 'idle');
    const seg = repo.addLabel(s.id, 'tap', 10, 20);
    expect(repo.labels(s.id).map((l) => [l.label, l.startSample, l.endSample])).toEqual([
      ['idle', 0, null],
      ['tap', 10, 20],
    ]);
    const gone = repo.deleteLabel(seg.id)!;
    expect(repo.labels(s.id)).toHaveLength(1);
    repo.restoreLabel(gone);
    expect(repo.labels(s.id)).toHaveLength(2);
    expect(() => repo.addLabel(s.id, 'bad', 5, 5)).toThrow();
  });

  it("marks a dead process's recording as interrupted", () => {
    const repo = new SessionsRepo(store.db);
    const s = repo.create({ name: 'r', source: 'board', channels: [{ name: 'x' }] });
    store.db.prepare('UPDATE sessions SET owner_pid = 999999999 WHERE id = ?').run(s.id);
    expect(repo.markInterrupted()).toBe(1);
    expect(repo.get(s.id)!.state).toBe('interrupted');
  });
});

describe('UCI-HAPT importer (generated folder)', () => {
  it('rebuilds the nine channels, windows activities 1–6 only, and reads back normalised', async () => {
    const dir = makeHapt(4);
    const input = ImportInputSchema.parse({ kind: 'uci-hapt', path: dir, name: 'h', valFraction: 0.25 });
    const row = await importDataset(store.db, input);
    // 400 samples → 5 windows (0,64,…,256); 300 → 3; transitions (7) are not a class
    expect(row.stats.windows).toBe(4 * 8);
    expect(row.stats.classes).toMatchObject({ WALKING: 20, LAYING: 12, SITTING: 0 });
    expect(row.config.shape).toEqual([128, 9]);
    // users 2 and 4 are UCI-HAR test subjects (built-in list: no uci-har-split/ here)
    expect(row.stats.subjects!.test).toEqual(['2', '4']);
    expect(row.stats.splits.test).toBe(16);
    expect(row.stats.subjects!.val).toHaveLength(1);
    // sessions stay with their segment labels, transitions included, so they can be re-windowed
    const repo = new SessionsRepo(store.db);
    const sessions = repo.list({ dataset: 'h' });
    expect(sessions).toHaveLength(4);
    expect(repo.labels(sessions[0]!.id).map((l) => [l.label, l.startSample, l.endSample])).toEqual([
      ['WALKING', 0, 400],
      ['STAND_TO_SIT', 400, 450],
      ['LAYING', 450, 750],
    ]);
    const train = loadDatasetTensors(store.db, 'h', 'train');
    expect(train.shape).toEqual([128, 9]);
    expect(train.x).toHaveLength(train.count * 1152);
    const raw = loadDatasetTensors(store.db, 'h', 'train', { normalize: false });
    // normalisation uses train-split statistics: train x has mean 0 per channel (up to float error)
    const nch = 9;
    for (let c = 0; c < nch; c++) {
      let m = 0;
      for (let i = c; i < train.x.length; i += nch) m += train.x[i]!;
      expect(Math.abs(m / (train.x.length / nch))).toBeLessThan(1e-3);
    }
    expect(raw.x[6]! * 1).toBeCloseTo(train.x[6]! * train.norm!.std[6]! + train.norm!.mean[6]!, 4);
    // total_acc x ≈ 1 g, gravity carries it, body acc ≈ the 2 Hz wobble: far from the edges total - body ≈ 1
    const mid = 2 * 1152 + 64 * 9;
    expect(raw.x[mid + 6]! - raw.x[mid]!).toBeCloseTo(1, 1);
  });

  it('body + gravity split: a constant acceleration is all gravity, a fast wobble all body', () => {
    const n = 2000;
    const ax = Float64Array.from({ length: n }, (_, i) => 0.98 + 0.1 * Math.sin((2 * Math.PI * 3 * i) / 50));
    const z = new Float64Array(n);
    const out = harChannels([ax, z, z], [z, z, z], harFilters());
    for (let i = 500; i < 1500; i += 97) {
      expect(out[i * 9 + 6]).toBeCloseTo(ax[i]!, 2); // total_acc ≈ input (3 Hz passes the 20 Hz LP)
      expect(out[i * 9 + 6]! - out[i * 9]!).toBeCloseTo(0.98, 2); // gravity ≈ the constant
    }
  });

  it('a wrong folder, a missing gyro file and bad lines are clear errors, and nothing is written', async () => {
    const empty = tmpDir();
    const e1 = await rejection(
      importDataset(store.db, ImportInputSchema.parse({ kind: 'uci-hapt', path: empty, name: 'h' })),
    );
    expect(e1.message).toMatch(/is not a UCI-HAPT folder: expected RawData\/labels\.txt/);

    const dir = makeHapt(3);
    rmSync(path.join(dir, 'RawData', 'gyro_exp02_user02.txt'));
    const e2 = await rejection(
      importDataset(store.db, ImportInputSchema.parse({ kind: 'uci-hapt', path: dir, name: 'h' })),
    );
    expect(e2.message).toMatch(/acc_exp02_user02\.txt\.gz: no matching gyro file/);

    const bad = makeHapt(3);
    const gyro = path.join(bad, 'RawData', 'gyro_exp03_user03.txt');
    writeFileSync(gyro, '0 0 0\n0 0 0\n0 x 0\n');
    const e3 = await rejection(
      importDataset(store.db, ImportInputSchema.parse({ kind: 'uci-hapt', path: bad, name: 'h' })),
    );
    expect(e3.message).toBe(`${gyro}:3: column y: "x" is not a number`);

    const short = makeHapt(3);
    writeFileSync(path.join(short, 'RawData', 'labels.txt'), '1 1 1 1 400\n1 1 6 451 9999\n');
    const e4 = await rejection(
      importDataset(store.db, ImportInputSchema.parse({ kind: 'uci-hapt', path: short, name: 'h' })),
    );
    expect(e4.message).toMatch(/labels\.txt:2: segment ends at sample 9999 but experiment 1 has 800 samples/);

    const cols = makeHapt(3);
    writeFileSync(path.join(cols, 'RawData', 'labels.txt'), '1 1 1 1\n');
    const e5 = await rejection(
      importDataset(store.db, ImportInputSchema.parse({ kind: 'uci-hapt', path: cols, name: 'h' })),
    );
    expect(e5.message).toMatch(/labels\.txt:1: expected 5 fields/);

    expect(count('datasets')).toBe(0);
    expect(count('sessions')).toBe(0);
    expect(count('sample_chunks')).toBe(0);
  });
});

describe('dataset versions', () => {
  it('re-importing a name makes a new version; reads pick the newest or name@version; locked cannot change', async () => {
    const dir = makeHapt(4);
    const input = ImportInputSchema.parse({ kind: 'uci-hapt', path: dir, name: 'h' });
    const v1 = await importDataset(store.db, input);
    const v2 = await importDataset(store.db, { ...input, windowLength: 64, stride: 64 });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(loadDatasetTensors(store.db, 'h', 'test').shape).toEqual([64, 9]);
    expect(loadDatasetTensors(store.db, 'h@1', 'test').shape).toEqual([128, 9]);
    expect(loadDatasetTensors(store.db, 'h', 'test', { version: 1 }).version).toBe(1);
    expect(() => loadDatasetTensors(store.db, 'nope', 'train')).toThrow(/No dataset named "nope"/);
    expect(() => loadDatasetTensors(store.db, 'h@9', 'train')).toThrow(/has no version 9/);
  });

  it('a failing write rolls back sessions, chunks and the version (one transaction)', async () => {
    const dir = makeHapt(4);
    const input = ImportInputSchema.parse({ kind: 'uci-hapt', path: dir, name: 'h' });
    await importDataset(store.db, input);
    const tables = ['datasets', 'sessions', 'sample_chunks', 'dataset_windows', 'labels'];
    const before = tables.map(count);
    // The store fails half-way through writing the second version's windows (as a full disk would).
    store.db.exec(
      "CREATE TEMP TRIGGER fail_midway BEFORE INSERT ON dataset_windows WHEN NEW.idx = 20 BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END",
    );
    await expect(importDataset(store.db, input)).rejects.toThrow(/disk full \(simulated\)/);
    expect(tables.map(count)).toEqual(before);
    expect(loadDatasetTensors(store.db, 'h', 'train').version).toBe(1);
  });
});

describe('MNIST importer', () => {
  it('stores uint8 pixels and reads [28, 28, 1] windows scaled to 0..1 with labels', async () => {
    const dir = makeMnist(30, 10);
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm' }),
    );
    expect(row.stats.splits).toEqual({ train: 30, val: 0, test: 10 });
    expect(row.stats.classes['3']).toBe(4);
    const t = loadDatasetTensors(store.db, 'm', 'train');
    expect(t.shape).toEqual([28, 28, 1]);
    expect(t.norm).toBeNull();
    expect(t.x).toHaveLength(30 * 784);
    expect(t.x[5 * 784 + 100]).toBeCloseTo(35 / 255, 6);
    expect(Array.from(t.y.slice(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    const withVal = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm2', valFraction: 0.2 }),
    );
    expect(withVal.stats.splits).toEqual({ train: 24, val: 6, test: 10 });
  });

  it('test images of another size than the train images are refused, not sliced at the train size', async () => {
    const dir = makeMnist(3, 2);
    const f = path.join(dir, 't10k-images-idx3-ubyte.gz');
    writeFileSync(f, gzipSync(idxBytes(2051, [2, 32, 32], new Uint8Array(2 * 32 * 32))));
    expect(
      (
        await rejection(
          importDataset(store.db, ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm' })),
        )
      ).message,
    ).toBe(
      `${f}: images are 32×32, but train-images-idx3-ubyte.gz's are 28×28: train and test images must have one size`,
    );
    const g = path.join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(g, gzipSync(idxBytes(2051, [0, 32, 32], new Uint8Array(0))));
    writeFileSync(
      path.join(dir, 'train-labels-idx1-ubyte.gz'),
      gzipSync(idxBytes(2049, [0], new Uint8Array(0))),
    );
    expect(
      (
        await rejection(
          importDataset(store.db, ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm' })),
        )
      ).message,
    ).toBe(`${g}: holds 0 images of 32×32: nothing to train on`);
    expect(count('datasets')).toBe(0);
  });

  it('a wrong magic, a truncated file and a missing file are clear errors', async () => {
    const dir = makeMnist(3, 2);
    const f = path.join(dir, 't10k-labels-idx1-ubyte.gz');
    writeFileSync(f, gzipSync(idxBytes(2051, [2], new Uint8Array(2))));
    expect(
      (
        await rejection(
          importDataset(store.db, ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm' })),
        )
      ).message,
    ).toBe(`${f}: not an idx1 label file (magic 2051, expected 2049)`);
    const g = path.join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(g, gzipSync(idxBytes(2051, [3, 28, 28], new Uint8Array(100))));
    expect(
      (
        await rejection(
          importDataset(store.db, ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm' })),
        )
      ).message,
    ).toMatch(/train-images-idx3-ubyte\.gz: holds 116 bytes; the header \(3×28×28\) needs 2368/);
    rmSync(g);
    expect(
      (
        await rejection(
          importDataset(store.db, ImportInputSchema.parse({ kind: 'mnist', path: dir, name: 'm' })),
        )
      ).message,
    ).toMatch(/is not an MNIST folder: train-images-idx3-ubyte\(\.gz\) is missing/);
    expect(count('datasets')).toBe(0);
  });
});

describe('CSV importer: one gesture per recording', () => {
  /** A per-class file like gesture-to-emoji's: `n` blank-line-separated recordings of `len` rows. */
  function gestureFile(n: number, len: number, seed: number, lastLen = len): string {
    const recs = Array.from({ length: n }, (_, r) =>
      Array.from({ length: r === n - 1 ? lastLen : len }, (_, i) =>
        Array.from({ length: 6 }, (_, c) => ((seed + r * 7 + i * 3 + c) % 17) / 10).join(','),
      ).join('\n'),
    );
    return `aX,aY,aZ,gX,gY,gZ\n${recs.join('\n\n')}\n`;
  }

  it('a recording cut short (truncated log) keeps one window per recording and is named in a warning', async () => {
    const dir = tmpDir('bb-gest-');
    writeFileSync(path.join(dir, 'flex.csv'), gestureFile(6, 20, 1));
    // punch.csv's last recording stops after 9 of its 20 rows (the logger was unplugged)
    writeFileSync(path.join(dir, 'punch.csv'), gestureFile(6, 20, 5, 9));
    const row = await importDataset(store.db, ImportInputSchema.parse({ kind: 'csv', path: dir, name: 'g' }));
    // Before: the differing lengths switched the default to 128-sample windows and the import
    // failed with "No window of 128 samples fits inside a labelled segment".
    expect(row.config.windowLength).toBe(20);
    expect(row.config.stride).toBe(20);
    expect(row.stats.windows).toBe(11);
    expect(row.stats.classes).toEqual({ flex: 6, punch: 5 });
    expect(row.config.warnings).toEqual([
      expect.stringMatching(
        /^1 of 12 recordings gave no window .*20-sample window.*: punch\.csv#6 \(lines 107–115, 9 samples\)/,
      ),
    ]);
    // the truncated recording is still stored as a session (nothing lost from the store)
    expect(count('sessions')).toBe(12);
  });

  it('explicit --window-length longer than some recordings warns about each one left out', async () => {
    const dir = tmpDir('bb-gest-');
    writeFileSync(path.join(dir, 'flex.csv'), gestureFile(4, 20, 1));
    writeFileSync(path.join(dir, 'punch.csv'), gestureFile(4, 30, 5));
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'csv', path: dir, name: 'g', windowLength: 25, stride: 25 }),
    );
    expect(row.stats.classes).toEqual({ flex: 0, punch: 4 });
    expect(row.config.warnings?.find((w) => w.startsWith('4 of 8 recordings gave no window'))).toMatch(
      /flex\.csv#1 \(lines 2–21, 20 samples\), flex\.csv#2/,
    );
  });
});
