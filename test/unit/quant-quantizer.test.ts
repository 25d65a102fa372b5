import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asymmetricEncoding,
  dequantize,
  fakeQuantize,
  quantize,
  quantMse,
  symmetricEncoding,
} from '../../src/main/quant/affine-quantizer';
import {
  multiplierValue,
  quantizeMultiplier,
  requantize,
  requantizeBig,
} from '../../src/main/quant/fixed-point';
import { ActivationObserver } from '../../src/main/quant/observers';
import { activationEncoding, argmaxLogitEncoding, weightEncoding } from '../../src/main/quant/range-setters';
import { seededRandom } from '../../src/main/quant/rng';
import { parseLayerBits, parseMethod } from '../../src/shared/api/quant';
import { AffineEncodingSchema, containerBits } from '../../src/shared/quant/encoding';

function gaussian(n: number, seed: number, sd = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from(
    { length: n },
    () => sd * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()),
  );
}

describe('uniform affine quantizer', () => {
  it('reproduces seed 004’s 4-bit asymmetric example (s = 1/15, z = 8)', () => {
    const enc = asymmetricEncoding(4, -0.5, 0.5, false);
    expect(enc.scales[0]).toBeCloseTo(1 / 15, 12);
    expect(enc.zeroPoints[0]).toBe(8);
    const x = Float32Array.from([0.41, 0.0, 0.8, -0.5]);
    const q = quantize(x, [2, 2], enc);
    // 0.41/s = 6.15 → 6 + 8 = 14; 0 → 8; 0.8/s = 12 + 8 = 20 → clipped to 15.
    // −0.5/s = −7.5: round-half-up gives −7 → 1 (the slide rounds this tie away from zero to 0).
    expect(Array.from(q)).toEqual([14, 8, 15, 1]);
    const xh = dequantize(q, [2, 2], enc);
    expect(xh[0]).toBeCloseTo(0.4, 6);
    expect(xh[2]).toBeCloseTo(0.4667, 4);
  });

  it('round-trips values on the grid exactly and others within s/2', () => {
    const enc = symmetricEncoding(8, [1.27]);
    expect(enc.scales[0]).toBeCloseTo(0.01, 12);
    const onGrid = Float32Array.from([-1.27, -0.5, 0, 0.01, 1.27]);
    const back = fakeQuantize(onGrid, [5], enc);
    for (let i = 0; i < onGrid.length; i++) expect(back[i]).toBeCloseTo(onGrid[i]!, 6);
    fc.assert(
      fc.property(fc.float({ min: Math.fround(-1.27), max: Math.fround(1.27), noNaN: true }), (v) => {
        const r = fakeQuantize(Float32Array.of(v), [1], enc)[0]!;
        return Math.abs(r - v) <= 0.005 + 1e-6;
      }),
    );
  });

  it('uses one scale per output channel (last axis) and restricted symmetric ranges', () => {
    // kernel [rows=2, cout=2]: channel 0 spans ±1.27, channel 1 ±0.127
    const w = Float32Array.from([1.27, 0.127, -0.635, -0.0635]);
    const enc = weightEncoding(w, [2, 2], 8, { method: 'minmax' });
    expect(enc.granularity).toBe('per-channel');
    expect(enc.scales[0]).toBeCloseTo(0.01, 9);
    expect(enc.scales[1]).toBeCloseTo(0.001, 9);
    // −0.635/0.01 = −63.5: the tie rounds up to −63
    expect(Array.from(quantize(w, [2, 2], enc))).toEqual([127, 127, -63, -63]);
    expect(enc.qmin).toBe(-127);
    const e4 = weightEncoding(w, [2, 2], 4, { method: 'minmax' });
    expect([e4.qmin, e4.qmax]).toEqual([-7, 7]);
    const e2 = weightEncoding(w, [2, 2], 2, { method: 'minmax' });
    expect([e2.qmin, e2.qmax]).toEqual([-1, 1]); // ternary
    const e1 = weightEncoding(w, [2, 2], 1, { method: 'minmax' });
    expect(Array.from(quantize(w, [2, 2], e1))).toEqual([1, 1, -1, -1]);
    expect(e1.scales[0]).toBeCloseTo((1.27 + 0.635) / 2, 6); // binary scale = mean |w|
    expect(containerBits(3)).toBe(4);
    expect(containerBits(6)).toBe(8);
    expect(AffineEncodingSchema.safeParse(enc).success).toBe(true);
  });

  it('keeps b-bit activations inside int8 with 2^b levels and real zero exact', () => {
    const enc = asymmetricEncoding(4, -1, 3);
    expect(enc.qmin).toBe(-128);
    expect(enc.qmax).toBe(-128 + 15);
    const z = fakeQuantize(Float32Array.of(0), [1], enc)[0];
    expect(z).toBe(0);
  });
});

describe('range setters', () => {
  it('MSE beats MinMax on a weight tensor with an outlier', () => {
    const w = gaussian(2000, 7, 0.1);
    w[13] = 3; // one outlier, 30 σ
    const shape = [2000, 1];
    const mm = weightEncoding(w, shape, 4, { method: 'minmax' });
    const mse = weightEncoding(w, shape, 4, { method: 'mse' });
    expect(mse.scales[0]!).toBeLessThan(mm.scales[0]!);
    expect(quantMse(w, shape, mse)).toBeLessThan(quantMse(w, shape, mm) * 0.5);
  });

  it('MSE and percentile beat MinMax on activations with an outlier', () => {
    const obs = new ActivationObserver('a', 65536, 3);
    const x = gaussian(20000, 11, 1).map(Math.abs);
    x[5] = 60;
    obs.observe(x);
    const shape = [x.length];
    const mm = activationEncoding(obs, 4, { method: 'minmax' });
    const mse = activationEncoding(obs, 4, { method: 'mse' });
    const pc = activationEncoding(obs, 4, { method: 'percentile', percentile: 99.9 });
    expect(quantMse(x, shape, mse)).toBeLessThan(quantMse(x, shape, mm) * 0.5);
    expect(quantMse(x, shape, pc)).toBeLessThan(quantMse(x, shape, mm));
    expect(mm.zeroPoints[0]).toBe(-128); // ReLU-like: zero at the bottom of the grid
  });

  it('the argmax logits grid spans the runner-up logits (hand-computed) and keeps close calls apart', () => {
    // Runner-ups: 2, −4, 6 → [−4, 6], top widened by 25 % of the span: [−4, 8.5]; s = 12.5/255.
    const logits = Float32Array.from([50, 2, -30, /**/ -4, -40, 20, /**/ 6, 7, -10]);
    const enc = argmaxLogitEncoding(logits, 3, 3, 8)!;
    expect(enc.scales[0]).toBeCloseTo(12.5 / 255, 12);
    expect(enc.zeroPoints[0]).toBe(Math.round(4 / (12.5 / 255)) - 128);
    expect(argmaxLogitEncoding(logits, 9, 1, 8)).toBeUndefined();
    // Confident windows with a huge lead, plus close calls 0.2 apart: MinMax's grid (over all
    // logits) rounds the close pairs together and argmax ties; the runner-up grid keeps them apart.
    const rows: number[] = [];
    for (let i = 0; i < 50; i++) rows.push(60 + i, -50, 1);
    for (let i = 0; i < 20; i++) rows.push(3 + 0.3 * i, 3.2 + 0.3 * i, -5);
    const x = Float32Array.from(rows);
    const obs = new ActivationObserver('logits', 65536, 1);
    obs.observe(x);
    const ties = (e: ReturnType<typeof activationEncoding>) => {
      const q = quantize(x, [x.length], e);
      let n = 0;
      for (let i = 0; i < x.length; i += 3) if (q[i] === q[i + 1] && q[i]! >= q[i + 2]!) n++;
      return n;
    };
    expect(ties(activationEncoding(obs, 8, { method: 'minmax' }))).toBeGreaterThan(5);
    expect(ties(argmaxLogitEncoding(x, x.length / 3, 3, 8)!)).toBe(0);
  });
});

describe('fixed-point requantisation', () => {
  it('multiplier + shift reproduce M to 2^-31 relative', () => {
    for (const m of [0.75, 1e-3, 0.0123456, 1.5, 3.2e-6, 0.5]) {
      const { multiplier, shift } = quantizeMultiplier(m);
      expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(multiplierValue(multiplier, shift) - m) / m).toBeLessThan(2 ** -30);
    }
  });

  it('the double-precision requantize equals the BigInt definition bit for bit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }),
        fc.integer({ min: -31, max: 30 }),
        (acc, mult, shift) => {
          const a = requantize(acc, mult, shift);
          const b = requantizeBig(acc, mult, shift);
          // Above 2^53 only sign and size matter (the clamp to int8 follows).
          return Math.abs(b) > 2 ** 52 ? Math.sign(a) === Math.sign(b) && Math.abs(a) > 2 ** 50 : a === b;
        },
      ),
      { numRuns: 5000 },
    );
    // Found by the property above (seed 1693917779): at shift −31 the rounding term is 2^61, which
    // rounded away the product's low bits when it was added to them.
    for (const [acc, mult, shift] of [
      [2147483628, 1073741834, -31],
      [-2147483648, 2 ** 31 - 1, -31],
      [2147483647, 2 ** 31 - 1, -15],
      [-1, 2 ** 30, -31],
      [123456789, 1518500250, 15],
      [-987654321, 1518500250, 14],
    ] as const)
      expect(requantize(acc, mult, shift), `${acc} · ${mult} at ${shift}`).toBe(
        requantizeBig(acc, mult, shift),
      );
    // ties round up: 3 · 0.5 = 1.5 → 2, −3 · 0.5 = −1.5 → −1
    const half = quantizeMultiplier(0.5);
    expect(requantize(3, half.multiplier, half.shift)).toBe(2);
    expect(requantize(-3, half.multiplier, half.shift)).toBe(-1);
  });
});

describe('method strings and per-layer tables', () => {
  it('parses combinable methods and refuses unknown or clashing steps', () => {
    expect(parseMethod('cle+mse+adaround+bias-correction')).toEqual({
      cle: true,
      weightRange: 'mse',
      actRange: 'mse',
      optimizer: 'adaround',
      biasCorrection: true,
    });
    expect(() => parseMethod('cle+magic')).toThrow(/unknown method step "magic"/);
    expect(() => parseMethod('minmax+mse')).toThrow(/two range setters/);
    expect(() => parseMethod('adaround+lsq')).toThrow(/pick one/);
  });

  it('parses conv1=4,fc=8/8 and refuses bits outside 1..8', () => {
    expect(parseLayerBits('conv1=4,fc=8/8')).toEqual({ conv1: { weights: 4 }, fc: { weights: 8, acts: 8 } });
    expect(() => parseLayerBits('conv1=9')).toThrow(/1\.\.8/);
    expect(() => parseLayerBits('conv1=4,conv1=2')).toThrow(/named twice/);
    expect(parseLayerBits(' conv1 = 4 / 8 , fc=2')).toEqual({
      conv1: { weights: 4, acts: 8 },
      fc: { weights: 2 },
    });
    expect(() => parseLayerBits(' , ')).toThrow(/empty/);
    expect(() => parseLayerBits('conv1=0')).toThrow(/1\.\.8/);
    // Activations only: the weights keep the default bits.
    expect(parseLayerBits('fc=/8, conv2 = / 4')).toEqual({ fc: { acts: 8 }, conv2: { acts: 4 } });
    expect(() => parseLayerBits('fc=/')).toThrow(/expected name=W, name=W\/A or name=\/A/);
    expect(() => parseLayerBits('fc=')).toThrow(/bad layer-bits entry "fc="/);
    expect(() => parseLayerBits('fc=/9')).toThrow(/1\.\.8/);
    expect(() => parseLayerBits('conv1:4')).toThrow(/expected name=W/);
  });
});
