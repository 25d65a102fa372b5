// QAT with low-bit activations: the activation encodings QAT trains with are the ones the integer model
// runs with, and QAT keeps its best validation epoch. Before, activations trained on EMA min/max ranges
// while the integer model took MSE ranges from the calibration windows, and the last epoch was kept
// whatever its accuracy (har-fp, qat-lsq W2A2: the loss ran to 10,685 and the integer model had 44 %).
import { beforeAll, describe, expect, it } from 'vitest';
import { LowBitConfigSchema } from '../../src/shared/api/lowbit';
import { ModelSpecSchema, type ModelSpec, type NamedWeight } from '../../src/shared/model/spec';
import { buildModel, extractWeights } from '../../src/main/ml/model-builder';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { trainLowBit, type TrainData } from '../../src/main/quant/lowbit-trainer';
import { runLowBit } from '../../src/main/quant/lowbit-run';
import { FunctionalModel } from '../../src/main/quant/qat/functional-model';
import { seededRandom } from '../../src/main/quant/rng';

let tf: Tf;
let floatWeights: NamedWeight[];

/** Four Gaussian clusters in 12-D with overlap, so that 2-bit activations cost something. */
function clusters(n: number, seed: number): TrainData {
  const r = seededRandom(seed);
  const pr = seededRandom(77);
  const protos = Array.from({ length: 4 }, () => Array.from({ length: 12 }, () => pr() * 2 - 1));
  const x = new Float32Array(n * 12);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    y[i] = c;
    for (let j = 0; j < 12; j++) x[i * 12 + j] = protos[c]![j]! + (r() + r() + r() - 1.5) * 1.2;
  }
  return { x, y, count: n };
}

const spec: ModelSpec = ModelSpecSchema.parse({
  arch: 'custom',
  inputShape: [12],
  numClasses: 4,
  layers: [
    { type: 'dense', name: 'fc1', units: 24, activation: 'relu' },
    { type: 'dense', name: 'fc2', units: 16, activation: 'relu' },
    { type: 'dense', name: 'fc3', units: 4 },
  ],
});

const train = clusters(800, 1);
const val = clusters(400, 2);

beforeAll(async () => {
  tf = (await loadTf()).tf;
  const m = buildModel(tf, spec, undefined, { seed: 5 });
  m.compile({
    optimizer: tf.train.adam(0.01),
    loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits),
  });
  const x = tf.tensor2d(train.x, [train.count, 12]);
  const y = tf.oneHot(tf.tensor1d(train.y, 'int32'), 4);
  await m.fit(x, y, { epochs: 15, batchSize: 32, verbose: 0, shuffle: false });
  floatWeights = extractWeights(m);
  x.dispose();
  y.dispose();
  m.dispose();
}, 60_000);

describe('QAT with low-bit activations', () => {
  it('qat-lsq learns each hidden activation step from its MSE start; the logits are not among them', () => {
    const m = new FunctionalModel(tf, spec, floatWeights);
    try {
      const cfg = LowBitConfigSchema.parse({
        method: 'qat-lsq',
        weightBits: 4,
        actBits: 2,
        epochs: 3,
        batchSize: 16,
        learningRate: 0.005,
        seed: 1,
      });
      const start = trainLowBit(tf, m, train, val, { ...cfg, epochs: 1, learningRate: 0 });
      const trained = trainLowBit(tf, new FunctionalModel(tf, spec, floatWeights), train, val, cfg);
      // A later epoch was kept (with the start kept, its steps would be the start's by design).
      expect(trained.keptEpoch).toBeGreaterThan(0);
      expect([...(trained.actEncodings?.keys() ?? [])].sort()).toEqual(['fc1', 'fc2']);
      for (const layer of ['fc1', 'fc2']) {
        const a = start.actEncodings!.get(layer)!;
        const b = trained.actEncodings!.get(layer)!;
        expect(b.bits).toBe(2);
        expect(b.qmax - b.qmin).toBe(3);
        expect(b.zeroPoints[0]).toBe(a.zeroPoints[0]); // the zero point stays where the MSE start put it
        expect(b.scales[0]).not.toBe(a.scales[0]); // the step moved
        expect(b.scales[0]).toBeGreaterThan(0);
      }
    } finally {
      m.dispose();
    }
  }, 60_000);

  it.each(['qat-lsq', 'qat-ste'] as const)(
    '%s W4A2: keeps the best validation epoch, and the integer model scores what that epoch scored',
    async (method) => {
      const out = await runLowBit(tf, {
        parent: 'float',
        name: 'q',
        spec,
        weights: floatWeights,
        // A high learning rate, so that epochs differ and the last is not always the best.
        config: LowBitConfigSchema.parse({
          method,
          weightBits: 4,
          actBits: 2,
          epochs: 6,
          batchSize: 32,
          learningRate: 0.02,
          seed: 2,
        }),
        train,
        val,
        // The "test" split is the validation split here: the integer model is judged on the windows
        // that chose the epoch.
        test: { ...val, classes: ['a', 'b', 'c', 'd'] },
        calib: { x: train.x.subarray(0, 256 * 12), count: 256 },
        backend: 'cpu',
      });
      const r = out.report;
      const accs = r.epochs.map((e) => e.val_accuracy_rounded);
      expect(r.kept_epoch).toBe(accs.indexOf(Math.max(...accs)));
      expect(r.accuracy).not.toBeNull();
      // Same network, same encodings: the integer model's accuracy is the kept epoch's, to a window or two
      // (the fake quantizer and the integer arithmetic round a few near-ties differently).
      expect(Math.abs(r.accuracy! - accs[r.kept_epoch!]!)).toBeLessThanOrEqual(2 / val.count + 1e-9);
    },
    120_000,
  );

  it("a GRU trains on the engine's Q7 state grid, whatever the activation bits, and is not learned", () => {
    const seqSpec: ModelSpec = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [4, 3],
      numClasses: 4,
      layers: [
        { type: 'gru', name: 'gru', units: 8 },
        { type: 'dense', name: 'fc', units: 4 },
      ],
    });
    const m = new FunctionalModel(tf, seqSpec, buildWeights(seqSpec));
    try {
      const out = trainLowBit(
        tf,
        m,
        train,
        val,
        LowBitConfigSchema.parse({ method: 'qat-lsq', weightBits: 4, actBits: 2, epochs: 1, batchSize: 32 }),
      );
      const gru = out.actEncodings!.get('gru')!;
      // int8 Q7: scale 1/128, zero point 0, all of int8, not 2-bit levels.
      expect(gru.scales[0]).toBeCloseTo(1 / 128, 12);
      expect(gru.zeroPoints[0]).toBe(0);
      expect([gru.qmin, gru.qmax]).toEqual([-128, 127]);
    } finally {
      m.dispose();
    }
  }, 60_000);
});

/** The model builder's seeded initial weights of a spec. */
function buildWeights(s: ModelSpec): NamedWeight[] {
  const m = buildModel(tf, s, undefined, { seed: 3 });
  const w = extractWeights(m);
  m.dispose();
  return w;
}
