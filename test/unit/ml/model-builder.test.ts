import { describe, expect, it } from 'vitest';
import { buildModel, extractWeights, setWeights } from '../../../src/main/ml/model-builder';
import { parseCustomSpec, ZOO_ARCHS, zooSpec } from '../../../src/main/ml/zoo';
import { BitbenchError } from '../../../src/shared/errors';
import { checkInputShape, inferShapes } from '../../../src/shared/model/shapes';
import { decodeWeights, encodeWeights } from '../../../src/shared/model/weights-blob';
import { maxAbsDiff, seededArray, tfWithBothBackends } from './tf-backends';

describe('model zoo specs and shapes', () => {
  it('har-cnn is seed 003 Table 1: 523,462 parameters, peak activation 8,064 (conv1 126×64)', () => {
    const s = inferShapes(zooSpec('har-cnn'));
    expect(s.layers.map((l) => l.outShape)).toEqual([
      [126, 64],
      [126, 64],
      [126, 64],
      [124, 64],
      [124, 64],
      [124, 64],
      [62, 64],
      [3968],
      [128],
      [6],
    ]);
    // conv 3·9·64 + 64, BN 4·64, conv 3·64·64 + 64, BN 4·64, dense 3968·128 + 128, dense 128·6 + 6.
    expect(s.params).toBe(1792 + 256 + 12352 + 256 + 508032 + 774);
    expect(s.params).toBe(523462);
    expect(Math.max(...s.layers.map((l) => l.outShape.reduce((a, b) => a * b, 1)))).toBe(8064);
  });

  it('har-cnn-small is seed 003 Table 6 literally: 128×9 → conv 64 → conv 64 → pool → 62·64 → 6', () => {
    const s = inferShapes(zooSpec('har-cnn-small'));
    expect(s.layers.map((l) => l.outShape)).toEqual([[126, 64], [124, 64], [62, 64], [3968], [6]]);
    expect(s.params).toBe(3 * 9 * 64 + 64 + 3 * 64 * 64 + 64 + 3968 * 6 + 6);
  });

  it('gesture-cnn-gru has exactly the 321 parameters (1284 B float32) of seed 000', () => {
    const s = inferShapes(zooSpec('gesture-cnn-gru'));
    expect(s.params).toBe(321);
    expect(s.floatBytes).toBe(1284);
    expect(s.layers.map((l) => l.outShape)).toEqual([[59, 6], [29, 6], [5], [2]]);
    expect(s.layers.find((l) => l.type === 'gru')!.params.map((p) => p.shape)).toEqual([
      [6, 15],
      [5, 15],
      [2, 15],
    ]);
  });

  it('mnist-cnn takes 28×28×1 and ends in 10 classes', () => {
    const s = inferShapes(zooSpec('mnist-cnn'));
    expect(s.layers[0]!.inShape).toEqual([28, 28, 1]);
    expect(s.outputShape).toEqual([10]);
    // Conv 3·3·1·32 + 32, conv 3·3·32·64 + 64, dense 5·5·64·10 + 10 (the Keras MNIST convnet's sizes).
    expect(s.layers.find((l) => l.name === 'flatten')!.outShape).toEqual([1600]);
    expect(s.params).toBe(320 + 18496 + 16010);
  });

  it('zoo specs adapt to the data’s class count', () => {
    expect(inferShapes(zooSpec('har-cnn', { inputShape: [128, 9], numClasses: 12 })).outputShape).toEqual([
      12,
    ]);
  });

  it('refuses a window shape that does not fit the architecture, naming both shapes', () => {
    expect(() => checkInputShape(zooSpec('har-cnn'), [119, 6])).toThrow(/\[128, 9\].*\[119, 6\]/);
    // A 2-D architecture on 1-D data fails in shape inference with the layer named.
    expect(() => inferShapes({ ...zooSpec('mnist-cnn'), inputShape: [128, 9] })).toThrow(
      /conv1.*\[height, width, channels\]/,
    );
    // Too short for the kernels.
    expect(() => inferShapes({ ...zooSpec('har-cnn'), inputShape: [3, 9] })).toThrow(/conv2.*too small/);
  });

  it('refuses unsupported layers and malformed custom specs with the reason', () => {
    const bad = {
      arch: 'custom',
      inputShape: [10, 3],
      numClasses: 2,
      layers: [{ type: 'lstm', name: 'l', units: 4 }],
    };
    expect(() => parseCustomSpec(bad)).toThrow(BitbenchError);
    expect(() => parseCustomSpec(bad)).toThrow(/layers\.0.*Supported layers/);
    expect(() => parseCustomSpec('{not json')).toThrow(/not valid JSON/);
    const noFlatten = {
      arch: 'custom',
      inputShape: [10, 3],
      numClasses: 2,
      layers: [
        { type: 'conv1d', name: 'c', filters: 4, kernelSize: 3 },
        { type: 'dense', name: 'd', units: 2 },
      ],
    };
    expect(() => parseCustomSpec(noFlatten)).toThrow(/"d" \(dense\).*flatten/);
    const wrongClasses = {
      ...noFlatten,
      layers: [
        { type: 'flatten', name: 'f' },
        { type: 'dense', name: 'd', units: 3 },
      ],
    };
    expect(() => parseCustomSpec(wrongClasses)).toThrow(/must end with \[2\]/);
  });
});

describe('buildModel / extractWeights', () => {
  for (const arch of ZOO_ARCHS)
    it(`${arch}: builds, output shape and param count match the spec, weights round-trip`, async () => {
      const tf = await tfWithBothBackends();
      await tf.setBackend('cpu');
      const spec = zooSpec(arch);
      const shapes = inferShapes(spec);
      const model = buildModel(tf, spec, undefined, { seed: 3 });
      expect(model.countParams()).toBe(shapes.params);
      const x = tf.tensor(seededArray(2 * shapes.layers[0]!.inShape.reduce((a, b) => a * b, 1), 1), [
        2,
        ...spec.inputShape,
      ]);
      const y = model.predict(x) as import('@tensorflow/tfjs').Tensor;
      expect(y.shape).toEqual([2, spec.numClasses]);
      const w = extractWeights(model);
      expect(w.map((t) => `${t.layer}.${t.param}`)).toEqual(
        shapes.layers.flatMap((l) => l.params.map((p) => `${l.name}.${p.param}`)),
      );
      w.forEach((t, i) => expect(t.shape).toEqual(shapes.layers.flatMap((l) => l.params)[i]!.shape));
      // Through the BLOB format and back into a fresh model: identical outputs.
      const copy = buildModel(tf, spec, decodeWeights(encodeWeights(w)));
      expect(
        maxAbsDiff(y.dataSync(), (copy.predict(x) as import('@tensorflow/tfjs').Tensor).dataSync()),
      ).toBe(0);
      // Same seed, same initial weights; another seed, others.
      const again = extractWeights(buildModel(tf, spec, undefined, { seed: 3 }));
      expect(maxAbsDiff(again[0]!.values, w[0]!.values)).toBe(0);
      const other = extractWeights(buildModel(tf, spec, undefined, { seed: 4 }));
      expect(maxAbsDiff(other[0]!.values, w[0]!.values)).toBeGreaterThan(0);
    });

  it('refuses weights with a wrong shape or a missing tensor, naming it', async () => {
    const tf = await tfWithBothBackends();
    await tf.setBackend('cpu');
    const spec = zooSpec('gesture-cnn-gru');
    const model = buildModel(tf, spec, undefined, { seed: 1 });
    const w = extractWeights(model);
    const wrong = w.map((t) => (t.layer === 'gru' && t.param === 'bias' ? { ...t, shape: [30] } : t));
    expect(() => setWeights(model, wrong)).toThrow(/gru\.bias has shape \[30\], the spec needs \[2, 15\]/);
    expect(() => setWeights(model, w.slice(1))).toThrow(/missing conv\.kernel/);
  });

  it('the GRU follows the spec’s reset_after equations (checked by hand on one step)', async () => {
    const tf = await tfWithBothBackends();
    await tf.setBackend('cpu');
    const spec = parseCustomSpec({
      arch: 'custom',
      inputShape: [1, 2],
      numClasses: 3,
      layers: [{ type: 'gru', name: 'g', units: 3 }],
    });
    const model = buildModel(tf, spec, undefined, { seed: 2 });
    const w = extractWeights(model);
    const bias = seededArray(18, 9, 0.5);
    setWeights(
      model,
      w.map((t) => (t.param === 'bias' ? { ...t, values: bias } : t)),
    );
    const [W, U] = [w[0]!.values, w[1]!.values];
    const x = [0.7, -1.3];
    const out = (model.predict(tf.tensor([[x]])) as import('@tensorflow/tfjs').Tensor).dataSync();
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const u = 3;
    const xw = (g: number) => x[0]! * W[g]! + x[1]! * W[3 * u + g]! + bias[g]!;
    // h0 = 0, so h·U = 0 and only the recurrent bias (row 1) remains.
    const hu = (g: number) => bias[3 * u + g]!;
    void U;
    for (let k = 0; k < u; k++) {
      const z = sig(xw(k) + hu(k));
      const r = sig(xw(u + k) + hu(u + k));
      const cand = Math.tanh(xw(2 * u + k) + r * hu(2 * u + k));
      expect(out[k]).toBeCloseTo((1 - z) * cand, 5);
    }
  });
});
