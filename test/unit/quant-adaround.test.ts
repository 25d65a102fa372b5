import { beforeAll, describe, expect, it } from 'vitest';
import { adaQuant, defaultAdaQuantOptions } from '../../src/main/quant/adaquant';
import { adaRound, annealedBeta, defaultAdaRoundOptions, roundedKernel } from '../../src/main/quant/adaround';
import type { LayerProblem } from '../../src/main/quant/layer-reconstruction';
import { lsqWeightScales } from '../../src/main/quant/lsq';
import { weightEncoding } from '../../src/main/quant/range-setters';
import { seededRandom } from '../../src/main/quant/rng';
import { initialiseV, rectifiedSigmoid, roundingRegulariser } from '../../src/main/quant/tf-quantizer';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { gauss } from '../fixtures/quant-small-model';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

/** A layer-reconstruction problem: y = ReLU(X W + b) with X [rows, 12], W [12, 4]. */
function problem(rows: number, seed: number): LayerProblem {
  const r = seededRandom(seed);
  const fanIn = 12;
  const cout = 4;
  const x = Float32Array.from({ length: rows * fanIn }, () => gauss(r));
  const kernel = Float32Array.from({ length: fanIn * cout }, () => gauss(r) * 0.4);
  const bias = Float32Array.from({ length: cout }, () => 0.1);
  const xq = tf.tensor2d(x, [rows, fanIn]);
  const target = tf.tidy(() =>
    tf.relu(tf.matMul(xq, tf.tensor2d(kernel, [fanIn, cout])).add(tf.tensor1d(bias))),
  );
  return { xq, target, kernel, rows, fanIn, cout, bias, activation: 'relu' };
}

describe('AdaRound (seed 004)', () => {
  it('rectified sigmoid reaches exactly 0 and 1 and V initialises h to the fractional part', () => {
    const h = rectifiedSigmoid(tf, tf.tensor1d([-50, initialiseV(0.3), 0, 50])).dataSync();
    expect(h[0]).toBe(0);
    expect(h[1]).toBeCloseTo(0.3, 5);
    expect(h[2]).toBeCloseTo(0.5, 6);
    expect(h[3]).toBe(1);
    // f_reg = Σ 1 − |2h − 1|^β is 0 on binary h and positive in between
    expect(roundingRegulariser(tf, tf.tensor1d([0, 1, 1, 0]), 2).dataSync()[0]).toBe(0);
    expect(roundingRegulariser(tf, tf.tensor1d([0.5]), 2).dataSync()[0]).toBeCloseTo(1, 6);
  });

  it('anneals β from 20 to 2 after a warm start without the regulariser', () => {
    const o = { iterations: 100, betaStart: 20, betaEnd: 2, warmStart: 0.2 };
    expect(annealedBeta(0, o)).toBeUndefined();
    expect(annealedBeta(19, o)).toBeUndefined();
    expect(annealedBeta(20, o)).toBeCloseTo(20, 6);
    expect(annealedBeta(60, o)).toBeCloseTo(11, 6);
    expect(annealedBeta(100, o)).toBeCloseTo(2, 6);
  });

  it('keeps h(V) in [0, 1], ends binary, and beats nearest rounding on the layer loss', () => {
    const p = problem(2048, 21);
    const enc = weightEncoding(p.kernel, [12, 4], 3, { method: 'minmax' });
    const r = adaRound(tf, p, enc, { ...defaultAdaRoundOptions, iterations: 600, batchRows: 512 });
    expect(r.hMin).toBeGreaterThanOrEqual(0);
    expect(r.hMax).toBeLessThanOrEqual(1);
    expect(r.softFraction).toBeLessThan(0.02);
    expect(r.lossAdaRound).toBeLessThan(r.lossNearest);
    // the final kernel is on the 3-bit grid, each weight rounded down or up from W/s
    const k = roundedKernel(p.kernel, 4, enc, r.up);
    for (let i = 0; i < k.length; i++) {
      const s = enc.scales[i % 4]!;
      const lv = k[i]! / s;
      expect(Math.abs(lv - Math.round(lv))).toBeLessThan(1e-4);
      expect(Math.abs(lv - p.kernel[i]! / s)).toBeLessThan(1 + 1e-4);
    }
    p.xq.dispose();
    p.target.dispose();
  });
});

describe('AdaQuant (opt_weights)', () => {
  it('ends no worse than nearest rounding at 2 bits, on the same fixed grid, and here better', () => {
    const p = problem(2048, 23);
    const enc = weightEncoding(p.kernel, [12, 4], 2, { method: 'mse' });
    const r = adaQuant(tf, p, enc, { ...defaultAdaQuantOptions, iterations: 400, batchRows: 512 });
    expect(r.lossAfter).toBeLessThan(r.lossBefore);
    expect(r.changedFraction).toBeGreaterThanOrEqual(0);
    // nearest rounding of the learned kernel lands on the same 2-bit grid (levels −1, 0, +1)
    const k = roundedKernel(r.kernel, 4, enc, 'nearest');
    for (let i = 0; i < k.length; i++) {
      const lv = k[i]! / enc.scales[i % 4]!;
      expect(Math.abs(lv - Math.round(lv))).toBeLessThan(1e-4);
      expect(Math.abs(Math.round(lv))).toBeLessThanOrEqual(1);
    }
    // the bias is learned too; the problem's own arrays are left as they were
    expect(Array.from(r.bias).some((b, c) => Math.abs(b - p.bias[c]!) > 1e-6)).toBe(true);
    expect(Array.from(p.bias)).toEqual([0.1, 0.1, 0.1, 0.1].map(Math.fround));
    p.xq.dispose();
    p.target.dispose();
  });
  it('when nothing beats nearest rounding (a zero step) it returns nearest rounding and the original bias', () => {
    const p = problem(512, 24);
    const enc = weightEncoding(p.kernel, [12, 4], 4, { method: 'mse' });
    const r = adaQuant(tf, p, enc, {
      ...defaultAdaQuantOptions,
      iterations: 20,
      learningRate: 0,
      snapshotEvery: 5,
    });
    expect(r.lossAfter).toBe(r.lossBefore);
    expect(r.changedFraction).toBe(0);
    expect(Array.from(r.bias)).toEqual(Array.from(p.bias));
    expect(Array.from(r.kernel)).toEqual(Array.from(p.kernel));
    p.xq.dispose();
    p.target.dispose();
  });
});

describe('LSQ step sizes (opt_qparam)', () => {
  it('learns the step sizes back from a poor start and never ends worse than it began', () => {
    const p = problem(2048, 22);
    const mm = weightEncoding(p.kernel, [12, 4], 3, { method: 'minmax' });
    const enc = { ...mm, scales: mm.scales.map((s) => s * 2) }; // steps twice too coarse
    const r = lsqWeightScales(tf, p, enc, { iterations: 300, batchRows: 512, learningRate: 1e-2, seed: 1 });
    expect(r.lossAfter).toBeLessThanOrEqual(r.lossBefore);
    expect(r.lossAfter).toBeLessThan(r.lossBefore * 0.7);
    p.xq.dispose();
    p.target.dispose();
  });
});
