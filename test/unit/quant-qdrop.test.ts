// QDrop (Wei et al. 2022): while PTQ's learning steps run, each activation value skips its quantizer
// with probability p. The mask is seeded and per value; gradients reach both branches; the layerwise
// steps learn on a mix of the quantized and the float model's input rows; the end-to-end tuning
// still ends on a model the integer engine runs exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { adaRound, defaultAdaRoundOptions, roundedKernel } from '../../src/main/quant/adaround';
import { engineReferencePredict } from '../../src/main/quant/engine-reference';
import { evaluateKernel, type LayerProblem } from '../../src/main/quant/layer-reconstruction';
import { argmax } from '../../src/main/quant/ptq-evaluate';
import { runPtq } from '../../src/main/quant/ptq-pipeline';
import { dropQuantization } from '../../src/main/quant/qdrop';
import { weightEncoding } from '../../src/main/quant/range-setters';
import { seededRandom } from '../../src/main/quant/rng';
import { predictLogits } from '../../src/main/quant/tf-forward';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { methodOf, parseMethod, PtqConfigSchema } from '../../src/shared/api/quant';
import { gauss, gaussData, smallSpec } from '../fixtures/quant-small-model';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('QDrop mask', () => {
  const n = 20_000;
  const unq = () => tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i + 0.25));
  const q = () => tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i));

  it('keeps the quantized value at p = 0, the unquantized at p = 1, and mixes value by value at p = 0.3', () => {
    expect(Array.from(dropQuantization(tf, unq(), q(), 0, 7).dataSync())).toEqual(Array.from(q().dataSync()));
    expect(Array.from(dropQuantization(tf, unq(), q(), 1, 7).dataSync())).toEqual(
      Array.from(unq().dataSync()),
    );
    const mixed = dropQuantization(tf, unq(), q(), 0.3, 7).dataSync();
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const frac = mixed[i]! - i;
      expect(frac === 0 || frac === 0.25).toBe(true);
      if (frac === 0.25) dropped++;
    }
    // 20,000 Bernoulli(0.3) draws: σ ≈ 65, so ±2 % is over 6σ.
    expect(dropped / n).toBeGreaterThan(0.28);
    expect(dropped / n).toBeLessThan(0.32);
  });

  it('draws the same mask for the same seed and another for another seed', () => {
    const a = dropQuantization(tf, unq(), q(), 0.5, 11).dataSync();
    const b = dropQuantization(tf, unq(), q(), 0.5, 11).dataSync();
    const c = dropQuantization(tf, unq(), q(), 0.5, 12).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    let differ = 0;
    for (let i = 0; i < n; i++) if (a[i] !== c[i]) differ++;
    expect(differ / n).toBeGreaterThan(0.4);
  });

  it('passes gradients to the value it kept, in either branch', () => {
    const u = tf.tensor1d(Float32Array.from({ length: 1000 }, () => 1));
    const qq = tf.tensor1d(Float32Array.from({ length: 1000 }, () => 2));
    const grads = tf.grads((a, b) => dropQuantization(tf, a!, b!, 0.5, 3).sum())([u, qq]);
    const gu = Array.from(grads[0]!.dataSync());
    const gq = Array.from(grads[1]!.dataSync());
    for (let i = 0; i < 1000; i++) expect(gu[i]! + gq[i]!).toBe(1);
    expect(gu.reduce((s, v) => s + v, 0)).toBeGreaterThan(400);
    expect(gq.reduce((s, v) => s + v, 0)).toBeGreaterThan(400);
  });
});

describe('QDrop in the pipeline', () => {
  it('is a method step that combines with the others and round-trips', () => {
    const c = parseMethod('cle+mse+adaround+bias-correction+bias-tuning+qdrop');
    expect(c).toMatchObject({ qdrop: true, optimizer: 'adaround', biasTuning: true });
    expect(methodOf(PtqConfigSchema.parse(c))).toBe('cle+mse+adaround+bias-correction+bias-tuning+qdrop');
    expect(PtqConfigSchema.parse(c).qdropProb).toBe(0.5);
  });

  it('AdaRound learns on the float rows it mixes in: at p = 1 it fits the float inputs better than without', () => {
    // y = ReLU(x W + b); the quantized model's rows are x on a coarse grid (step 0.5).
    const r = seededRandom(5);
    const rows = 2048;
    const fanIn = 12;
    const cout = 4;
    const x = Float32Array.from({ length: rows * fanIn }, () => gauss(r));
    const kernel = Float32Array.from({ length: fanIn * cout }, () => gauss(r) * 0.4);
    const bias = Float32Array.from({ length: cout }, () => 0.1);
    const xf = tf.tensor2d(x, [rows, fanIn]);
    const xq = tf.tensor2d(
      x.map((v) => Math.round(v * 2) / 2),
      [rows, fanIn],
    );
    const target = tf.tidy(() =>
      tf.relu(tf.matMul(xf, tf.tensor2d(kernel, [fanIn, cout])).add(tf.tensor1d(bias))),
    );
    const base: LayerProblem = { xq, target, kernel, rows, fanIn, cout, bias, activation: 'relu' };
    const enc = weightEncoding(kernel, [fanIn, cout], 3, { method: 'minmax' });
    const opts = { ...defaultAdaRoundOptions, iterations: 400, batchRows: 512 };
    const plain = adaRound(tf, base, enc, opts);
    const dropped = adaRound(tf, { ...base, drop: { xf, prob: 1 } }, enc, opts);
    // Judged on the float rows: the rounding learned on them does better there.
    const onFloat: LayerProblem = { ...base, xq: xf };
    const lossPlain = evaluateKernel(tf, onFloat, roundedKernel(kernel, cout, enc, plain.up));
    const lossDropped = evaluateKernel(tf, onFloat, roundedKernel(kernel, cout, enc, dropped.up));
    expect(lossDropped).toBeLessThan(lossPlain);
    // Still a binary rounding in [0, 1].
    expect(dropped.hMin).toBeGreaterThanOrEqual(0);
    expect(dropped.hMax).toBeLessThanOrEqual(1);
    for (const t of [xf, xq, target]) t.dispose();
  });

  it('changes what bias tuning learns and still ends integer-exact', async () => {
    const { spec, weights } = smallSpec();
    const n = 256;
    const calib = gaussData(n, 16 * 3, 11);
    const base = PtqConfigSchema.parse({
      ...parseMethod('mse+adaround+bias-tuning'),
      weightBits: 3,
      actBits: 3,
      calibSize: n,
      seed: 2,
      iterations: 100,
      biasTuningIterations: 150,
      biasTuningLr: 0.05,
    });
    const plain = await runPtq(tf, spec, weights, calib, n, base);
    const q = await runPtq(tf, spec, weights, calib, n, { ...base, qdrop: true });
    expect(q.biasTuning!.skipped).toBeUndefined();
    // The learning saw other inputs: the roundings or the biases differ.
    const levelsDiffer = [...q.quantized.layers].some(([name, l]) => {
      const p = plain.quantized.layers.get(name)!;
      return l.levels.some((v, i) => v !== p.levels[i]);
    });
    const biasOf = (r: typeof q, name: string) =>
      (r.quantized.graph.nodes.find((nd) => nd.name === name) as { bias: Float32Array }).bias;
    const biasesDiffer = [...q.quantized.layers.keys()].some((name) =>
      biasOf(q, name).some((v, i) => v !== biasOf(plain, name)[i]),
    );
    const differs = levelsDiffer || biasesDiffer;
    expect(differs).toBe(true);
    // The exact model is what the engine runs.
    const test = gaussData(128, 16 * 3, 12);
    const eng = engineReferencePredict(q.integerModel, test, 128);
    if ('error' in eng) throw new Error(eng.error);
    const fq = argmax(predictLogits(tf, q.quantized.graph, test, 128, q.sim), 128, 4);
    expect(Array.from(eng.predictions)).toEqual(Array.from(fq));
  });
});
