import type * as TfType from '@tensorflow/tfjs';
import { BitbenchError } from '../../shared/errors';
import { checkInputShape, inferShapes } from '../../shared/model/shapes';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import type { Augment, EpochMetrics, Evaluation, TrainOptions } from '../../shared/model/training';
import { evaluateLoaded, outputsProbabilities } from './evaluate';
import { buildModel, extractWeights, setWeights } from './model-builder';

type Tf = typeof TfType;

/**
 * The training loop (runs inside the training worker; tests call it in-process). A custom loop
 * rather than `model.fit` so that every batch can be cancelled, checked for NaN, weighted per
 * class, augmented with a seeded RNG and reported with its loss and accuracy.
 */

/** One split as flat arrays (the dataset reader's layout). */
export interface SplitData {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

export interface TrainInput {
  spec: ModelSpec;
  /** Shape of one window, e.g. [128, 9]. */
  windowShape: number[];
  classes: string[];
  train: SplitData;
  val?: SplitData | undefined;
  test?: SplitData | undefined;
  options: TrainOptions;
}

export interface BatchTick {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  learningRate: number;
}

export interface TrainHooks {
  onBatch?(tick: BatchTick): void;
  onEpoch?(m: EpochMetrics): void;
  /** Checked after every batch: true stops training (the result has `cancelled: true`). */
  shouldStop?(): boolean;
}

export interface TrainOutput {
  weights: NamedWeight[];
  curves: EpochMetrics[];
  epochsRun: number;
  /** Batches trained (all epochs); a cancel stops after the batch in flight. */
  batchesRun: number;
  stoppedEarly: boolean;
  bestEpoch: number;
  cancelled: boolean;
  trainSeconds: number;
  evaluations: Partial<Record<'train' | 'val' | 'test', Evaluation>>;
}

/** Mulberry32: a tiny seeded PRNG, so shuffling and augmentation repeat for a seed. */
export function seeded(seed: number): () => number {
  let a = (seed ^ 0x5bd1e995) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Refuses, before any training, the data a run cannot learn from. Each reason names what to
 * fix: one class, a class count that does not match the spec, a window shape that does not
 * match the architecture, NaN/Infinity in the data, labels out of range, an empty split.
 */
export function validateTrainingInput(input: TrainInput): void {
  const { spec, windowShape, classes, train } = input;
  inferShapes(spec);
  checkInputShape(spec, windowShape);
  if (spec.numClasses !== classes.length)
    throw new BitbenchError(
      'bad_request',
      `The model has ${spec.numClasses} outputs but the dataset has ${classes.length} classes (${classes.join(', ')}).`,
    );
  if (train.count === 0)
    throw new BitbenchError('bad_request', 'The train split is empty: nothing to train on.');
  // The IMU augmentation shifts along time and scales per channel; on an image ([28, 28, 1]) its
  // "time" is the flattened pixels, so a shift would wrap pixels from one row into the next.
  if (input.options.augment && windowShape.length !== 2)
    throw new BitbenchError(
      'bad_request',
      `IMU augmentation (jitter, scaling, time shift) is for [time, channels] windows; these are [${windowShape.join(', ')}], where a time shift would wrap pixels from one row into the next. Train without augmentation.`,
    );
  const per = windowShape.reduce((a, b) => a * b, 1);
  const splits: Array<[string, SplitData | undefined]> = [
    ['train', train],
    ['val', input.val],
    ['test', input.test],
  ];
  for (const [name, s] of splits) {
    if (!s) continue;
    if (s.x.length !== s.count * per || s.y.length !== s.count)
      throw new BitbenchError(
        'bad_request',
        `The ${name} split has ${s.x.length} values for ${s.count} windows of [${windowShape.join(', ')}].`,
      );
    for (let i = 0; i < s.x.length; i++)
      if (!Number.isFinite(s.x[i]!)) {
        const w = Math.floor(i / per);
        throw new BitbenchError(
          'bad_request',
          `The ${name} split has ${Number.isNaN(s.x[i]!) ? 'NaN' : 'an infinite value'} in window ${w} (value ${i - w * per} of ${per}); clean or rebuild the dataset.`,
        );
      }
    for (let i = 0; i < s.count; i++)
      if (s.y[i]! < 0 || s.y[i]! >= classes.length)
        throw new BitbenchError(
          'bad_request',
          `The ${name} split has label ${s.y[i]} in window ${i}, outside 0..${classes.length - 1}.`,
        );
  }
  const present = new Set(train.y);
  if (present.size < 2)
    throw new BitbenchError(
      'bad_request',
      `The train split has only one class (${classes[[...present][0] ?? 0] ?? '?'}): a classifier needs at least two.`,
    );
  const cw = input.options.classWeights;
  if (Array.isArray(cw)) {
    if (cw.length !== classes.length)
      throw new BitbenchError(
        'bad_request',
        `${cw.length} class weights given for ${classes.length} classes (${classes.join(', ')}).`,
      );
    const bad = cw.findIndex((w) => !Number.isFinite(w) || w < 0);
    if (bad >= 0)
      throw new BitbenchError(
        'bad_request',
        `Class weight ${cw[bad]} for ${classes[bad]}: weights must be finite and ≥ 0.`,
      );
    // The loss is the weighted mean over a batch: a batch of only zero-weight windows divides 0 by 0.
    const zero = [...present].filter((c) => cw[c] === 0).map((c) => classes[c]!);
    if (zero.length > 0)
      throw new BitbenchError(
        'bad_request',
        `Class weight 0 for ${zero.join(', ')}, which the train split has windows of: a batch of only those ` +
          'has no loss to learn from. Give every class in the train split a weight > 0 (e.g. 0.1).',
      );
  }
  if (input.options.earlyStopping && !(input.val && input.val.count > 0))
    throw new BitbenchError(
      'bad_request',
      'Early stopping watches the validation loss, but this dataset version has no validation split ' +
        '(val fraction 0). Train without early stopping, or rebuild the dataset with a validation split.',
    );
}

function classWeightVector(opt: TrainOptions['classWeights'], y: Int32Array, k: number): Float32Array | null {
  if (opt === 'none') return null;
  if (Array.isArray(opt)) return Float32Array.from(opt);
  const counts = new Float64Array(k);
  for (const c of y) counts[c]!++;
  return Float32Array.from(counts, (n) => (n > 0 ? y.length / (k * n) : 0));
}

function learningRate(o: TrainOptions, epoch: number, step: number, totalSteps: number): number {
  switch (o.schedule) {
    case 'constant':
      return o.learningRate;
    case 'cosine':
      return o.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / Math.max(1, totalSteps)));
    case 'step':
      return o.learningRate * o.stepGamma ** Math.floor(epoch / o.stepEvery);
  }
}

/** Copies windows `idx` into `out`, augmenting in place when asked (time-major, channels last). */
function fillBatch(
  src: Float32Array,
  idx: ArrayLike<number>,
  per: number,
  windowShape: number[],
  out: Float32Array,
  augment: Augment | null,
  rand: () => number,
): void {
  const ch = windowShape[windowShape.length - 1]!;
  const steps = per / ch;
  for (let b = 0; b < idx.length; b++) {
    const from = idx[b]! * per;
    const o = b * per;
    if (!augment) {
      out.set(src.subarray(from, from + per), o);
      continue;
    }
    const shift = augment.timeShift > 0 ? Math.round((rand() * 2 - 1) * augment.timeShift) : 0;
    const gains = Array.from({ length: ch }, () =>
      augment.scaling > 0 ? 1 + augment.scaling * gaussian(rand) : 1,
    );
    for (let t = 0; t < steps; t++) {
      const st = (((t - shift) % steps) + steps) % steps;
      for (let c = 0; c < ch; c++) {
        let v = src[from + st * ch + c]! * gains[c]!;
        if (augment.jitter > 0) v += augment.jitter * gaussian(rand);
        out[o + t * ch + c] = v;
      }
    }
  }
}

type Optimizer = TfType.Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };

/** SGD/momentum cache −lr as a tensor (setLearningRate); Adam reads the field on every step. */
function setLr(opt: Optimizer, lr: number): void {
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
  else opt.learningRate = lr;
}

function makeOptimizer(tf: Tf, o: TrainOptions): Optimizer {
  return (o.optimizer === 'adam'
    ? tf.train.adam(o.learningRate)
    : tf.train.momentum(o.learningRate, 0.9)) as unknown as Optimizer;
}

/** Trains `input.spec` on `input.train`; evaluates the final (or best) weights on every split given. */
export async function train(tf: Tf, input: TrainInput, hooks: TrainHooks = {}): Promise<TrainOutput> {
  validateTrainingInput(input);
  const { spec, windowShape, options: o, classes } = input;
  const per = windowShape.reduce((a, b) => a * b, 1);
  const k = classes.length;
  const model = buildModel(tf, spec, undefined, { seed: o.seed });
  const probs = outputsProbabilities(spec);
  const optimizer = makeOptimizer(tf, o);
  const rand = seeded(o.seed);
  const weightsPerClass = classWeightVector(o.classWeights, input.train.y, k);
  const n = input.train.count;
  const batches = Math.ceil(n / o.batchSize);
  const totalSteps = batches * o.epochs;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const xBuf = new Float32Array(o.batchSize * per);
  const yBuf = new Int32Array(o.batchSize);
  const curves: EpochMetrics[] = [];
  const t0 = performance.now();
  let best: { loss: number; epoch: number; weights: NamedWeight[] } | undefined;
  let sinceBest = 0;
  let stoppedEarly = false;
  let cancelled = false;
  let step = 0;

  try {
    for (let epoch = 0; epoch < o.epochs && !cancelled && !stoppedEarly; epoch++) {
      const e0 = performance.now();
      // Seeded Fisher–Yates shuffle, one per epoch.
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = o.learningRate;
      for (let b = 0; b < batches; b++) {
        const idx = order.subarray(b * o.batchSize, Math.min(n, (b + 1) * o.batchSize));
        const m = idx.length;
        fillBatch(input.train.x, idx, per, windowShape, xBuf, o.augment, rand);
        for (let i = 0; i < m; i++) yBuf[i] = input.train.y[idx[i]!]!;
        const nextLr = learningRate(o, epoch, step, totalSteps);
        if (nextLr !== lr || step === 0) setLr(optimizer, nextLr);
        lr = nextLr;
        const [lossV, correctV] = tf.tidy(() => {
          const xb = tf.tensor(xBuf.subarray(0, m * per), [m, ...windowShape]);
          const yb = tf.tensor1d(yBuf.subarray(0, m), 'int32');
          const onehot = tf.oneHot(yb, k);
          const sw = weightsPerClass ? tf.gather(tf.tensor1d(weightsPerClass), yb) : undefined;
          let out: TfType.Tensor | undefined;
          const loss = optimizer.minimize(() => {
            // kept: the gradient scope disposes everything but the loss, and accuracy needs it.
            out = tf.keep(model.apply(xb, { training: true }) as TfType.Tensor);
            const l = probs
              ? tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(out, 1e-7, 1))), -1))
              : tf.losses.softmaxCrossEntropy(onehot, out, undefined, undefined, tf.Reduction.NONE);
            return (sw ? tf.div(tf.sum(tf.mul(l, sw)), tf.sum(sw)) : tf.mean(l)) as TfType.Scalar;
          }, true)!;
          const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out!, -1), yb), 'float32'));
          const both = tf.stack([loss, hits]).dataSync();
          out!.dispose();
          return [both[0]!, both[1]!];
        });
        step++;
        if (!Number.isFinite(lossV))
          throw new BitbenchError(
            'bad_request',
            `Training diverged: the loss became ${lossV} at epoch ${epoch + 1}, batch ${b + 1} (learning rate ${lr.toPrecision(3)}). Lower the learning rate or check the data.`,
          );
        lossSum += lossV * m;
        correct += correctV;
        seen += m;
        hooks.onBatch?.({
          epoch: epoch + 1,
          epochs: o.epochs,
          batch: b + 1,
          batches,
          loss: lossSum / seen,
          accuracy: correct / seen,
          learningRate: lr,
        });
        if (hooks.shouldStop?.()) {
          cancelled = true;
          break;
        }
      }
      if (cancelled) break;
      let valLoss: number | null = null;
      let valAcc: number | null = null;
      if (input.val && input.val.count > 0) {
        const ev = evaluateLoaded(tf, model, spec, input.val, classes, 'val');
        valLoss = ev.loss;
        valAcc = ev.accuracy;
      }
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        loss: lossSum / seen,
        accuracy: correct / seen,
        val_loss: valLoss,
        val_accuracy: valAcc,
        learning_rate: lr,
        seconds: (performance.now() - e0) / 1000,
      };
      curves.push(metrics);
      hooks.onEpoch?.(metrics);
      if (o.earlyStopping && valLoss !== null) {
        if (!best || valLoss < best.loss - o.earlyStopping.minDelta) {
          best = { loss: valLoss, epoch: epoch + 1, weights: extractWeights(model) };
          sinceBest = 0;
        } else if (++sinceBest >= o.earlyStopping.patience) stoppedEarly = true;
      }
      // Let the worker's message loop breathe between epochs.
      await new Promise<void>((r) => setImmediate(r));
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    if (best && o.earlyStopping) setWeights(model, best.weights);
    const evaluations: TrainOutput['evaluations'] = {};
    if (!cancelled) {
      evaluations.train = evaluateLoaded(tf, model, spec, input.train, classes, 'train');
      if (input.val && input.val.count > 0)
        evaluations.val = evaluateLoaded(tf, model, spec, input.val, classes, 'val');
      if (input.test && input.test.count > 0)
        evaluations.test = evaluateLoaded(tf, model, spec, input.test, classes, 'test');
    }
    return {
      weights: extractWeights(model),
      curves,
      epochsRun: curves.length,
      batchesRun: step,
      stoppedEarly,
      bestEpoch: best?.epoch ?? curves.length,
      cancelled,
      trainSeconds,
      evaluations,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
