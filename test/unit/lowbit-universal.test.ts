import { beforeAll, describe, expect, it } from 'vitest';
import { LowBitConfigSchema } from '../../src/shared/api/lowbit';
import { ModelSpecSchema, type ModelSpec, type NamedWeight } from '../../src/shared/model/spec';
import { inferShapes } from '../../src/shared/model/shapes';
import { buildModel } from '../../src/main/ml/model-builder';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { resolveLayerBits, trainLowBit, type TrainData } from '../../src/main/quant/lowbit-trainer';
import { FunctionalModel } from '../../src/main/quant/qat/functional-model';
import { seededRandom } from '../../src/main/quant/rng';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

/** Three Gaussian clusters in 12-D: easy for a float MLP, a fair test of binary/ternary weights. */
function clusters(n: number, seed: number): TrainData {
  const r = seededRandom(seed);
  const pr = seededRandom(99);
  const protos = Array.from({ length: 3 }, () => Array.from({ length: 12 }, () => pr() * 2 - 1));
  const x = new Float32Array(n * 12);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    for (let j = 0; j < 12; j++) x[i * 12 + j] = protos[c]![j]! + (r() + r() + r() - 1.5) * 0.8;
  }
  return { x, y, count: n };
}

const mlp: ModelSpec = ModelSpecSchema.parse({
  arch: 'custom',
  inputShape: [12],
  numClasses: 3,
  layers: [
    { type: 'dense', name: 'fc1', units: 16, activation: 'relu' },
    { type: 'dense', name: 'fc2', units: 3 },
  ],
});

describe('universal 1-bit / N-bit training on a small synthetic task', () => {
  const train = clusters(600, 1);
  const val = clusters(300, 2);

  for (const [method, bits] of [
    ['universal-s1', 1],
    ['universal-s2', 1],
    ['universal-s1', 2],
  ] as const) {
    it(`${method}, ${bits}-bit: ≥ 99 % of weights end within ε of a level; hard rounding moves accuracy < 1 point`, () => {
      const cfg = LowBitConfigSchema.parse({
        method,
        weightBits: bits,
        epochs: 20,
        batchSize: 32,
        fromScratch: true,
        seed: 3,
      });
      const model = FunctionalModel.fresh(tf, mlp, 3);
      try {
        const out = trainLowBit(tf, model, train, val, cfg);
        expect(out.nearFraction).toBeGreaterThanOrEqual(0.99);
        expect(Math.abs(out.accuracyBefore - out.accuracyAfter)).toBeLessThan(0.01);
        expect(out.accuracyAfter).toBeGreaterThan(0.9); // it learned the task, not just the grid
        // The weights converged over the epochs (seed 000 Fig. 2): far from the levels at the start.
        expect(out.epochs[0]!.near_fraction).toBeLessThan(0.3);
        for (const q of out.quantized) {
          const allowed = bits === 1 ? [-1, 1] : [-1, 0, 1];
          expect(new Set(q.levels).size).toBeLessThanOrEqual(allowed.length);
          for (const l of q.levels) expect(allowed).toContain(l);
          expect(q.scales).toHaveLength(q.channelShape[q.channelShape.length - 1]!);
        }
        // One histogram per quantized tensor per epoch, counting every weight.
        expect(out.epochs).toHaveLength(21);
        expect(out.epochs[20]!.histograms.map((h) => h.counts.reduce((a, b) => a + b, 0))).toEqual([
          12 * 16,
          16 * 3,
        ]);
      } finally {
        model.dispose();
      }
    });
  }

  it('learning-rate schedule: constant keeps the rate, cosine decays it to 0 by the last step', () => {
    const rates = (lrSchedule: 'constant' | 'cosine') => {
      const cfg = LowBitConfigSchema.parse({
        method: 'universal-s1',
        epochs: 4,
        batchSize: 100,
        learningRate: 0.004,
        lrSchedule,
        fromScratch: true,
      });
      const model = FunctionalModel.fresh(tf, mlp, 2);
      try {
        return trainLowBit(tf, model, clusters(200, 4), val, cfg)
          .epochs.slice(1)
          .map((e) => e.learning_rate!);
      } finally {
        model.dispose();
      }
    };
    expect(rates('constant')).toEqual([0.004, 0.004, 0.004, 0.004]);
    const cos = rates('cosine'); // 2 batches per epoch, 8 steps: step 7 is the last
    expect(cos[0]).toBeCloseTo(0.002 * (1 + Math.cos(Math.PI / 7)), 9);
    expect(cos[3]).toBeCloseTo(0, 12);
    for (let i = 1; i < cos.length; i++) expect(cos[i]!).toBeLessThan(cos[i - 1]!);
  });

  it('a NaN loss stops the run with a clear "diverged" error', () => {
    const bad = clusters(64, 5);
    bad.x[7] = Number.NaN;
    const cfg = LowBitConfigSchema.parse({ method: 'universal-s1', epochs: 2, batchSize: 64, lambda: 50 });
    const model = FunctionalModel.fresh(tf, mlp, 1);
    try {
      expect(() => trainLowBit(tf, model, bad, val, cfg)).toThrow(
        /diverged at epoch 1, batch 1.*λ = 50.*float model is unchanged/s,
      );
    } finally {
      model.dispose();
    }
  });
});

describe('per-layer bit table and bad input', () => {
  it('resolves defaults and overrides; refuses an unknown layer naming the real ones', () => {
    const bits = resolveLayerBits(mlp, { weightBits: 1, actBits: 8, layerBits: { fc2: { weights: 8 } } });
    expect(Object.fromEntries(bits)).toEqual({ fc1: { weights: 1, acts: 8 }, fc2: { weights: 8, acts: 8 } });
    expect(() =>
      resolveLayerBits(mlp, { weightBits: 1, actBits: 8, layerBits: { gru: { weights: 8 } } }),
    ).toThrow(/Unknown layer in the bit table: gru\. .*quantizable layers are: fc1, fc2/);
  });

  it('bits outside 1..8 are refused by the schema with a clear message', () => {
    const r = LowBitConfigSchema.safeParse({ method: 'qat-lsq', weightBits: 9 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/bits must be 1\.\.8/);
    expect(LowBitConfigSchema.safeParse({ method: 'qat-lsq', weightBits: 0 }).success).toBe(false);
    expect(LowBitConfigSchema.safeParse({ method: 'universal-s3' }).success).toBe(false);
  });
});

describe('BatchNorm folding during QAT (static folding)', () => {
  const spec = ModelSpecSchema.parse({
    arch: 'custom',
    inputShape: [10, 3],
    numClasses: 2,
    layers: [
      { type: 'conv1d', name: 'conv', filters: 4, kernelSize: 3 },
      { type: 'batchNorm', name: 'bn' },
      { type: 'relu', name: 'act' },
      { type: 'flatten', name: 'flat' },
      { type: 'dense', name: 'fc', units: 2 },
    ],
  });

  function randomWeights(seed: number): NamedWeight[] {
    const r = seededRandom(seed);
    return inferShapes(spec).layers.flatMap((l) =>
      l.params.map((p) => {
        const n = p.shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: n }, () =>
          p.param === 'movingVariance' ? 0.2 + r() : p.param === 'gamma' ? 0.5 + r() : r() - 0.5,
        );
        return { layer: l.name, param: p.param, shape: p.shape, values };
      }),
    );
  }

  it('the folded forward equals Keras BatchNorm inference, and the exported folded model computes the same', () => {
    const weights = randomWeights(11);
    const x = tf.tensor(
      Float32Array.from({ length: 5 * 30 }, (_, i) => Math.sin(i * 0.37)),
      [5, 10, 3],
    );
    const keras = buildModel(tf, spec, weights);
    const expected = (keras.predict(x) as ReturnType<typeof tf.tensor>).arraySync() as number[][];
    keras.dispose();
    const m = new FunctionalModel(tf, spec, weights);
    expect(m.folds.get('conv')).toBe('bn');
    expect(m.actSites).toEqual(['input', 'act', 'fc']); // BN and ReLU fused: one int8 tensor after the ReLU
    expect(m.actOwner.get('act')).toBe('conv');
    const got = tf.tidy(() => m.forward(x).arraySync()) as number[][];
    got.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 4));
    const folded = m.folded();
    expect(folded.spec.layers.map((l) => l.name)).toEqual(['conv', 'act', 'flat', 'fc']);
    const m2 = new FunctionalModel(tf, folded.spec, folded.weights);
    const again = tf.tidy(() => m2.forward(x).arraySync()) as number[][];
    again.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 4));
    m.dispose();
    m2.dispose();
  });

  it('QAT quantizes the folded kernel: after qat-lsq the exported levels reproduce γW/σ on the grid', () => {
    const weights = randomWeights(12);
    const r = seededRandom(4);
    const n = 64;
    const data: TrainData = {
      x: Float32Array.from({ length: n * 30 }, () => r() - 0.5),
      y: Int32Array.from({ length: n }, (_, i) => i % 2),
      count: n,
    };
    const m = new FunctionalModel(tf, spec, weights);
    const out = trainLowBit(
      tf,
      m,
      data,
      data,
      LowBitConfigSchema.parse({ method: 'qat-lsq', weightBits: 2, epochs: 1, batchSize: 32 }),
    );
    const q = out.quantized.find((t) => t.layer === 'conv')!;
    expect(q.channelShape).toEqual([3, 3, 4]);
    const foldedKernel = m.folded().weights.find((w) => w.layer === 'conv' && w.param === 'kernel')!.values;
    // Each exported level is the rounding of the folded (BN-scaled) kernel by the learned step.
    foldedKernel.forEach((w, i) => {
      const s = q.scales[i % 4]!;
      expect(q.levels[i]).toBe(Math.min(1, Math.max(-1, Math.floor(w / s + 0.5))));
    });
    m.dispose();
  });
});
