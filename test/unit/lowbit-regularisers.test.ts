import type { Tensor } from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LowBitConfigSchema } from '../../src/shared/api/lowbit';
import { ModelSpecSchema } from '../../src/shared/model/spec';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { trainLowBit } from '../../src/main/quant/lowbit-trainer';
import { weightGrid } from '../../src/main/quant/qat/fake-quant';
import { FunctionalModel } from '../../src/main/quant/qat/functional-model';
import { seededRandom } from '../../src/main/quant/rng';
import {
  annealedLambda,
  fractionNearLevels,
  nearestLevel,
  regulariserTf,
  regulariserValue,
  type RegulariserKind,
} from '../../src/main/quant/universal/regularisers';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const KINDS: RegulariserKind[] = ['s1', 's2'];
const BITS = [1, 2, 3, 4, 8];

function levels(bits: number): number[] {
  const g = weightGrid(bits);
  if (g.binary) return [-1, 1];
  return Array.from({ length: g.qmax - g.qmin + 1 }, (_, i) => g.qmin + i);
}

describe('universal regularisers S1 and S2', () => {
  for (const kind of KINDS)
    for (const bits of BITS) {
      it(`${kind}, ${bits}-bit: exactly 0 on every level (any scale α)`, () => {
        const grid = weightGrid(bits);
        for (const l of levels(bits)) expect(regulariserValue(kind, l, grid)).toBe(0);
        // Power-of-two scales keep w/α exact in float32, so "on the level" is exact in the TF.js version too.
        for (const alpha of [0.015625, 0.5, 4]) {
          const w = tf.tensor1d(levels(bits).map((l) => l * alpha));
          expect(regulariserTf(tf, kind, w, tf.scalar(alpha), grid).dataSync()[0]).toBe(0);
        }
      });

      it(`${kind}, ${bits}-bit: positive everywhere off the levels, inside and outside the grid`, () => {
        const grid = weightGrid(bits);
        const lv = levels(bits);
        fc.assert(
          fc.property(
            fc
              .double({ min: -3 * grid.qmax - 3, max: 3 * grid.qmax + 3, noNaN: true })
              // 1e-9 away from a level, so d² cannot underflow to 0 in float64
              .filter((u) => lv.every((l) => Math.abs(u - l) > 1e-9)),
            (u) => regulariserValue(kind, u, grid) > 0,
          ),
          { numRuns: 400 },
        );
      });
    }

  it('S1 is the squared distance to the nearest level; S2 matches it to second order next to a level', () => {
    const bin = weightGrid(1);
    expect(regulariserValue('s1', 0.7, bin)).toBeCloseTo(0.09, 12);
    expect(regulariserValue('s1', -1.6, bin)).toBeCloseTo(0.36, 12);
    const g3 = weightGrid(3);
    expect(regulariserValue('s1', 1.3, g3)).toBeCloseTo(0.09, 12);
    expect(regulariserValue('s1', 4.5, g3)).toBeCloseTo(2.25, 12); // beyond the outer level 3
    for (const grid of [bin, g3]) {
      const l = grid.binary ? 1 : 2;
      const d = 1e-3;
      expect(regulariserValue('s2', l + d, grid) / regulariserValue('s1', l + d, grid)).toBeCloseTo(1, 5);
    }
  });

  it('S2 grows monotonically past the outer level (no extra zeros from the periodic term)', () => {
    for (const bits of [1, 2, 4]) {
      const grid = weightGrid(bits);
      let prev = 0;
      for (let u = grid.qmax + 0.01; u < grid.qmax + 6; u += 0.01) {
        const r = regulariserValue('s2', u, grid);
        expect(r).toBeGreaterThan(prev);
        prev = r;
      }
    }
  });

  it('the TF.js version equals the float64 one, per channel', () => {
    const grid = weightGrid(2);
    const alpha = [0.3, 0.05];
    const w = [0.1, -0.02, -0.44, 0.06, 0.31, 0.2, 0.9, -0.049];
    for (const kind of KINDS) {
      const expected = w.reduce((acc, v, i) => acc + regulariserValue(kind, v / alpha[i % 2]!, grid), 0);
      const got = regulariserTf(tf, kind, tf.tensor2d(w, [4, 2]), tf.tensor1d(alpha), grid).dataSync()[0]!;
      expect(got).toBeCloseTo(expected, 4);
    }
  });

  it('S1 gradient is 2d/α (pulls toward the nearest level), S2 gradient vanishes on the decision boundary', () => {
    const bin = weightGrid(1);
    const alpha = 0.5;
    const w = tf.tensor1d([0.2, -0.9, 1e-6]);
    const g1 = Array.from(
      tf
        .grad((t: Tensor) => regulariserTf(tf, 's1', t, tf.scalar(alpha), bin))(w)
        .dataSync(),
    );
    expect(g1[0]).toBeCloseTo((2 * (0.4 - 1)) / alpha, 4);
    expect(g1[1]).toBeCloseTo((2 * (-1.8 + 1)) / alpha, 4);
    const g2 = Array.from(
      tf
        .grad((t: Tensor) => regulariserTf(tf, 's2', t, tf.scalar(alpha), bin))(w)
        .dataSync(),
    );
    expect(Math.abs(g2[2]!)).toBeLessThan(1e-4); // u ≈ 0: midway between −1 and +1
    expect(Math.abs(g1[2]!)).toBeGreaterThan(3); // S1 pushes hard either way there
  });

  it('nearest level and the ε-fraction', () => {
    expect(nearestLevel(0, weightGrid(1))).toBe(1);
    expect(nearestLevel(-0.2, weightGrid(1))).toBe(-1);
    expect(nearestLevel(9, weightGrid(3))).toBe(3);
    expect(nearestLevel(-0.5, weightGrid(2))).toBe(0);
    const alpha = [0.5, 1];
    // channel 0: u = 1.02, −0.9 ; channel 1: u = 1, 0.2
    expect(fractionNearLevels([0.51, 1, -0.45, 0.2], alpha, weightGrid(1), 0.05)).toBeCloseTo(0.5, 12);
  });

  it('λ(t) rises geometrically from λ_max·10⁻⁴ at the first step to λ_max at the last', () => {
    // 101 steps: 0 … 100, halfway is step 50.
    expect(annealedLambda(2, 0, 101)).toBeCloseTo(2e-4, 12);
    expect(annealedLambda(2, 50, 101)).toBeCloseTo(2e-2, 12);
    expect(annealedLambda(2, 100, 101)).toBe(2);
    expect(annealedLambda(2, 150, 101)).toBe(2);
    // The last step (totalSteps − 1) reaches λ_max: 2 epochs of 1 batch end at λ 1, not 10⁻².
    expect(annealedLambda(1, 0, 2)).toBeCloseTo(1e-4, 12);
    expect(annealedLambda(1, 1, 2)).toBe(1);
    expect(annealedLambda(0.5, 99, 100)).toBe(0.5);
    expect(annealedLambda(3, 0, 1)).toBe(3);
  });

  it('a universal run reports λ_max in its last epoch (2 epochs × 1 batch)', () => {
    const spec = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [4],
      numClasses: 2,
      layers: [{ type: 'dense', name: 'fc', units: 2 }],
    });
    const r = seededRandom(3);
    const x = Float32Array.from({ length: 32 }, () => r() - 0.5);
    const data = { x, y: Int32Array.from({ length: 8 }, (_, i) => i % 2), count: 8 };
    const cfg = LowBitConfigSchema.parse({ method: 'universal-s1', epochs: 2, batchSize: 8, lambda: 1 });
    const model = FunctionalModel.fresh(tf, spec, 1);
    try {
      const out = trainLowBit(tf, model, data, data, cfg);
      const lambdas = out.epochs.map((e) => e.lambda);
      expect(lambdas).toHaveLength(3);
      expect(lambdas[1]).toBeCloseTo(1e-4, 12);
      expect(lambdas[2]).toBe(1);
    } finally {
      model.dispose();
    }
  });
});
