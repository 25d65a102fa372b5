import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IDENTITY_REQUANT,
  TANH_Q15,
  quantizeMultiplier,
  requantToInt8,
  requantize,
  sigmoidQ15,
  tanhQ15,
} from '../../src/main/engine/int-math';

/** The spec formula in BigInt, independent of the fast path. */
function requantBig(acc: number, mult: number, shift: number): number {
  const total = BigInt(31 - shift);
  return Number((BigInt(acc) * BigInt(mult) + (1n << (total - 1n))) >> total);
}

describe('requantize', () => {
  it('rounds half up (towards +∞), also for negative accumulators', () => {
    // M = 0.5: multiplier 2^30, shift 0.
    expect(requantize(3, 2 ** 30, 0)).toBe(2); // 1.5 → 2
    expect(requantize(-3, 2 ** 30, 0)).toBe(-1); // −1.5 → −1
    expect(requantize(5, 2 ** 30, 0)).toBe(3); // 2.5 → 3
    expect(requantize(-5, 2 ** 30, 0)).toBe(-2); // −2.5 → −2
    expect(requantize(4, 2 ** 30, 0)).toBe(2);
    // M = 0.25 (shift −1): 7 · 0.25 = 1.75 → 2; −7 → −1.75 → −2
    expect(requantize(7, 2 ** 30, -1)).toBe(2);
    expect(requantize(-7, 2 ** 30, -1)).toBe(-2);
  });

  it('is the identity for the identity requant', () => {
    for (const v of [-255, -128, -1, 0, 1, 127, 255])
      expect(requantize(v, IDENTITY_REQUANT.multiplier, IDENTITY_REQUANT.shift)).toBe(v);
  });

  it('equals the int64 formula on random accumulators, multipliers and shifts (fast path and BigInt path)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }),
        fc.integer({ min: -31, max: 30 }),
        (acc, mult, shift) => {
          expect(requantize(acc, mult, shift)).toBe(requantBig(acc, mult, shift));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('clamps to the fused activation range after adding the zero point', () => {
    expect(requantToInt8(1000, 2 ** 30, 1, 10, -128, 127)).toBe(127);
    expect(requantToInt8(-50, 2 ** 30, 1, 10, 10, 127)).toBe(10); // ReLU: floor at zp_out
    expect(requantToInt8(20, 2 ** 30, 1, 10, 10, 40)).toBe(30);
  });
});

describe('quantizeMultiplier', () => {
  it('decomposes M = multiplier · 2^(shift − 31) with multiplier in [2^30, 2^31)', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 3 * 2 ** 29, shift: 0 });
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e8, noNaN: true }), (m) => {
        const q = quantizeMultiplier(m);
        expect(q.multiplier).toBeGreaterThanOrEqual(2 ** 30);
        expect(q.multiplier).toBeLessThan(2 ** 31);
        expect(Math.abs(q.multiplier * 2 ** (q.shift - 31) - m) / m).toBeLessThan(2 ** -30);
      }),
    );
  });
  it('refuses non-positive and unrepresentable multipliers', () => {
    expect(() => quantizeMultiplier(0)).toThrow(/positive/);
    expect(() => quantizeMultiplier(2 ** 40)).toThrow(/range/);
  });
});

describe('Q15 gates', () => {
  it('match tanh/sigmoid at table points and saturate', () => {
    expect(tanhQ15(0)).toBe(0);
    expect(tanhQ15(4096)).toBe(Math.round(Math.tanh(1) * 32768)); // 1.0 in Q3.12 is an exact table point (i = 32)
    expect(tanhQ15(-4096)).toBe(-Math.round(Math.tanh(1) * 32768));
    expect(tanhQ15(1 << 20)).toBe(32767);
    expect(tanhQ15(-(2 ** 31) + 1)).toBe(-32767);
    expect(sigmoidQ15(0)).toBe(16384);
    expect(sigmoidQ15(1 << 20)).toBe(32767);
    expect(sigmoidQ15(-(1 << 20))).toBe(0);
    expect(TANH_Q15.length).toBe(257);
  });
  it('stay within one LSB-ish of the real functions across the range (interpolation error < 2^-9)', () => {
    for (let v = -40000; v <= 40000; v += 97) {
      expect(Math.abs(tanhQ15(v) / 32768 - Math.tanh(v / 4096))).toBeLessThan(2 ** -9);
      expect(Math.abs(sigmoidQ15(v) / 32768 - 1 / (1 + Math.exp(-v / 4096)))).toBeLessThan(2 ** -9);
    }
  });
  it('are odd / symmetric in integers', () => {
    for (let v = 0; v < 40000; v += 13) {
      expect(tanhQ15(-v)).toBe(0 - tanhQ15(v));
      expect(sigmoidQ15(v) + sigmoidQ15(-v)).toBeGreaterThanOrEqual(32767);
      expect(sigmoidQ15(v) + sigmoidQ15(-v)).toBeLessThanOrEqual(32768);
    }
  });
});
