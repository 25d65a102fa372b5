import { describe, expect, it } from 'vitest';
import {
  butterworthLowpass,
  butterworthMagnitude,
  filtfilt,
  median3,
  sosFilterInPlace,
  sosMagnitude,
} from '../../../src/main/datasets/filters';

/** Amplitude of a sinusoid of frequency f in x (least squares on sin/cos, away from the edges). */
function amplitude(x: ArrayLike<number>, f: number, fs: number, from: number, to: number): number {
  let ss = 0;
  let sc = 0;
  for (let i = from; i < to; i++) {
    ss += x[i]! * Math.sin((2 * Math.PI * f * i) / fs);
    sc += x[i]! * Math.cos((2 * Math.PI * f * i) / fs);
  }
  return (2 * Math.hypot(ss, sc)) / (to - from);
}

describe('Butterworth low-pass (bilinear transform)', () => {
  const cases: Array<[number, number, number]> = [
    [3, 20, 50],
    [3, 0.3, 50],
    [2, 5, 100],
    [5, 10, 119],
  ];
  for (const [order, fc, fs] of cases) {
    it(`order ${order}, ${fc} Hz at ${fs} Hz matches the analytic |H| at several frequencies`, () => {
      const sos = butterworthLowpass(order, fc, fs);
      expect(sos).toHaveLength(Math.ceil(order / 2));
      for (const f of [0, fc / 10, fc / 2, fc, Math.min(2 * fc, 0.45 * fs), 0.49 * fs]) {
        const h = sosMagnitude(sos, fs, f);
        expect(h).toBeCloseTo(butterworthMagnitude(order, fc, fs, f), 9);
      }
      expect(sosMagnitude(sos, fs, 0)).toBeCloseTo(1, 12);
      expect(sosMagnitude(sos, fs, fc)).toBeCloseTo(Math.SQRT1_2, 9);
    });
  }

  it('the analytic magnitude falls off at 6·n dB per octave well above the cut-off', () => {
    // 3rd order: doubling the (pre-warped) frequency far above fc divides |H| by ~2³.
    const a = butterworthMagnitude(3, 1, 1000, 20);
    const b = butterworthMagnitude(3, 1, 1000, 40);
    expect(a / b).toBeGreaterThan(7.5);
    expect(a / b).toBeLessThan(8.5);
  });

  it('filtering a sinusoid scales it by |H| (causal) and |H|² (zero-phase)', () => {
    const fs = 50;
    const sos = butterworthLowpass(3, 0.3, fs);
    for (const f of [0.2, 0.3, 0.6]) {
      const x = Float64Array.from({ length: 4000 }, (_, i) => Math.sin((2 * Math.PI * f * i) / fs));
      const causal = Float64Array.from(x);
      sosFilterInPlace(sos, causal);
      const h = butterworthMagnitude(3, 0.3, fs, f);
      expect(amplitude(causal, f, fs, 2000, 4000)).toBeCloseTo(h, 2);
      const zp = filtfilt(sos, x, 1000);
      expect(amplitude(zp, f, fs, 1000, 3000)).toBeCloseTo(h * h, 2);
    }
  });

  it('zero-phase filtering does not shift a slow signal in time', () => {
    const fs = 50;
    const sos = butterworthLowpass(3, 20, fs);
    const x = Float64Array.from({ length: 1000 }, (_, i) => Math.sin((2 * Math.PI * 1 * i) / fs));
    const y = filtfilt(sos, x);
    for (let i = 100; i < 900; i += 37) expect(y[i]).toBeCloseTo(x[i]!, 3);
  });

  it('keeps a constant exactly, edges included (steady-state start)', () => {
    const y = filtfilt(butterworthLowpass(3, 0.3, 50), new Float64Array(300).fill(0.98), 250);
    for (const v of y) expect(v).toBeCloseTo(0.98, 9);
  });

  it('rejects a cut-off at or above Nyquist and a bad order', () => {
    expect(() => butterworthLowpass(3, 25, 50)).toThrow(/Nyquist/);
    expect(() => butterworthLowpass(0, 1, 50)).toThrow(/order/);
  });
});

describe('median3', () => {
  it('removes single-sample spikes and keeps the ends', () => {
    expect(Array.from(median3([1, 9, 1, 1, -7, 1, 2]))).toEqual([1, 1, 1, 1, 1, 1, 2]);
    expect(Array.from(median3([3, 1, 2]))).toEqual([3, 2, 2]);
    expect(Array.from(median3([5]))).toEqual([5]);
    expect(median3([])).toHaveLength(0);
  });
});
