import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler } from '../../../src/main/recording/chunk-assembler';
import { decimateMinMax } from '../../../src/main/recording/decimate';
import { FrameGapDetector } from '../../../src/main/recording/gap-detector';
import { UiBatcher, type SampleBatch } from '../../../src/main/recording/ui-batcher';

describe('gap detection', () => {
  it('sees nothing wrong in a contiguous stream, across the 2^32 wrap of both counters', () => {
    const d = new FrameGapDetector(1000);
    let t = 0xffff_ff00 - 20_000;
    let f = 0xffff_fffd;
    for (let i = 0; i < 10; i++) {
      const c = d.check(f >>> 0, t % 0x1_0000_0000, 10);
      expect(c).toMatchObject({ gap: false, droppedFrames: 0, missingSamples: 0, duplicate: false });
      expect(c.tUs).toBe(i * 10_000);
      t += 10_000;
      f++;
    }
    expect(d.gaps).toBe(0);
  });

  it('counts dropped frames from frame_no and missing samples from the board clock', () => {
    const d = new FrameGapDetector(100); // 10 ms per sample, 10 samples per frame = 100 ms per frame
    d.check(0, 0, 10);
    expect(d.check(1, 100_000, 10).gap).toBe(false);
    // frames 2 and 3 lost
    expect(d.check(4, 400_000, 10)).toMatchObject({
      gap: true,
      droppedFrames: 2,
      missingSamples: 20,
      tUs: 400_000,
    });
    // no frame lost, but the board skipped 5 samples (a sensor FIFO overrun)
    expect(d.check(5, 550_000, 10)).toMatchObject({ gap: true, droppedFrames: 0, missingSamples: 5 });
    // timer jitter below half a period is not a gap
    expect(d.check(6, 654_000, 10).gap).toBe(false);
    expect(d.gaps).toBe(2);
    expect(d.droppedFrames).toBe(2);
    expect(d.missingSamples).toBe(25);
  });

  it('ignores a repeated frame', () => {
    const d = new FrameGapDetector(100);
    d.check(7, 0, 10);
    expect(d.check(7, 0, 10).duplicate).toBe(true);
    expect(d.check(8, 100_000, 10)).toMatchObject({ gap: false, duplicate: false });
    expect(d.duplicates).toBe(1);
  });
});

describe('chunk assembly', () => {
  const frames = (n: number, per: number, nch: number) =>
    Array.from({ length: n }, (_, f) =>
      Float32Array.from({ length: per * nch }, (_, i) => f * per * nch + i),
    );

  it('keeps every sample, in order, with each chunk timed from its first sample', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 4 }),
        (nFrames, per, maxSamples, drainAt) => {
          const nch = 3;
          const a = new ChunkAssembler(nch, 1000, maxSamples);
          const chunks = [];
          for (const [f, data] of frames(nFrames, per, nch).entries()) {
            a.append(data, per, f * per * 1000);
            if (drainAt.includes(f)) chunks.push(...a.drain());
          }
          chunks.push(...a.drain());
          const all = chunks.flatMap((c) => [...c.data]);
          expect(all).toEqual(Array.from({ length: nFrames * per * nch }, (_, i) => i));
          let next = 0;
          for (const c of chunks) {
            expect(c.firstSample).toBe(next);
            expect(c.nSamples).toBeLessThanOrEqual(maxSamples);
            expect(c.t0Us).toBe(c.firstSample * 1000);
            next += c.nSamples;
          }
        },
      ),
    );
  });

  it('starts a new chunk at a gap, carrying the time after the gap', () => {
    const a = new ChunkAssembler(1, 100, 1000);
    a.append(Float32Array.of(1, 2), 2, 0);
    a.append(Float32Array.of(3, 4), 2, 20_000);
    a.append(Float32Array.of(5, 6), 2, 90_000, true);
    const c = a.drain();
    expect(c.map((x) => [x.firstSample, x.t0Us, x.nSamples])).toEqual([
      [0, 0, 4],
      [4, 90_000, 2],
    ]);
  });
});

describe('UI batching', () => {
  it('sends everything in one batch per tick below the cap, with sample indices', () => {
    const got: SampleBatch[] = [];
    const b = new UiBatcher(2, (x) => got.push(x), { maxSamples: 100 });
    b.push(Float32Array.of(1, 2, 3, 4), 2);
    b.push(Float32Array.of(5, 6), 1);
    b.flush();
    b.push(Float32Array.of(7, 8), 1);
    b.flush();
    b.flush();
    expect(got).toEqual([
      { firstIndex: 0, stride: 1, nSamples: 3, nChannels: 2, data: [1, 2, 3, 4, 5, 6] },
      { firstIndex: 3, stride: 1, nSamples: 1, nChannels: 2, data: [7, 8] },
    ]);
  });

  it('thins a large batch to every k-th sample', () => {
    const got: SampleBatch[] = [];
    const b = new UiBatcher(1, (x) => got.push(x), { maxSamples: 10 });
    b.push(
      Float32Array.from({ length: 35 }, (_, i) => i),
      35,
    );
    b.flush();
    expect(got[0]).toMatchObject({ firstIndex: 0, stride: 4, nSamples: 9 });
    expect(got[0]!.data).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32]);
  });

  it('emits at most once per interval', async () => {
    const got: SampleBatch[] = [];
    const b = new UiBatcher(1, (x) => got.push(x), { intervalMs: 40 });
    b.start();
    const began = Date.now();
    let pushes = 0;
    while (Date.now() - began < 300) {
      b.push(Float32Array.of(1), 1);
      pushes++;
      await new Promise((r) => setTimeout(r, 2));
    }
    const elapsed = Date.now() - began;
    b.stop();
    // One batch per 40 ms tick plus the final flush, however many pushes a busy machine fits in
    // (~100 on an idle one); every pushed sample arrives, none twice.
    expect(got.length).toBeGreaterThanOrEqual(4);
    expect(got.length).toBeLessThanOrEqual(Math.ceil(elapsed / 40) + 2);
    expect(got.length).toBeLessThan(pushes);
    expect(got.reduce((n, x) => n + x.nSamples, 0)).toBe(pushes);
  });
});

describe('decimation for plotting', () => {
  it('returns every sample when few, min and max per bucket when many', () => {
    const data = Float32Array.from({ length: 20 }, (_, i) => (i === 13 ? 100 : i));
    expect(decimateMinMax(data, 1, 5, 50)).toEqual({
      index: Array.from({ length: 20 }, (_, i) => i + 5),
      channels: [[...data]],
      bucket: 1,
    });
    const d = decimateMinMax(data, 1, 0, 8);
    expect(d.bucket).toBe(5);
    expect(d.index).toEqual([0, 2, 5, 7, 10, 12, 15, 17]);
    // the spike at sample 13 survives as the max of its bucket
    expect(d.channels[0]).toEqual([0, 4, 5, 9, 10, 100, 15, 19]);
    // a falling signal draws max before min
    const falling = decimateMinMax(
      Float32Array.from({ length: 20 }, (_, i) => 20 - i),
      1,
      0,
      8,
    );
    expect(falling.channels[0]).toEqual([20, 16, 15, 11, 10, 6, 5, 1]);
  });
});
