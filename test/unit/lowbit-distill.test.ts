import { beforeAll, describe, expect, it } from 'vitest';
import { LowBitConfigSchema } from '../../src/shared/api/lowbit';
import { ModelSpecSchema, type ModelSpec } from '../../src/shared/model/spec';
import { parseDistill } from '../../src/main/cli/commands/lowbit';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { distillationLossTf, distillationLossValue } from '../../src/main/quant/distill';
import { logitsOf, trainLowBit, type TrainData } from '../../src/main/quant/lowbit-trainer';
import { FunctionalModel } from '../../src/main/quant/qat/functional-model';
import { seededRandom } from '../../src/main/quant/rng';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

function tfLoss(
  labels: number[],
  logits: number[],
  teacher: number[],
  k: number,
  d: { alpha: number; temperature: number },
): number {
  return tf.tidy(() => {
    const n = labels.length;
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), k);
    return distillationLossTf(
      tf,
      oneHot,
      tf.tensor2d(logits, [n, k]),
      tf.tensor2d(teacher, [n, k]),
      d,
    ).dataSync()[0]!;
  });
}

describe('distillation loss α·CE + (1−α)·T²·KL(teacher ‖ student)', () => {
  // One window, two classes, label 0; student logits (0, 0) → p_s = (½, ½); teacher (ln 3, 0).
  const labels = [0];
  const student = [0, 0];
  const teacher = [Math.log(3), 0];

  it('T = 1, α = ½: by hand ½·ln 2 + ½·(¾·ln(3/2) + ¼·ln(1/2)) = ⅜·ln 3', () => {
    const want = (3 / 8) * Math.log(3); // 0.41198
    const d = { alpha: 0.5, temperature: 1 };
    expect(distillationLossValue(labels, student, teacher, 2, d)).toBeCloseTo(want, 12);
    expect(tfLoss(labels, student, teacher, 2, d)).toBeCloseTo(want, 5);
  });

  it('T = 2, α = ½: teacher softened to (√3, 1)/(1 + √3), KL scaled by T² = 4', () => {
    const pt = [Math.sqrt(3) / (1 + Math.sqrt(3)), 1 / (1 + Math.sqrt(3))];
    const kl = pt[0]! * Math.log(pt[0]! / 0.5) + pt[1]! * Math.log(pt[1]! / 0.5);
    const want = 0.5 * Math.log(2) + 0.5 * 4 * kl; // 0.41926
    const d = { alpha: 0.5, temperature: 2 };
    expect(distillationLossValue(labels, student, teacher, 2, d)).toBeCloseTo(want, 12);
    expect(tfLoss(labels, student, teacher, 2, d)).toBeCloseTo(want, 5);
  });

  it('α = 1 is plain cross-entropy; the TF.js loss matches the float64 oracle on a random batch', () => {
    const r = seededRandom(5);
    const n = 7;
    const k = 5;
    const ys = Array.from({ length: n }, () => Math.floor(r() * k));
    const zs = Array.from({ length: n * k }, () => 4 * r() - 2);
    const zt = Array.from({ length: n * k }, () => 6 * r() - 3);
    const ce = tf.tidy(
      () =>
        tf.losses
          .softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ys, 'int32'), k), tf.tensor2d(zs, [n, k]))
          .dataSync()[0]!,
    );
    expect(tfLoss(ys, zs, zt, k, { alpha: 1, temperature: 3 })).toBeCloseTo(ce, 5);
    for (const d of [
      { alpha: 0.5, temperature: 4 },
      { alpha: 0.1, temperature: 1.5 },
      { alpha: 0, temperature: 8 },
    ])
      expect(tfLoss(ys, zs, zt, k, d)).toBeCloseTo(distillationLossValue(ys, zs, zt, k, d), 4);
  });

  it('α = 0 and student = teacher: the loss is 0 and so is its gradient (the KL minimum)', () => {
    const z = [1.5, -0.5, 0.25, 0, 2, -1];
    const g = tf.tidy(() => {
      const oneHot = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
      const t = tf.tensor2d(z, [2, 3]);
      const f = (s: ReturnType<typeof tf.tensor>) =>
        distillationLossTf(tf, oneHot, s, t, { alpha: 0, temperature: 4 });
      return [
        f(tf.tensor2d(z, [2, 3])).dataSync()[0]!,
        ...tf
          .grad(f)(tf.tensor2d(z, [2, 3]))
          .dataSync(),
      ];
    });
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-6);
  });
});

describe('distillation in the low-bit trainer', () => {
  const mlp: ModelSpec = ModelSpecSchema.parse({
    arch: 'custom',
    inputShape: [6],
    numClasses: 3,
    layers: [
      { type: 'dense', name: 'fc1', units: 8, activation: 'relu' },
      { type: 'dense', name: 'fc2', units: 3 },
    ],
  });
  function data(n: number, seed: number): TrainData {
    const r = seededRandom(seed);
    const x = new Float32Array(n * 6);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      for (let j = 0; j < 6; j++) x[i * 6 + j] = (j % 3 === y[i] ? 1 : 0) + (r() - 0.5) * 0.6;
    }
    return { x, y, count: n };
  }

  it('the schema defaults distill to off, and fills α ½, T 4 when given {}', () => {
    expect(LowBitConfigSchema.parse({ method: 'universal-s1' }).distill).toBeNull();
    expect(LowBitConfigSchema.parse({ method: 'universal-s1', distill: {} }).distill).toEqual({
      alpha: 0.5,
      temperature: 4,
    });
    expect(() => LowBitConfigSchema.parse({ method: 'universal-s1', distill: { alpha: 2 } })).toThrow();
  });

  it('with α = 0 the teacher alone drives training: a teacher with shifted labels teaches the shift', () => {
    const train = data(300, 1);
    const val = data(150, 2);
    const cfg = LowBitConfigSchema.parse({
      method: 'universal-s1',
      epochs: 20,
      batchSize: 30,
      fromScratch: true,
      seed: 2,
      distill: { alpha: 0, temperature: 2 },
    });
    const run = (shift: number) => {
      const teacherLogits = new Float32Array(train.count * 3);
      for (let i = 0; i < train.count; i++) teacherLogits[i * 3 + ((train.y[i]! + shift) % 3)] = 5;
      const model = FunctionalModel.fresh(tf, mlp, 4);
      try {
        return trainLowBit(tf, model, train, val, cfg, { teacherLogits });
      } finally {
        model.dispose();
      }
    };
    const right = run(0);
    expect(right.accuracyAfter).toBeGreaterThan(0.6);
    expect(right.epochs.every((e) => Number.isFinite(e.task_loss))).toBe(true);
    const shifted = run(1);
    expect(shifted.accuracyAfter).toBeLessThan(0.2);
  });

  it('logitsOf gives [count, classes]; teacher logits of the wrong length are refused', () => {
    const train = data(60, 1);
    const model = FunctionalModel.fresh(tf, mlp, 3);
    try {
      const z = logitsOf(tf, model, train);
      expect(z.length).toBe(60 * 3);
      const direct = tf.tidy(() => model.forward(tf.tensor2d(train.x, [60, 6])).dataSync());
      for (let i = 0; i < z.length; i++) expect(z[i]).toBeCloseTo(direct[i]!, 5);
      const cfg = LowBitConfigSchema.parse({ method: 'universal-s1', epochs: 1, distill: {} });
      expect(() => trainLowBit(tf, model, train, train, cfg, { teacherLogits: new Float32Array(5) })).toThrow(
        /teacher logits/,
      );
    } finally {
      model.dispose();
    }
  });

  it("roundedEpochs: the levels stay those of the S1 run, α and biases move, accuracy is the rounded network's", () => {
    const train = data(300, 1);
    const val = data(150, 2);
    const run = (roundedEpochs: number) => {
      const cfg = LowBitConfigSchema.parse({
        method: 'universal-s1',
        epochs: 8,
        batchSize: 30,
        fromScratch: true,
        seed: 2,
        roundedEpochs,
      });
      const model = FunctionalModel.fresh(tf, mlp, 4);
      try {
        const out = trainLowBit(tf, model, train, val, cfg);
        const bias = Array.from(model.variable('fc1', 'bias').dataSync());
        const kernel = Float32Array.from(model.variable('fc1', 'kernel').dataSync());
        return { out, bias, kernel };
      } finally {
        model.dispose();
      }
    };
    const plain = run(0);
    const tuned = run(3);
    expect(tuned.out.epochs.length).toBe(1 + 8 + 3);
    expect(tuned.out.epochs[11]!.histograms.length).toBe(2);
    for (const q of tuned.out.quantized) {
      const p = plain.out.quantized.find((x) => x.layer === q.layer)!;
      expect(Array.from(q.levels)).toEqual(Array.from(p.levels));
    }
    expect(tuned.out.quantized[0]!.scales).not.toEqual(plain.out.quantized[0]!.scales);
    expect(tuned.bias).not.toEqual(plain.bias);
    // The kernels are left at α_c·ℓ exactly, so the hard rounding is the identity and before = after.
    const q = tuned.out.quantized.find((x) => x.layer === 'fc1')!;
    const c = q.scales.length;
    tuned.kernel.forEach((w, i) => expect(w).toBeCloseTo(q.levels[i]! * q.scales[i % c]!, 6));
    expect(tuned.out.accuracyAfter).toBeCloseTo(tuned.out.accuracyBefore, 6);
    expect(tuned.out.accuracyAfter).toBeGreaterThanOrEqual(plain.out.accuracyAfter - 0.02);
  });

  it('--distill parses alone, with keys, and refuses bad values', () => {
    expect(parseDistill(true)).toEqual({});
    expect(parseDistill('alpha=0.3,t=2')).toEqual({ alpha: 0.3, temperature: 2 });
    expect(parseDistill('temperature=8')).toEqual({ temperature: 8 });
    expect(() => parseDistill('alpha=1.5')).toThrow(/alpha/);
    expect(() => parseDistill('beta=1')).toThrow(/unknown key/);
    expect(() => parseDistill('0.5')).toThrow(/key=number/);
  });
});
