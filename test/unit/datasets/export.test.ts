import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportInputSchema } from '../../../src/shared/api/datasets';
import { exportDataset } from '../../../src/main/datasets/dataset-export';
import { importDataset } from '../../../src/main/datasets/dataset-import';
import { loadDatasetTensors, resolveDataset } from '../../../src/main/datasets/dataset-reader';
import { previewCsv } from '../../../src/main/datasets/csv-import';
import { crc32 } from '../../../src/main/device/crc32';
import { decodeReplayFile, replayMapping } from '../../../src/main/datasets/replay-file';
import { createAppContext } from '../../../src/main/context';
import { createDatasetsService } from '../../../src/main/datasets/datasets-service';
import { openStore, type OpenedStore } from '../../../src/main/store/database';
import { makeHapt, makeMnist, tmpDir } from './fixtures';

/**
 * A folder of per-class CSV files (flex.csv, punch.csv) like gesture-to-emoji: `recordings` blank-line
 * separated recordings of `samples` rows each, columns aX (a ramp, sign per class), aY (the recording
 * index) and aZ (`az(sample, recording)`).
 */
function perClassCsv(recordings: number, samples: number, az: (i: number, r: number) => number): string {
  const dir = tmpDir();
  for (const [cls, k] of [
    ['flex', 1],
    ['punch', -1],
  ] as const) {
    const recs = Array.from({ length: recordings }, (_, r) =>
      Array.from({ length: samples }, (_, i) => `${k * (i + r) * 0.1},${r},${az(i, r)}`).join('\n'),
    );
    writeFileSync(path.join(dir, `${cls}.csv`), 'aX,aY,aZ\n' + recs.join('\n\n') + '\n');
  }
  return dir;
}

let store: OpenedStore;
beforeEach(() => {
  store = openStore(':memory:');
});
afterEach(() => store.close());

describe('BBRP replay export', () => {
  it('writes the firmware header, windows back to back, acc in m/s² and gyro in rad/s', async () => {
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'uci-hapt', path: makeHapt(4), name: 'h' }),
    );
    const out = path.join(tmpDir(), 'h.bbrp');
    const r = await exportDataset(store.db, row, 'bbrp', out, 'test');
    const buf = readFileSync(out);
    expect(r).toEqual({ path: out, bytes: buf.length, windows: 16, format: 'bbrp' });
    // the fixed header fields bb_sensor.c checks
    expect(buf.toString('latin1', 0, 4)).toBe('BBRP');
    expect(buf.readUInt16LE(4)).toBe(1);
    expect(buf.readUInt16LE(6)).toBe(32 + 4 * 6);
    expect(buf[17]).toBe(0x3f);
    const rp = decodeReplayFile(buf);
    expect(rp.rateHz).toBe(50);
    expect(rp.nSamples).toBe(16 * 128);
    expect(buf.readUInt32LE(20)).toBe(crc32(buf.subarray(56)));
    // sample t of window k = replay sample k·128 + t; channels: total_acc (g → m/s²), body_gyro (rad/s)
    const t = loadDatasetTensors(store.db, 'h', 'test', { normalize: false });
    for (const [k, s] of [
      [0, 0],
      [3, 77],
      [15, 127],
    ] as const) {
      const i = k * 128 + s;
      for (let axis = 0; axis < 3; axis++) {
        const acc = t.x[i * 9 + 6 + axis]! * 9.80665;
        const gyro = t.x[i * 9 + 3 + axis]!;
        expect(Math.abs(rp.data[i * 6 + axis]! * rp.scales[axis]! - acc)).toBeLessThanOrEqual(
          rp.scales[axis]! / 2 + 1e-6,
        );
        expect(Math.abs(rp.data[i * 6 + 3 + axis]! * rp.scales[3 + axis]! - gyro)).toBeLessThanOrEqual(
          rp.scales[3 + axis]! / 2 + 1e-6,
        );
      }
    }
    // --max-windows
    const few = await exportDataset(store.db, row, 'bbrp', out, 'test', undefined, 2);
    expect(few.windows).toBe(2);
    expect(decodeReplayFile(readFileSync(out)).nSamples).toBe(256);
  });

  it('maps Arduino-style names and guesses g and deg/s from the data', () => {
    const nch = 6;
    const sample = new Float32Array(100 * nch);
    for (let i = 0; i < 100; i++) sample.set([0.1, 0.2, 1.0, 120 * Math.sin(i), 10, -5], i * nch);
    const m = replayMapping(['aX', 'aY', 'aZ', 'gX', 'gY', 'gZ'], [], sample);
    expect(m.columns).toEqual([0, 1, 2, 3, 4, 5]);
    expect(m.factors[0]).toBeCloseTo(9.80665, 6);
    expect(m.factors[3]).toBeCloseTo(Math.PI / 180, 9);
    const si = replayMapping(['acc_x', 'acc_y', 'acc_z'], ['m/s²', 'm/s²', 'm/s²'], sample);
    expect(si.mask).toBe(0b000111);
    expect(si.factors.slice(0, 3)).toEqual([1, 1, 1]);
    expect(() => replayMapping(['temp', 'light'], [], sample)).toThrow(
      /none of \[temp, light\] looks like one/,
    );
  });

  it('refuses image datasets and leaves no file behind', async () => {
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'mnist', path: makeMnist(3, 2), name: 'm' }),
    );
    const out = path.join(tmpDir(), 'm.bbrp');
    await expect(exportDataset(store.db, row, 'bbrp', out)).rejects.toThrow(/holds time series/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });
});

describe('CSV export', () => {
  it('writes one row per sample with the stored values, re-importable as a label-column CSV', async () => {
    const dir = tmpDir();
    writeFileSync(
      path.join(dir, 'wave_1.csv'),
      'x,y\n' + Array.from({ length: 8 }, (_, i) => `${i / 3},${-i}`).join('\n'),
    );
    writeFileSync(
      path.join(dir, 'idle_1.csv'),
      'x,y\n' + Array.from({ length: 8 }, () => '0.1,0').join('\n'),
    );
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'csv', path: dir, name: 'c', splitBy: 'segment' }),
    );
    const out = path.join(tmpDir(), 'c.csv');
    const r = await exportDataset(store.db, row, 'csv', out);
    expect(r.windows).toBe(2);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('window,split,label,sample,x,y');
    expect(lines).toHaveLength(17);
    const wave = lines.filter((l) => l.includes(',wave,'));
    expect(wave[1]).toMatch(/,wave,1,0\.333333343,-1$/);
    // the exported file imports back with --label-column label to the same windows
    const back = await importDataset(
      store.db,
      ImportInputSchema.parse({
        kind: 'csv',
        path: out,
        name: 'back',
        csv: { labelColumn: 'label', channels: ['x', 'y'] },
        windowLength: 8,
        stride: 8,
        splitBy: 'segment',
      }),
    );
    expect(back.stats.classes).toEqual({ idle: 1, wave: 1 });
    const a = loadDatasetTensors(store.db, 'c', 'train', { normalize: false });
    const b = loadDatasetTensors(store.db, 'back', 'train', { normalize: false });
    expect(
      a.count +
        loadDatasetTensors(store.db, 'c', 'test').count +
        loadDatasetTensors(store.db, 'c', 'val').count,
    ).toBe(2);
    expect(
      b.count +
        loadDatasetTensors(store.db, 'back', 'test').count +
        loadDatasetTensors(store.db, 'back', 'val').count,
    ).toBe(2);
  });
});

describe('CSV export → import round trip', () => {
  it('an exported file imports back, with no options, to the same windows: one recording per `window`', async () => {
    // per-class files like gesture-to-emoji: 4 recordings of 20 samples each, blank-line separated
    const dir = perClassCsv(4, 20, (i, r) => (i * r) % 7);
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({
        kind: 'csv',
        path: dir,
        name: 'g',
        splitBy: 'session',
        valFraction: 0,
        testFraction: 0,
      }),
    );
    expect(row.stats.windows).toBe(8);
    const out = path.join(tmpDir(), 'g.csv');
    await exportDataset(store.db, row, 'csv', out);
    // Before: consecutive windows of one class ran together into one 80-sample recording, and the
    // default 128-sample window found nothing ("No window of 128 samples fits …").
    const back = await importDataset(
      store.db,
      ImportInputSchema.parse({
        kind: 'csv',
        path: out,
        name: 'back',
        splitBy: 'session',
        valFraction: 0,
        testFraction: 0,
      }),
    );
    expect(back.config.windowLength).toBe(20);
    expect(back.config.channelNames).toEqual(['aX', 'aY', 'aZ']);
    expect(back.stats.classes).toEqual({ flex: 4, punch: 4 });
    const key = (t: ReturnType<typeof loadDatasetTensors>) =>
      Array.from(
        { length: t.count },
        (_, i) => `${t.y[i]}:${Array.from(t.x.subarray(i * 60, (i + 1) * 60)).join(',')}`,
      ).sort();
    const a = loadDatasetTensors(store.db, 'g', 'train', { normalize: false });
    const b = loadDatasetTensors(store.db, 'back', 'train', { normalize: false });
    expect(key(b)).toEqual(key(a));
  });
});

describe('CSV export → import keeps the split (`split` column)', () => {
  const windowKeys = (name: string, split: 'train' | 'val' | 'test') => {
    const t = loadDatasetTensors(store.db, name, split, { normalize: false });
    const per = t.x.length / Math.max(1, t.count);
    return Array.from(
      { length: t.count },
      (_, i) => `${t.y[i]}:${Array.from(t.x.subarray(i * per, (i + 1) * per)).join(',')}`,
    ).sort();
  };

  it('the same windows land in the same train/val/test; the split column is no channel, and notes and preview say so', async () => {
    // 2 classes × 8 recordings of 16 samples, each recording its own values
    const dir = perClassCsv(8, 16, (i, r) => (i * (r + 1)) % 5);
    const row = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'csv', path: dir, name: 'g', splitBy: 'session', seed: 7 }),
    );
    expect(row.stats.splits.val).toBeGreaterThan(0);
    expect(row.stats.splits.test).toBeGreaterThan(0);
    const out = path.join(tmpDir(), 'g.csv');
    await exportDataset(store.db, row, 'csv', out);
    const preview = previewCsv(out, { labelFrom: 'auto' });
    expect(preview.split_column).toBe('split');
    expect(preview.channels).toEqual(['aX', 'aY', 'aZ']);
    expect(preview.split_recordings).toEqual(row.stats.splits);
    // Before: the split column was skipped and the split drawn again (by session, seed 42): other
    // windows were the test set.
    const back = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'csv', path: out, name: 'back' }),
    );
    expect(back.config.channelNames).toEqual(['aX', 'aY', 'aZ']);
    expect(back.config.split.by).toBe('given');
    expect(back.stats.splits).toEqual(row.stats.splits);
    for (const split of ['train', 'val', 'test'] as const)
      expect(windowKeys('back', split)).toEqual(windowKeys('g', split));
    expect(back.config.notes.join('\n')).toMatch(/split as column "split" gives it \(not drawn again\)/);
    expect(back.config.notes.join('\n')).toMatch(
      /column "split" names each recording's split.*not a channel/,
    );
    expect(back.config.warnings ?? []).toEqual([]);
    // fractions size a drawn split: with the column giving it they would be dropped, so refused
    await expect(
      importDataset(
        store.db,
        ImportInputSchema.parse({ kind: 'csv', path: out, name: 'fr', testFraction: 0.3 }),
      ),
    ).rejects.toThrow(
      `${out}: column "split" gives each recording its split, so --test-fraction 0.3 would not be used`,
    );
    expect(store.db.prepare("SELECT name FROM datasets WHERE name = 'fr'").all()).toEqual([]);
    // an explicit --split-by draws it again, and says the column was not used
    const redrawn = await importDataset(
      store.db,
      ImportInputSchema.parse({ kind: 'csv', path: out, name: 'redrawn', splitBy: 'session' }),
    );
    expect(redrawn.config.split.by).toBe('session');
    expect(redrawn.config.notes.join('\n')).toMatch(
      /column "split" not used: the split is drawn again by session/,
    );
  });

  it('refuses, with file and line, a recording whose rows name two splits or a value other than train/val/test', async () => {
    const dir = tmpDir();
    const rows = (splits: string[]) =>
      'window,split,label,sample,x\n' +
      splits.map((s, i) => `${i < 4 ? 0 : 1},${s},${i < 4 ? 'a' : 'b'},${i % 4},${i * 0.5}`).join('\n') +
      '\n';
    const two = path.join(dir, 'two.csv');
    writeFileSync(two, rows(['train', 'train', 'test', 'train', 'val', 'val', 'val', 'val']));
    const parse = (p: string, name: string) =>
      ImportInputSchema.parse({ kind: 'csv', path: p, name, windowLength: 4 });
    await expect(importDataset(store.db, parse(two, 'two'))).rejects.toThrow(
      `${two}:4: one recording's rows name two splits in column "split": "train" from line 2, "test" here`,
    );
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(
      bad,
      rows(['train', 'train', 'train', 'train', 'validation', 'validation', 'validation', 'validation']),
    );
    await expect(importDataset(store.db, parse(bad, 'bad'))).rejects.toThrow(
      `${bad}:6: column "split" holds "validation": a split is train, val or test`,
    );
    expect(() => previewCsv(bad, { labelFrom: 'auto' })).toThrow(`${bad}:6:`);
    // Header any case, values any case: accepted
    const ok = path.join(dir, 'ok.csv');
    writeFileSync(
      ok,
      rows(['train', 'train', 'train', 'train', 'Test', 'Test', 'Test', 'Test']).replace('split', 'Split'),
    );
    const r = await importDataset(store.db, parse(ok, 'ok'));
    expect(r.stats.splits).toEqual({ train: 1, val: 0, test: 1 });
    expect(r.config.channelNames).toEqual(['x']);
  });
});

describe('export through the service (app and host)', () => {
  it('a relative file name lands in exports/ beside the database, not in the folder the host started in; 0 windows is refused', async () => {
    const dbPath = path.join(tmpDir(), 'svc.db');
    const ctx = createAppContext({ dbPath, shell: 'headless-host' });
    try {
      await importDataset(
        ctx.db,
        ImportInputSchema.parse({ kind: 'mnist', path: makeMnist(10, 4), name: 'm' }),
      );
      const datasets = createDatasetsService(ctx);
      const { jobId } = await datasets.export({ name: 'm', format: 'csv', out: 'm-v1.csv', maxWindows: 3 });
      const r = await ctx.jobs.done<{ path: string; windows: number }>(jobId);
      expect(r).toMatchObject({ path: path.join(path.dirname(dbPath), 'exports', 'm-v1.csv'), windows: 3 });
      expect(existsSync(r.path)).toBe(true);
      expect(existsSync(path.join(process.cwd(), 'm-v1.csv'))).toBe(false);
      const row = resolveDataset(ctx.db, 'm');
      await expect(
        exportDataset(ctx.db, row, 'csv', path.join(tmpDir(), 'x.csv'), undefined, undefined, 0),
      ).rejects.toThrow('The number of windows to export must be at least 1, got 0.');
    } finally {
      await ctx.close();
    }
  });
});
