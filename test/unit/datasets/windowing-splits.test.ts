import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeWindowedDataset, type RecordingInput } from '../../../src/main/datasets/dataset-writer';
import { assignGroups, seededRandom } from '../../../src/main/datasets/splits';
import { cutWindows, windowsInSegment } from '../../../src/main/datasets/windowing';
import { openStore } from '../../../src/main/store/database';

describe('cutWindows', () => {
  it('cuts 128-sample windows every 64 samples inside each segment, never across a label change', () => {
    const recs = [
      {
        nSamples: 1000,
        segments: [
          { start: 0, end: 300, label: 'walk' },
          { start: 300, end: 320, label: 'sit_to_stand' },
          { start: 320, end: 1000, label: 'stand' },
        ],
      },
    ];
    const w = cutWindows(recs, 128, 64, ['walk', 'stand']);
    expect(w.filter((x) => x.label === 0).map((x) => x.start)).toEqual([0, 64, 128]);
    expect(w.filter((x) => x.label === 1).map((x) => x.start)).toEqual([
      320, 384, 448, 512, 576, 640, 704, 768, 832,
    ]);
    expect(windowsInSegment(300, 128, 64)).toBe(3);
    expect(windowsInSegment(680, 128, 64)).toBe(9);
    expect(windowsInSegment(127, 128, 64)).toBe(0);
  });

  it('property: disjoint segments give every window inside one segment of its class, as many as the closed form', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 100 }),
            fc.integer({ min: 1, max: 300 }),
            fc.constantFrom('a', 'b', 'c'),
          ),
          { maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (segs, length, stride) => {
          let at = 0;
          const segments = segs.map(([gap, n, label]) => {
            const seg = { start: at + gap, end: at + gap + n, label };
            at = seg.end;
            return seg;
          });
          const w = cutWindows([{ nSamples: 10_000, segments }], length, stride, ['a', 'b']);
          const expected = segments
            .filter((s) => s.label !== 'c')
            .reduce((n, s) => n + windowsInSegment(s.end - s.start, length, stride), 0);
          expect(w).toHaveLength(expected);
          for (const x of w) {
            const seg = segments[x.segment]!;
            expect(['a', 'b'][x.label]).toBe(seg.label);
            expect(x.start).toBeGreaterThanOrEqual(seg.start);
            expect(x.start + length).toBeLessThanOrEqual(seg.end);
          }
        },
      ),
    );
  });

  it('property: overlapping labels never window a sample under two classes; the narrowest label wins', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 400 }),
            fc.integer({ min: 1, max: 300 }),
            fc.constantFrom('a', 'b', 'c'),
          ),
          { maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 1, max: 32 }),
        (segs, length, stride) => {
          const segments = segs.map(([s, n, label]) => ({ start: s, end: s + n, label }));
          const w = cutWindows([{ nSamples: 1000, segments }], length, stride, ['a', 'b']);
          const classOf = new Map<number, number>();
          for (const x of w) {
            for (let t = x.start; t < x.start + length; t++) {
              expect(classOf.get(t) ?? x.label).toBe(x.label);
              classOf.set(t, x.label);
              // the narrowest segments covering t all carry the window's label
              const covering = segments.filter((s) => s.start <= t && t < s.end);
              const narrowest = Math.min(...covering.map((s) => s.end - s.start));
              for (const s of covering.filter((c) => c.end - c.start === narrowest))
                expect(s.label).toBe(['a', 'b'][x.label]);
            }
          }
        },
      ),
    );
  });
});

describe('assignGroups', () => {
  it('is deterministic for a seed and independent of input order', () => {
    const groups = Array.from({ length: 30 }, (_, i) => `s${i}`);
    const a = assignGroups(groups, { valFraction: 0.2, testFraction: 0.2, seed: 7 });
    const b = assignGroups([...groups].reverse(), { valFraction: 0.2, testFraction: 0.2, seed: 7 });
    expect([...a].sort()).toEqual([...b].sort());
    const c = assignGroups(groups, { valFraction: 0.2, testFraction: 0.2, seed: 8 });
    expect([...a].sort()).not.toEqual([...c].sort());
    const counts = { train: 0, val: 0, test: 0 };
    for (const s of a.values()) counts[s]++;
    expect(counts).toEqual({ train: 18, val: 6, test: 6 });
  });

  it('forced test groups go to test; val is drawn from the rest', () => {
    const groups = Array.from({ length: 30 }, (_, i) => String(i + 1));
    const testGroups = new Set(['2', '4', '9', '10', '12', '13', '18', '20', '24']);
    const a = assignGroups(groups, { valFraction: 0.15, testFraction: 0.5, seed: 1, testGroups });
    for (const [g, s] of a) expect(s === 'test').toBe(testGroups.has(g));
    expect([...a.values()].filter((s) => s === 'val')).toHaveLength(3);
  });

  it('stratifies single-class groups so every split gets every class', () => {
    const groups = [
      ...Array.from({ length: 10 }, (_, i) => `p${i}`),
      ...Array.from({ length: 10 }, (_, i) => `f${i}`),
    ];
    const cls = new Map(groups.map((g) => [g, g.startsWith('p') ? 0 : 1]));
    const a = assignGroups(groups, { valFraction: 0.2, testFraction: 0.2, seed: 3 }, cls);
    for (const split of ['train', 'val', 'test'] as const) {
      const classes = new Set([...a].filter(([, s]) => s === split).map(([g]) => cls.get(g)));
      expect(classes).toEqual(new Set([0, 1]));
    }
  });

  it('seededRandom is uniform enough and reproducible', () => {
    const r1 = seededRandom(42);
    const r2 = seededRandom(42);
    const xs = Array.from({ length: 10_000 }, () => r1());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => r2()));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

/** Recordings whose samples carry their own identity: value = recording·1e4 + sample index. */
function taggedRecordings(spec: Array<{ n: number; subject: string; labels: string[] }>): RecordingInput[] {
  return spec.map((r, k) => {
    const data = new Float32Array(r.n);
    for (let i = 0; i < r.n; i++) data[i] = k * 10_000 + i;
    const seg = Math.floor(r.n / r.labels.length);
    return {
      name: `r${k}`,
      subject: r.subject,
      rateHz: 50,
      channels: [{ name: 'id' }],
      data,
      nSamples: r.n,
      segments: r.labels.map((label, j) => ({
        start: j * seg,
        end: j === r.labels.length - 1 ? r.n : (j + 1) * seg,
        label,
      })),
    };
  });
}

describe('splits of a written dataset (property)', () => {
  const recordingArb = fc.record({
    n: fc.integer({ min: 20, max: 200 }),
    subject: fc.constantFrom('1', '2', '3', '4', '5', '6'),
    labels: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }),
  });

  it('no sample and no recording in two splits; no subject in two splits when splitting by subject', () => {
    fc.assert(
      fc.property(
        fc.array(recordingArb, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('subject' as const, 'session' as const, 'segment' as const),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 4, max: 16 }),
        (spec, splitBy, seed, length) => {
          const recs = taggedRecordings(spec);
          const store = openStore(':memory:');
          try {
            let row;
            try {
              row = writeWindowedDataset(store.db, recs, {
                name: 'p',
                kind: 'test',
                group: 'p',
                classes: ['a', 'b', 'c'],
                windowLength: length,
                stride: Math.max(1, length >> 1),
                splitBy,
                seed,
                valFraction: 0.2,
                testFraction: 0.2,
                normalization: 'standardize',
                source: 'property',
                preprocess: null,
                notes: [],
              });
            } catch (err) {
              // the only acceptable failure: nothing fits
              expect((err as Error).message).toMatch(/No window/);
              return;
            }
            const win = store.db
              .prepare(
                'SELECT split, session_id, start_sample, subject, data FROM dataset_windows WHERE dataset_id = ?',
              )
              .all(row.id) as Array<{
              split: string;
              session_id: number;
              start_sample: number;
              subject: string;
              data: Buffer;
            }>;
            const sampleSplit = new Map<number, string>();
            const sessionSplit = new Map<number, string>();
            const subjectSplit = new Map<string, string>();
            for (const w of win) {
              const values = new Float32Array(
                w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength),
              );
              for (const v of values) {
                const prev = sampleSplit.get(v);
                expect(prev === undefined || prev === w.split).toBe(true);
                sampleSplit.set(v, w.split);
              }
              if (splitBy !== 'segment') {
                const prev = sessionSplit.get(w.session_id);
                expect(prev === undefined || prev === w.split).toBe(true);
                sessionSplit.set(w.session_id, w.split);
              }
              if (splitBy === 'subject') {
                const prev = subjectSplit.get(w.subject);
                expect(prev === undefined || prev === w.split).toBe(true);
                subjectSplit.set(w.subject, w.split);
              }
              // the window's data is the recording's samples at its start
              expect(values[0]! % 10_000).toBe(w.start_sample);
            }
            expect(win.length).toBe(row.stats.windows);
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
