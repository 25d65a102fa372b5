import { describe, expect, it } from 'vitest';
import { loadTf } from '../../../src/main/ml/tf-loader';
import { train, validateTrainingInput, type TrainInput } from '../../../src/main/ml/trainer';
import { zooSpec } from '../../../src/main/ml/zoo';
import { TrainOptionsSchema } from '../../../src/shared/model/training';
import { maxAbsDiff } from './tf-backends';
import { smallSpec, syntheticSplit } from './synthetic';

const classes = ['a', 'b', 'c'];

function input(over: Partial<TrainInput> = {}, opts: Record<string, unknown> = {}): TrainInput {
  return {
    spec: smallSpec,
    windowShape: [32, 3],
    classes,
    train: syntheticSplit(240, 1),
    val: syntheticSplit(60, 2),
    test: syntheticSplit(60, 3),
    options: TrainOptionsSchema.parse({ epochs: 6, batchSize: 16, learningRate: 0.01, seed: 7, ...opts }),
    ...over,
  };
}

describe('training loop (in-process, loader backend)', () => {
  it('learns the synthetic set to ≥ 90 % val accuracy, and the same seed gives identical weights', async () => {
    const { tf } = await loadTf();
    const a = await train(tf, input());
    expect(a.epochsRun).toBe(6);
    expect(a.curves[5]!.loss).toBeLessThan(a.curves[0]!.loss);
    expect(a.evaluations.val!.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(a.evaluations.test!.confusion.matrix.flat().reduce((s, v) => s + v, 0)).toBe(60);
    const b = await train(tf, input());
    a.weights.forEach((w, i) =>
      expect(maxAbsDiff(w.values, b.weights[i]!.values), `${w.layer}.${w.param}`).toBe(0),
    );
    expect(b.curves.map((c) => c.loss)).toEqual(a.curves.map((c) => c.loss));
    const c = await train(tf, input({}, { seed: 8, epochs: 1 }));
    expect(maxAbsDiff(c.weights[0]!.values, a.weights[0]!.values)).toBeGreaterThan(0);
  });

  it('options: sgd + cosine schedule + balanced class weights + augmentation + early stopping run and are recorded', async () => {
    const { tf } = await loadTf();
    const out = await train(
      tf,
      input(
        {},
        {
          optimizer: 'sgd',
          schedule: 'cosine',
          learningRate: 0.05,
          epochs: 12,
          classWeights: 'balanced',
          augment: { jitter: 0.05, scaling: 0.1, timeShift: 2 },
          earlyStopping: { patience: 1, minDelta: 10 },
        },
      ),
    );
    // minDelta 10 can never be met: stops after patience epochs past the first.
    expect(out.stoppedEarly).toBe(true);
    expect(out.epochsRun).toBe(2);
    expect(out.bestEpoch).toBe(1);
    expect(out.curves[1]!.learning_rate).toBeLessThan(0.05);
  });

  it('a cancel stops after the batch in flight', async () => {
    const { tf } = await loadTf();
    let batches = 0;
    const out = await train(tf, input(), { onBatch: () => batches++, shouldStop: () => batches >= 3 });
    expect(out.cancelled).toBe(true);
    expect(out.batchesRun).toBe(3);
    expect(out.evaluations).toEqual({});
  });

  it('stops and says so when the loss becomes NaN', async () => {
    const { tf } = await loadTf();
    const huge = syntheticSplit(64, 1);
    huge.x.forEach((v, i) => (huge.x[i] = Math.max(-3e38, Math.min(3e38, v * 1e38))));
    await expect(
      train(tf, input({ train: huge, val: undefined, test: undefined }, { learningRate: 1 })),
    ).rejects.toThrow(/Training diverged: the loss became (NaN|Infinity) at epoch 1, batch 1/);
  });
});

describe('refusals before training', () => {
  it('one class', () => {
    const one = syntheticSplit(30, 1);
    one.y.fill(1);
    expect(() => validateTrainingInput(input({ train: one }))).toThrow(/only one class \(b\)/);
  });
  it('wrong window shape for the architecture', () => {
    expect(() => validateTrainingInput(input({ spec: zooSpec('har-cnn', { numClasses: 3 }) }))).toThrow(
      /takes windows of shape \[128, 9\].*\[32, 3\]/,
    );
  });
  it('IMU augmentation on images ([28, 28, 1]): its time shift would wrap pixels across rows', () => {
    const img = zooSpec('mnist-cnn', { numClasses: 3 });
    const split = (n: number) => ({
      x: new Float32Array(n * 784).fill(0.5),
      y: Int32Array.from({ length: n }, (_, i) => i % 3),
      count: n,
    });
    const images = { spec: img, windowShape: [28, 28, 1], train: split(6), val: undefined, test: undefined };
    expect(() =>
      validateTrainingInput(input(images, { augment: { jitter: 0.05, scaling: 0.1, timeShift: 2 } })),
    ).toThrow(/IMU augmentation .* is for \[time, channels\] windows; these are \[28, 28, 1\]/);
    expect(() => validateTrainingInput(input(images))).not.toThrow();
    // [time, channels] windows keep it
    expect(() =>
      validateTrainingInput(input({}, { augment: { jitter: 0.05, scaling: 0.1, timeShift: 2 } })),
    ).not.toThrow();
  });
  it('NaN in the data, with the window', () => {
    const bad = syntheticSplit(30, 1);
    bad.x[5 * 96 + 7] = NaN;
    expect(() => validateTrainingInput(input({ train: bad }))).toThrow(/train split has NaN in window 5/);
  });
  it('class count that does not match the model, labels out of range', () => {
    expect(() => validateTrainingInput(input({ classes: ['a', 'b'] }))).toThrow(
      /3 outputs but the dataset has 2 classes/,
    );
    const bad = syntheticSplit(30, 1);
    bad.y[4] = 9;
    expect(() => validateTrainingInput(input({ val: bad }))).toThrow(/val split has label 9 in window 4/);
  });
  it('class weights: all zero, zero for a class in the train split, negative, wrong count', () => {
    const cw = (classWeights: number[]) => input({}, { classWeights });
    expect(() => validateTrainingInput(cw([0, 0, 0]))).toThrow(
      /Class weight 0 for a, b, c, which the train split/,
    );
    expect(() => validateTrainingInput(cw([1, 0, 1]))).toThrow(/Class weight 0 for b,/);
    // The zod schema refuses negatives from the API; the trainer refuses them from anywhere.
    const negative = input();
    negative.options.classWeights = [1, -1, 1];
    expect(() => validateTrainingInput(negative)).toThrow(
      /Class weight -1 for b: weights must be finite and ≥ 0/,
    );
    expect(() => validateTrainingInput(cw([1, 1]))).toThrow(
      /2 class weights given for 3 classes \(a, b, c\)/,
    );
    expect(() => validateTrainingInput(cw([0.5, 2, 1]))).not.toThrow();
  });
  it('early stopping without a validation split (it would be ignored)', () => {
    const es = { earlyStopping: { patience: 2 } };
    expect(() => validateTrainingInput(input({ val: undefined }, es))).toThrow(
      /Early stopping watches the validation loss, but this dataset version has no validation split/,
    );
    expect(() => validateTrainingInput(input({ val: { ...syntheticSplit(0, 1), count: 0 } }, es))).toThrow(
      /no validation split/,
    );
    expect(() => validateTrainingInput(input({}, es))).not.toThrow();
  });
});
