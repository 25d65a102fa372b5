import type { Tensor } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import {
  activationFakeQuant,
  lsqGradScale,
  lsqWeightQuantizer,
  weightGrid,
} from '../../src/main/quant/qat/fake-quant';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('weight fake-quant: straight-through estimator', () => {
  it('4-bit: forward rounds onto s·[−7, 7]; ∂x̂/∂x is 1 inside (−7s, 7s) and 0 outside', () => {
    const s = 0.1;
    const xs = [-1.5, -0.71, -0.69, -0.26, -0.04, 0, 0.04, 0.16, 0.33, 0.69, 0.71, 2.0]; // no ties at .5
    const q = lsqWeightQuantizer(tf, weightGrid(4));
    const sT = tf.scalar(s);
    const x = tf.tensor1d(xs);
    const fwd = Array.from(q(x, sT).dataSync());
    const expected = xs.map((v) => Math.min(7, Math.max(-7, Math.floor(v / s + 0.5))) * s);
    fwd.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    const g = Array.from(
      tf
        .grad((t: Tensor) => q(t, sT).sum())(x)
        .dataSync(),
    );
    expect(g).toEqual(xs.map((v) => (v > -0.7 && v < 0.7 ? 1 : 0)));
  });

  it('binary: forward is s·sign(x) (sign(0) = +1); ∂x̂/∂x is 1 inside (−s, s) and 0 outside', () => {
    const s = 0.5;
    const xs = [-0.9, -0.51, -0.49, -0.1, 0, 0.2, 0.49, 0.51, 3];
    const q = lsqWeightQuantizer(tf, weightGrid(1));
    const sT = tf.scalar(s);
    const x = tf.tensor1d(xs);
    expect(Array.from(q(x, sT).dataSync())).toEqual(xs.map((v) => (v >= 0 ? s : -s)));
    const g = Array.from(
      tf
        .grad((t: Tensor) => q(t, sT).sum())(x)
        .dataSync(),
    );
    expect(g).toEqual(xs.map((v) => (Math.abs(v) < s ? 1 : 0)));
  });

  it('upstream gradients pass through unchanged inside the range (identity, not just ones)', () => {
    const q = lsqWeightQuantizer(tf, weightGrid(2));
    const sT = tf.scalar(1);
    const x = tf.tensor1d([-0.3, 0.2, 1.7]);
    const w = tf.tensor1d([3, -2, 5]);
    const g = Array.from(
      tf
        .grad((t: Tensor) => q(t, sT).mul(w).sum())(x)
        .dataSync(),
    );
    expect(g).toEqual([3, -2, 0]);
  });

  it('activation fake-quant: asymmetric int8 grid, gradient 1 inside the clip range, 0 outside', () => {
    const scale = 0.05;
    const zp = -100;
    const fq = activationFakeQuant(tf, scale, zp, -128, 127);
    const lo = scale * (-128 - zp);
    const hi = scale * (127 - zp);
    const xs = [lo - 1, lo + 0.01, 0, 3.3, hi - 0.01, hi + 1];
    const x = tf.tensor1d(xs);
    const fwd = Array.from(fq(x).dataSync());
    xs.forEach((v, i) =>
      expect(fwd[i]!).toBeCloseTo(
        scale * (Math.min(127, Math.max(-128, Math.floor(v / scale + 0.5) + zp)) - zp),
        5,
      ),
    );
    const g = Array.from(
      tf
        .grad((t: Tensor) => fq(t).sum())(x)
        .dataSync(),
    );
    expect(g).toEqual([0, 1, 1, 1, 1, 0]);
  });
});

describe('LSQ step-size gradient (Esser et al. 2020, eq. 3)', () => {
  /** ∂x̂/∂s per element: −v + ⌊v⌉ inside (qmin, qmax), qmin or qmax outside (v = x/s). */
  function paperGradient(xs: number[], s: number, qmin: number, qmax: number, binary: boolean): number[] {
    return xs.map((x) => {
      const v = x / s;
      const q = binary ? (v >= 0 ? 1 : -1) : Math.floor(Math.min(qmax, Math.max(qmin, v)) + 0.5);
      if (v <= qmin) return qmin;
      if (v >= qmax) return qmax;
      return q - v;
    });
  }

  it('3-bit, per tensor: Σ dy·∂x̂/∂s · g matches the formula on hand-picked values', () => {
    const grid = weightGrid(3); // levels −3..3
    const s = 0.2;
    const xs = [-0.95, -0.61, -0.33, -0.05, 0.07, 0.29, 0.41, 0.59, 0.61, 1.3];
    const dy = [1, -2, 0.5, 3, -1, 2, 1, -0.5, 1.5, 2];
    const g = lsqGradScale(xs.length, grid);
    expect(g).toBeCloseTo(1 / Math.sqrt(10 * 3), 12);
    const q = lsqWeightQuantizer(tf, grid, g);
    const x = tf.tensor1d(xs);
    const sVar = tf.scalar(s);
    const dS = tf
      .grad((st: Tensor) => q(x, st).mul(tf.tensor1d(dy)).sum())(sVar)
      .dataSync()[0]!;
    const per = paperGradient(xs, s, grid.qmin, grid.qmax, false);
    const expected = g * per.reduce((acc, p, i) => acc + p * dy[i]!, 0);
    expect(dS).toBeCloseTo(expected, 5);
    // Spot-check the three regimes by hand: x = −0.05 → v = −0.25, ⌊v⌉ = 0 → 0.25; x = 0.61 → v = 3.05 ≥ 3 → 3; x = −0.95 → −3.
    expect(per[3]).toBeCloseTo(0.25, 12);
    expect(per[8]).toBe(3);
    expect(per[0]).toBe(-3);
  });

  it('binary, per channel: one step per output channel (last axis), gradient summed per channel', () => {
    const grid = weightGrid(1);
    // 3 rows × 2 channels, channel-last.
    const xs = [0.2, -0.9, -0.05, 0.3, 0.7, -0.1];
    const s = [0.4, 0.5];
    const g = lsqGradScale(3, grid);
    const q = lsqWeightQuantizer(tf, grid, g);
    const x = tf.tensor2d(xs, [3, 2]);
    const dS = Array.from(
      tf
        .grad((st: Tensor) => q(x, st).sum())(tf.tensor1d(s))
        .dataSync(),
    );
    for (let c = 0; c < 2; c++) {
      const col = [xs[c]!, xs[2 + c]!, xs[4 + c]!];
      const expected = g * paperGradient(col, s[c]!, -1, 1, true).reduce((a, b) => a + b, 0);
      expect(dS[c]!).toBeCloseTo(expected, 5);
    }
  });
});
