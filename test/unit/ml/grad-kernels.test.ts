import { describe, expect, it } from 'vitest';
import { gradKernelImpls, registerGradKernels } from '../../../src/main/ml/grad-kernels';
import { buildModel, extractWeights } from '../../../src/main/ml/model-builder';
import { parseCustomSpec, zooSpec } from '../../../src/main/ml/zoo';
import type { ModelSpec } from '../../../src/shared/model/spec';
import { maxAbsDiff, on, seededArray, tfWithBothBackends } from './tf-backends';

/**
 * Our gradient kernels on wasm against the cpu backend's own kernels: every op-level case
 * (conv1d/conv2d/depthwise, strides, padding) and the full gradient of every zoo model and of
 * a custom model using every layer type. Max abs difference must stay below 1e-4.
 */

const TOL = 1e-4;
type Tf = Awaited<ReturnType<typeof tfWithBothBackends>>;

interface OpCase {
  name: string;
  x: number[];
  w: number[];
  run: (
    tf: Tf,
    x: import('@tensorflow/tfjs').Tensor,
    w: import('@tensorflow/tfjs').Tensor,
  ) => import('@tensorflow/tfjs').Tensor;
}

const cases: OpCase[] = [
  {
    name: 'conv1d k3 s1 valid',
    x: [4, 20, 3],
    w: [3, 3, 5],
    run: (tf, x, w) => tf.conv1d(x as never, w as never, 1, 'valid'),
  },
  {
    name: 'conv1d k5 s2 same',
    x: [3, 21, 4],
    w: [5, 4, 6],
    run: (tf, x, w) => tf.conv1d(x as never, w as never, 2, 'same'),
  },
  {
    name: 'conv2d 3x3 s1 valid',
    x: [2, 9, 8, 3],
    w: [3, 3, 3, 4],
    run: (tf, x, w) => tf.conv2d(x as never, w as never, 1, 'valid'),
  },
  {
    name: 'conv2d 3x3 s2 same',
    x: [2, 9, 8, 3],
    w: [3, 3, 3, 4],
    run: (tf, x, w) => tf.conv2d(x as never, w as never, 2, 'same'),
  },
  {
    name: 'conv2d 4x2 s[2,1] valid',
    x: [2, 11, 7, 2],
    w: [4, 2, 2, 3],
    run: (tf, x, w) => tf.conv2d(x as never, w as never, [2, 1], 'valid'),
  },
  {
    name: 'depthwise 3x3 s1 same',
    x: [2, 8, 8, 3],
    w: [3, 3, 3, 1],
    run: (tf, x, w) => tf.depthwiseConv2d(x as never, w as never, 1, 'same'),
  },
  {
    name: 'depthwise 3x3 s2 valid',
    x: [2, 9, 9, 3],
    w: [3, 3, 3, 1],
    run: (tf, x, w) => tf.depthwiseConv2d(x as never, w as never, 2, 'valid'),
  },
  {
    name: 'depthwise 3x3 mult 2 s2 same',
    x: [2, 8, 7, 3],
    w: [3, 3, 3, 2],
    run: (tf, x, w) => tf.depthwiseConv2d(x as never, w as never, 2, 'same'),
  },
  {
    name: 'depthwise [5,1] (1-D) s1 valid',
    x: [3, 16, 1, 4],
    w: [5, 1, 4, 1],
    run: (tf, x, w) => tf.depthwiseConv2d(x as never, w as never, 1, 'valid'),
  },
  // The wasm backend's own MaxPoolGrad is wrong when the length does not divide by the pool.
  {
    name: 'maxPool 1-D [1,2] s2, odd length',
    x: [3, 1, 7, 4],
    w: [1],
    run: (tf, x, w) => tf.mul(tf.maxPool(x as never, [1, 2], [1, 2], 'valid'), tf.sum(w)),
  },
  {
    name: 'maxPool 3x3 s2 same',
    x: [2, 9, 8, 3],
    w: [1],
    run: (tf, x, w) => tf.mul(tf.maxPool(x as never, 3, 2, 'same'), tf.sum(w)),
  },
  {
    name: 'maxPool 2x2 s2 valid, odd size',
    x: [2, 7, 9, 3],
    w: [1],
    run: (tf, x, w) => tf.mul(tf.maxPool(x as never, 2, 2, 'valid'), tf.sum(w)),
  },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

async function opGrads(backend: 'cpu' | 'wasm', c: OpCase): Promise<[Float32Array, Float32Array]> {
  const tf = await tfWithBothBackends();
  return on(backend, () =>
    tf.tidy(() => {
      const x = tf.tensor(seededArray(size(c.x), 1), c.x);
      const w = tf.tensor(seededArray(size(c.w), 2), c.w);
      // A fixed random output weighting, so dy is not all ones.
      const f = (a: import('@tensorflow/tfjs').Tensor, b: import('@tensorflow/tfjs').Tensor) => {
        const y = c.run(tf, a, b);
        return tf.sum(tf.mul(y, tf.tensor(seededArray(y.size, 3), y.shape)));
      };
      const [gx, gw] = tf.grads(f)([x, w]);
      return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
    }),
  );
}

const customSpec: ModelSpec = parseCustomSpec({
  arch: 'custom',
  inputShape: [32, 4],
  numClasses: 3,
  layers: [
    { type: 'conv1d', name: 'c1', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu6' },
    { type: 'batchNorm', name: 'bn' },
    { type: 'depthwiseConv1d', name: 'dw', kernelSize: 3, strides: 2 },
    { type: 'relu', name: 'r1' },
    { type: 'avgPool1d', name: 'ap', poolSize: 2 },
    { type: 'gru', name: 'g', units: 4, returnSequences: true },
    { type: 'maxPool1d', name: 'mp', poolSize: 2 },
    { type: 'flatten', name: 'fl' },
    { type: 'dense', name: 'fc', units: 3 },
  ],
});

const models: Array<[string, ModelSpec, number]> = [
  ['har-cnn', zooSpec('har-cnn'), 4],
  ['gesture-cnn-gru', zooSpec('gesture-cnn-gru'), 3],
  ['mnist-cnn', zooSpec('mnist-cnn'), 2],
  ['custom (every layer type)', customSpec, 3],
];

async function modelGrads(
  backend: 'cpu' | 'wasm',
  spec: ModelSpec,
  batch: number,
  weights?: ReturnType<typeof extractWeights>,
) {
  const tf = await tfWithBothBackends();
  return on(backend, () => {
    const model = buildModel(tf, spec, weights, { seed: 5 });
    const init = extractWeights(model);
    const grads = tf.tidy(() => {
      const x = tf.tensor(seededArray(batch * size(spec.inputShape), 7, 2), [batch, ...spec.inputShape]);
      const y = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: batch }, (_, i) => i % spec.numClasses),
          'int32',
        ),
        spec.numClasses,
      );
      const { grads: g } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            y,
            model.apply(x, { training: true }) as never,
          ) as import('@tensorflow/tfjs').Scalar,
        model.trainableWeights.map((v) => (v as unknown as { val: import('@tensorflow/tfjs').Variable }).val),
      );
      return Object.fromEntries(
        Object.entries(g).map(([k, v]) => [k.replace(/_\d+(?=\/)/, ''), v.dataSync() as Float32Array]),
      );
    });
    model.dispose();
    return { init, grads };
  });
}

describe('wasm gradient kernels vs cpu', () => {
  it('registers the kernels wasm lacks', async () => {
    const tf = await tfWithBothBackends();
    for (const k of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
    ])
      expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
  });

  for (const c of cases)
    it(`${c.name}: dx and dW match cpu within ${TOL}`, async () => {
      const [cx, cw] = await opGrads('cpu', c);
      const [wx, ww] = await opGrads('wasm', c);
      expect(maxAbsDiff(cx, wx)).toBeLessThan(TOL);
      expect(maxAbsDiff(cw, ww)).toBeLessThan(TOL);
      // Not trivially zero: the comparison means something.
      expect(Math.max(...cw.map(Math.abs))).toBeGreaterThan(0.1);
    });

  for (const [name, spec, batch] of models)
    it(`${name}: every weight gradient on wasm matches cpu within ${TOL}`, async () => {
      const ref = await modelGrads('cpu', spec, batch);
      const got = await modelGrads('wasm', spec, batch, ref.init);
      const keys = Object.keys(ref.grads);
      expect(keys.length).toBeGreaterThan(0);
      expect(Object.keys(got.grads).length).toBe(keys.length);
      const refVals = Object.values(ref.grads);
      const gotVals = Object.values(got.grads);
      refVals.forEach((g, i) => {
        const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
        expect(maxAbsDiff(g, gotVals[i]!) / scale, keys[i]).toBeLessThan(TOL);
      });
    });

  it('the cpu replacements match the cpu backend’s own kernels', async () => {
    const tf = await tfWithBothBackends();
    await tf.setBackend('cpu');
    const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu')!;
    const x = tf.tensor(seededArray(2 * 1 * 30 * 5, 11), [2, 1, 30, 5]);
    const dy = tf.tensor(seededArray(2 * 1 * 14 * 7, 12), [2, 1, 14, 7]);
    const attrs = { strides: [1, 2], pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 3, 5, 7] };
    const backend = tf.backend();
    const refInfo = stock.kernelFunc({
      inputs: { x, dy },
      attrs,
      backend,
    } as never) as import('@tensorflow/tfjs').TensorInfo;
    const ref = tf.engine().makeTensorFromTensorInfo(refInfo).dataSync();
    const ours = gradKernelImpls.Conv2DBackpropFilter!(tf, { inputs: { x, dy }, attrs })!.dataSync();
    expect(maxAbsDiff(ref, ours)).toBeLessThan(TOL);
    // And once registered, cpu training uses them.
    expect(registerGradKernels(tf, 'cpu')).toContain('Conv2DBackpropFilter');
  });
});
