import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, extractWeights } from '../../src/main/ml/model-builder';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { evaluatePtq } from '../../src/main/quant/ptq-evaluate';
import { runPtq } from '../../src/main/quant/ptq-pipeline';
import { floatReferenceForward } from '../../src/main/quant/float-reference';
import { buildPtqGraph } from '../../src/main/quant/ptq-graph';
import { predictLogits } from '../../src/main/quant/tf-forward';
import { seededRandom } from '../../src/main/quant/rng';
import { PtqConfigSchema } from '../../src/shared/api/quant';
import { ModelSpecSchema, type ModelSpec, type NamedWeight } from '../../src/shared/model/spec';
import { gauss } from '../fixtures/quant-small-model';

/**
 * A small har-cnn-like model trained here on a synthetic 4-class IMU-like task (sinusoids of
 * different frequency/axis + noise, generated with a fixed seed), then quantized at W8A8.
 */
const T = 32;
const C = 3;
const K = 4;

function synthetic(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = seededRandom(seed);
  const x = new Float32Array(n * T * C);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * K);
    y[i] = k;
    const f = [1, 2, 3, 1.5][k]!;
    const axis = [0, 1, 2, 0][k]!;
    const phase = r() * 2 * Math.PI;
    const amp = 0.8 + 0.4 * r();
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) {
        const signal = c === axis ? amp * Math.sin((2 * Math.PI * f * t) / T + phase) : 0;
        const square = k === 3 && c === 1 ? 0.6 * Math.sign(Math.sin((2 * Math.PI * 2 * t) / T + phase)) : 0;
        x[(i * T + t) * C + c] = signal + square + 0.35 * gauss(r);
      }
  }
  return { x, y };
}

const spec: ModelSpec = ModelSpecSchema.parse({
  arch: 'custom',
  inputShape: [T, C],
  numClasses: K,
  layers: [
    { type: 'conv1d', name: 'conv1', filters: 8, kernelSize: 3, activation: 'relu' },
    { type: 'conv1d', name: 'conv2', filters: 8, kernelSize: 3, activation: 'relu' },
    { type: 'maxPool1d', name: 'pool', poolSize: 2 },
    { type: 'flatten', name: 'flatten' },
    { type: 'dense', name: 'fc', units: K },
  ],
});

let tf: Tf;
let weights: NamedWeight[];
const train = synthetic(1200, 1);
const test = synthetic(600, 2);

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const model = buildModel(tf, spec, undefined, { seed: 3 });
  // The model outputs logits: train with a softmax cross-entropy on top.
  const xs = tf.tensor3d(train.x, [1200, T, C]);
  const ys = tf.oneHot(tf.tensor1d(train.y, 'int32'), K);
  const opt = tf.train.adam(0.01);
  for (let epoch = 0; epoch < 12; epoch++) {
    for (let s = 0; s < 1200; s += 64) {
      const n = Math.min(64, 1200 - s);
      opt.minimize(() =>
        tf.tidy(
          () =>
            tf.losses.softmaxCrossEntropy(
              ys.slice([s, 0], [n, K]),
              model.predict(xs.slice([s, 0, 0], [n, T, C])) as never,
            ) as never,
        ),
      );
    }
  }
  weights = extractWeights(model);
  xs.dispose();
  ys.dispose();
}, 300_000);

describe('PTQ of a small trained model', () => {
  it('our functional forward matches the model builder’s TF.js model', () => {
    const model = buildModel(tf, spec, weights);
    const n = 50;
    const theirs = (
      model.predict(
        tf.tensor3d(test.x.subarray(0, n * T * C), [n, T, C]),
      ) as import('@tensorflow/tfjs').Tensor
    ).dataSync();
    const g = buildPtqGraph(spec, weights);
    const ours = predictLogits(tf, g, test.x.subarray(0, n * T * C), n);
    for (let i = 0; i < n; i++) {
      const ref = floatReferenceForward(g, test.x.subarray(i * T * C, (i + 1) * T * C));
      for (let k = 0; k < K; k++) {
        expect(Math.abs(ref[k]! - theirs[i * K + k]!)).toBeLessThan(1e-4);
        expect(Math.abs(ours[i * K + k]! - theirs[i * K + k]!)).toBeLessThan(1e-4);
      }
    }
  });

  it('W8A8 MinMax loses less than 1 point and the integer model agrees with the simulation', async () => {
    const r = await runPtq(
      tf,
      spec,
      weights,
      train.x.subarray(0, 512 * T * C),
      512,
      PtqConfigSchema.parse({ weightBits: 8, actBits: 8, calibSize: 512 }),
    );
    const e = evaluatePtq(tf, r, { x: test.x, y: test.y, count: 600, classes: ['a', 'b', 'c', 'd'] });
    console.log(
      `float ${(100 * e.floatAccuracy).toFixed(2)} %, W8A8 integer ${(100 * e.integerAccuracy).toFixed(2)} %`,
    );
    expect(e.floatAccuracy).toBeGreaterThan(0.85); // the model did learn the task
    expect(e.floatAccuracy - e.integerAccuracy).toBeLessThan(0.01);
    expect(e.integerMatchesFakeQuant).toBe(1);
    expect(e.integerReference).toBe('engine');
    expect(e.engineMatchesSim).toBe(1);
    expect(e.agreementWithFloat).toBeGreaterThan(0.98);
  });

  it('W4A4 with CLE + MSE + AdaRound + bias correction stays close to float', async () => {
    const cfg = PtqConfigSchema.parse({
      weightBits: 4,
      actBits: 4,
      cle: true,
      weightRange: 'mse',
      actRange: 'mse',
      optimizer: 'adaround',
      iterations: 300,
      biasCorrection: true,
      calibSize: 512,
    });
    const r = await runPtq(tf, spec, weights, train.x.subarray(0, 512 * T * C), 512, cfg);
    const e = evaluatePtq(tf, r, { x: test.x, y: test.y, count: 600, classes: ['a', 'b', 'c', 'd'] });
    console.log(
      `W4A4 integer ${(100 * e.integerAccuracy).toFixed(2)} % (float ${(100 * e.floatAccuracy).toFixed(2)} %)`,
    );
    expect(e.integerMatchesFakeQuant).toBe(1);
    expect(e.floatAccuracy - e.integerAccuracy).toBeLessThan(0.05);
  });
});
