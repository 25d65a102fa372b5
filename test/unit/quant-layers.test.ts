// PTQ of the layers beyond har-cnn's: GRU (integer gates), conv2d, depthwise 1-D/2-D, average and
// 2-D max pooling. For the zoo's gesture and MNIST models and two custom specs: the PTQ graph computes
// the trained Keras model's function, and the quantized variant's three evaluations — TF.js fake
// quant, PTQ's integer simulation and the engine's host reference on the exported blob — agree.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, extractWeights } from '../../src/main/ml/model-builder';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { zooSpec } from '../../src/main/ml/zoo';
import { integerModelCost } from '../../src/main/quant/cost-model';
import { engineReferencePredict } from '../../src/main/quant/engine-reference';
import { floatReferenceForward } from '../../src/main/quant/float-reference';
import { dequantizeLogits, integerPredict } from '../../src/main/quant/integer-sim';
import { argmax } from '../../src/main/quant/ptq-evaluate';
import { buildPtqGraph } from '../../src/main/quant/ptq-graph';
import { resolveLayerBits, runPtq } from '../../src/main/quant/ptq-pipeline';
import { seededRandom } from '../../src/main/quant/rng';
import { predictLogits } from '../../src/main/quant/tf-forward';
import { PtqConfigSchema } from '../../src/shared/api/quant';
import { ModelSpecSchema, type ModelSpec, type NamedWeight } from '../../src/shared/model/spec';
import { IntegerModelSchema } from '../../src/shared/quant/integer-model';
import { gauss } from '../fixtures/quant-small-model';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

function data(n: number, per: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n * per }, () => scale * gauss(r));
}

const custom2d = ModelSpecSchema.parse({
  arch: 'custom',
  inputShape: [9, 8, 2],
  numClasses: 3,
  layers: [
    { type: 'conv2d', name: 'conv', filters: 4, kernelSize: [3, 3], strides: [2, 1], padding: 'same' },
    { type: 'relu', name: 'act' },
    { type: 'depthwiseConv2d', name: 'dw', kernelSize: [3, 2], padding: 'same', activation: 'relu6' },
    { type: 'avgPool2d', name: 'avg', poolSize: [2, 2] },
    { type: 'maxPool2d', name: 'max', poolSize: [1, 2], strides: [1, 1] },
    { type: 'flatten', name: 'flatten' },
    { type: 'dense', name: 'fc', units: 3 },
  ],
});

const custom1d = ModelSpecSchema.parse({
  arch: 'custom',
  inputShape: [14, 3],
  numClasses: 3,
  layers: [
    { type: 'depthwiseConv1d', name: 'dw', kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'avgPool1d', name: 'avg', poolSize: 3, strides: 1 },
    { type: 'gru', name: 'gru', units: 4, returnSequences: true },
    { type: 'flatten', name: 'flatten' },
    { type: 'dense', name: 'fc', units: 3 },
  ],
});

const models: Array<{ label: string; spec: ModelSpec }> = [
  { label: 'gesture-cnn-gru', spec: zooSpec('gesture-cnn-gru') },
  { label: 'mnist-cnn (14×14 input)', spec: zooSpec('mnist-cnn', { inputShape: [14, 14, 1] }) },
  { label: 'conv2d/depthwise2d/avg+max pool 2-D', spec: custom2d },
  { label: 'depthwise1d/avgPool1d/GRU sequences', spec: custom1d },
];

function initialWeights(spec: ModelSpec, seed: number): NamedWeight[] {
  const m = buildModel(tf, spec, undefined, { seed });
  try {
    const w = extractWeights(m);
    // Non-zero biases (the initialiser's are zero) so the int32 bias path is exercised too.
    const r = seededRandom(seed + 99);
    return w.map((p) => (p.param === 'bias' ? { ...p, values: p.values.map(() => 0.2 * gauss(r)) } : p));
  } finally {
    m.dispose();
  }
}

describe('PTQ graph of the new layers computes the float model', () => {
  for (const { label, spec } of models) {
    it(`${label}: TF.js graph and the float64 reference equal the Keras model`, () => {
      const weights = initialWeights(spec, 3);
      const per = spec.inputShape.reduce((a, b) => a * b, 1);
      const n = 6;
      const x = data(n, per, 11);
      const keras = buildModel(tf, spec, weights);
      const want = tf.tidy(() =>
        (keras.predict(tf.tensor(x, [n, ...spec.inputShape])) as ReturnType<typeof tf.tensor>).dataSync(),
      );
      keras.dispose();
      const g = buildPtqGraph(spec, weights);
      const got = predictLogits(tf, g, x, n);
      const k = spec.numClasses;
      for (let s = 0; s < n; s++) {
        const ref = floatReferenceForward(g, x.subarray(s * per, (s + 1) * per));
        for (let c = 0; c < k; c++) {
          expect(Math.abs(got[s * k + c]! - want[s * k + c]!)).toBeLessThan(1e-4);
          expect(Math.abs(ref[c]! - want[s * k + c]!)).toBeLessThan(1e-4);
        }
      }
    });
  }
});

describe('fake quant = integer simulation = engine reference on the new layers', () => {
  const configs = [
    { label: 'W8A8', cfg: { weightBits: 8, actBits: 8, actRange: 'mse' } },
    { label: 'W1A8', cfg: { weightBits: 1, actBits: 8, actRange: 'mse' } },
    { label: 'W4A4 + bias correction', cfg: { weightBits: 4, actBits: 4, biasCorrection: true } },
  ] as const;
  for (const { label, spec } of models) {
    for (const c of configs) {
      it(`${label} ${c.label}`, async () => {
        const weights = initialWeights(spec, 5);
        const per = spec.inputShape.reduce((a, b) => a * b, 1);
        const calib = data(128, per, 21);
        const r = await runPtq(tf, spec, weights, calib, 128, PtqConfigSchema.parse(c.cfg));
        expect(IntegerModelSchema.safeParse(r.integerModel).success).toBe(true);
        const n = 200;
        const x = data(n, per, 22);
        const k = spec.numClasses;
        const fq = predictLogits(tf, r.quantized.graph, x, n, r.sim);
        const int = integerPredict(r.integerModel, x, n);
        const eng = engineReferencePredict(r.integerModel, x, n);
        if ('error' in eng) throw new Error(eng.error);
        // bit-exact: the engine on the packed blob and PTQ's simulation on the unpacked model
        expect(Array.from(eng.logits)).toEqual(Array.from(int.logits));
        // the simulated model agrees with the integer one to within one output step
        const intReal = dequantizeLogits(r.integerModel, int.logits);
        let worst = 0;
        for (let i = 0; i < fq.length; i++) worst = Math.max(worst, Math.abs(fq[i]! - intReal[i]!));
        expect(worst).toBeLessThanOrEqual(r.integerModel.output.scale * 1.001);
        const fqPred = argmax(fq, n, k);
        let disagree = 0;
        for (let i = 0; i < n; i++) if (fqPred[i] !== int.predictions[i]) disagree++;
        expect(disagree).toBe(0);
        // the integer model is not degenerate: its logits vary across inputs
        const rows = new Set<string>();
        for (let i = 0; i < n; i++) rows.add(Array.from(int.logits.subarray(i * k, (i + 1) * k)).join(','));
        expect(rows.size).toBeGreaterThan(n / 4);
        // a GRU's output is the engine's Q7 state whatever the activation bits
        for (const l of r.integerModel.layers)
          if (l.op === 'gru') expect(l.output).toEqual({ scale: 1 / 128, zeroPoint: 0 });
        const cost = integerModelCost(r.integerModel, r.bits);
        expect(cost.macs).toBeGreaterThan(0);
      });
    }
  }
});

describe('bad input on the new layers', () => {
  it('a GRU in the bit table may not ask for activations other than its Q7 state', () => {
    const spec = zooSpec('gesture-cnn-gru');
    const g = buildPtqGraph(spec, initialWeights(spec, 1));
    expect(() =>
      resolveLayerBits(spec, g, PtqConfigSchema.parse({ layerBits: { gru: { weights: 1, acts: 4 } } })),
    ).toThrow(/GRU "gru" outputs the engine's int8 Q7 hidden state/);
    const bits = resolveLayerBits(
      spec,
      g,
      PtqConfigSchema.parse({ weightBits: 1, layerBits: { gru: { weights: 8 } } }),
    );
    expect(Object.fromEntries(bits)).toEqual({
      conv: { weights: 1, acts: 8 },
      gru: { weights: 8, acts: 8 },
      fc: { weights: 1, acts: 8 },
    });
  });
});
