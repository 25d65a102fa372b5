import type * as TfType from '@tensorflow/tfjs';
import type { EpochReport, LowBitConfig, WeightHistogram } from '../../shared/api/lowbit';
import { BitbenchError } from '../../shared/errors';
import type { ModelSpec } from '../../shared/model/spec';
import type { Tf } from '../ml/tf-loader';
import type { AffineEncoding } from '../../shared/quant/encoding';
import { withScales } from './affine-quantizer';
import { distillationLossTf } from './distill';
import { lsqGradScale, lsqWeightQuantizer, weightGrid, type WeightGrid } from './qat/fake-quant';
import {
  isWeightedLayer,
  type ForwardHooks,
  type FunctionalModel,
  type QuantTarget,
} from './qat/functional-model';
import { gruStateEncoding } from './integer-model-builder';
import { ActivationObserver } from './observers';
import { activationEncoding } from './range-setters';
import { seededRandom } from './rng';
import { fakeQuantSte } from './tf-quantizer';
import { scheduledLearningRate } from './lr-schedule';
import { fractionNearLevels, nearestLevel, regulariserTf, annealedLambda } from './universal/regularisers';
import { initialScales, leastSquaresScaleTf } from './universal/scale';

/**
 * The low-bit training loop, shared by QAT and universal training (runs in the quantization worker, in the
 * benchmark and in the tests alike). Adam on the model's trainable variables (plus the LSQ steps),
 * softmax cross-entropy on the logits (or, with `distill`, the distillation loss of distill.ts against the
 * float parent's logits), and per method:
 * - qat-ste: weights fake-quantized with the clipped STE, per-channel steps from the PTQ MSE range
 *   setter, refreshed every epoch; activations fake-quantized on the encodings the integer model will
 *   use: the PTQ MSE range setter on a fixed batch of training windows, refreshed every epoch.
 * - qat-lsq: the same, but the weight steps and the activation steps are learned with the LSQ gradient
 *   (scaled by 1/√(N·Qp); an activation keeps the zero point of its MSE start), starting from the MSE
 *   steps (seed 004: initialise QAT from a good PTQ point). The integer model keeps the learned steps.
 * QAT keeps the epoch with the best validation accuracy after rounding (the start included), as float
 * training keeps its best epoch: fine-tuning at a fixed learning rate can drift away from it.
 * The logits stay float while training (cross-entropy through a 2- or 4-level logit grid has almost no
 * gradient, and its range grew with the logits until the loss ran away); the integer model gives them
 * the argmax grid, as PTQ does.
 * - universal-s1/s2: float forward; loss + λ(t)·Σ S(w/α) over the layers below 8 bits, α following
 *   the weights by least squares; hard rounding at the end (8-bit layers are only rounded at the end).
 * Every step's loss is checked: a NaN/∞ stops the run with a clear error (the caller marks it failed).
 */
type Tensor = TfType.Tensor;

export interface TrainData {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

export interface QuantizedTensor {
  layer: string;
  param: 'kernel' | 'recurrentKernel';
  bits: number;
  /** Integer levels in the channel-last (Keras) layout. */
  levels: Int32Array;
  /** One scale per output channel. */
  scales: number[];
  channelShape: number[];
}

export interface LowBitOutcome {
  quantized: QuantizedTensor[];
  epochs: EpochReport[];
  /** Validation accuracy of the starting model (float weights, no quantization). */
  initialAccuracy: number;
  /** Validation accuracy with the trained weights as trained / after hard rounding. */
  accuracyBefore: number;
  accuracyAfter: number;
  nearFraction: number;
  /** Hard-rounded (dequantized) kernels in the channel-last view, keyed "layer.param". */
  roundedKernels: Map<string, Float32Array>;
  /**
   * QAT: the encoding each weighted layer's output was trained with (keyed by the layer whose output
   * it is; the logits excluded), for the integer model to use as is.
   */
  actEncodings?: Map<string, AffineEncoding>;
  /** QAT: the epoch kept (best validation accuracy after rounding; 0 = the start). Universal: null. */
  keptEpoch: number | null;
}

export interface TrainHooks {
  onEpoch?: (report: EpochReport, fractionDone: number) => void;
  /** Throws to stop (cancellation); called between batches. */
  checkStop?: () => void;
  /** Quantize/regularise only these layers; the others stay float (layer sensitivity analysis). */
  only?: ReadonlySet<string>;
  /**
   * Teacher logits for `cfg.distill`, row-major [train.count, numClasses] (runLowBit computes them from
   * the float parent). Without them the model's own logits before training are used (the parent,
   * unless the model was freshly initialised).
   */
  teacherLogits?: Float32Array;
}

/** Logits of a functional model on every window of `data`, row-major [count, numClasses]. */
export function logitsOf(tf: Tf, model: FunctionalModel, data: TrainData): Float32Array {
  const k = model.spec.numClasses;
  const out = new Float32Array(data.count * k);
  const per = data.x.length / Math.max(1, data.count);
  for (let s = 0; s < data.count; s += 256) {
    const n = Math.min(256, data.count - s);
    const z = tf.tidy(() =>
      model.forward(tf.tensor(data.x.subarray(s * per, (s + n) * per), [n, ...model.spec.inputShape])),
    );
    out.set(z.dataSync(), s * k);
    z.dispose();
  }
  return out;
}

/**
 * Per weighted layer weight/activation bits from the config's defaults and its table. Refuses a
 * table entry that names no conv/dense/GRU layer of the spec, naming the layers it has.
 */
export function resolveLayerBits(
  spec: ModelSpec,
  cfg: Pick<LowBitConfig, 'weightBits' | 'actBits' | 'layerBits'>,
): Map<string, { weights: number; acts: number }> {
  const weighted = spec.layers.filter(isWeightedLayer).map((l) => l.name);
  const unknown = Object.keys(cfg.layerBits).filter((n) => !weighted.includes(n));
  if (unknown.length)
    throw new BitbenchError(
      'bad_request',
      `Unknown layer${unknown.length > 1 ? 's' : ''} in the bit table: ${unknown.join(', ')}. This ${spec.arch} model's quantizable layers are: ${weighted.join(', ')}.`,
    );
  const out = new Map<string, { weights: number; acts: number }>();
  for (const name of weighted) {
    const e = cfg.layerBits[name];
    const weights = e?.weights ?? cfg.weightBits;
    const acts = e?.acts ?? cfg.actBits;
    for (const [what, b] of [
      ['weight', weights],
      ['activation', acts],
    ] as const)
      if (!Number.isInteger(b) || b < 1 || b > 8)
        throw new BitbenchError('bad_request', `Layer ${name}: ${what} bits must be 1..8, got ${b}.`);
    out.set(name, { weights, acts });
  }
  return out;
}

/** Accuracy of a functional model on labelled data, batched, with optional forward hooks. */
export function accuracyOf(
  tf: Tf,
  model: FunctionalModel,
  data: TrainData,
  hooks: ForwardHooks = {},
): number {
  if (data.count === 0) return 0;
  const per = data.x.length / data.count;
  let correct = 0;
  for (let s = 0; s < data.count; s += 256) {
    const n = Math.min(256, data.count - s);
    const pred = tf.tidy(() =>
      model
        .forward(tf.tensor(data.x.subarray(s * per, (s + n) * per), [n, ...model.spec.inputShape]), hooks)
        .argMax(-1),
    );
    const p = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < n; i++) if (p[i] === data.y[s + i]) correct++;
  }
  return correct / data.count;
}

interface TargetState {
  t: QuantTarget;
  bits: number;
  grid: WeightGrid;
  /** α (universal) or s (QAT): per-channel scale. Trainable for LSQ. */
  scale: TfType.Variable;
  regularised: boolean;
}

const tkey = (t: { layer: string; param: string }) => `${t.layer}.${t.param}`;

function histogramOf(
  values: Float32Array,
  scales: number[],
  grid: WeightGrid,
  bits: number,
  epsilon: number,
  t: QuantTarget,
): WeightHistogram {
  const range = grid.qmax + 1;
  const bins = Math.min(128, 16 * range);
  const counts = new Array<number>(bins).fill(0);
  const c = scales.length;
  for (let i = 0; i < values.length; i++) {
    const u = values[i]! / scales[i % c]!;
    const b = Math.floor(((u + range) / (2 * range)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return {
    layer: t.layer,
    param: t.param,
    bits,
    lo: -range,
    hi: range,
    counts,
    near_fraction: fractionNearLevels(values, scales, grid, epsilon),
  };
}

/** QAT's best epoch so far: copies of every value training moves, and the activation encodings. */
interface BestEpoch {
  epoch: number;
  accuracy: number;
  values: Tensor[];
  encs: Map<string, AffineEncoding>;
}

/** A Fisher–Yates shuffle of 0 … count − 1 (one rand() per swap, last index first). */
function shuffledOrder(count: number, rand: () => number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Copies the windows `idx` (and their teacher logits, when distilling) into the batch buffers. */
function fillBatch(
  train: TrainData,
  idx: Int32Array,
  xb: Float32Array,
  yb: Int32Array,
  teacher?: { logits: Float32Array; out: Float32Array; numClasses: number },
): void {
  const per = train.x.length / train.count;
  idx.forEach((w, k) => {
    xb.set(train.x.subarray(w * per, (w + 1) * per), k * per);
    yb[k] = train.y[w]!;
    if (teacher) {
      const c = teacher.numClasses;
      teacher.out.set(teacher.logits.subarray(w * c, (w + 1) * c), k * c);
    }
  });
}

export function trainLowBit(
  tf: Tf,
  model: FunctionalModel,
  train: TrainData,
  val: TrainData,
  cfg: LowBitConfig,
  hooks: TrainHooks = {},
): LowBitOutcome {
  const bitsOf = resolveLayerBits(model.spec, cfg);
  const universal = cfg.method.startsWith('universal');
  const regKind = cfg.method === 'universal-s2' ? 's2' : 's1';
  const lsq = cfg.method === 'qat-lsq';
  const per = train.x.length / Math.max(1, train.count);
  const inShape = model.spec.inputShape;
  const numClasses = model.spec.numClasses;
  const rand = seededRandom(cfg.seed * 7919 + 17);

  const states: TargetState[] = model.targets
    .filter((t) => !hooks.only || hooks.only.has(t.layer))
    .map((t) => {
      const bits = bitsOf.get(t.layer)!.weights;
      const grid = weightGrid(bits);
      const w = tf.tidy(() => model.effectiveWeight(t));
      const s0 = initialScales(Float32Array.from(w.dataSync()), t.channelShape, bits);
      w.dispose();
      return { t, bits, grid, scale: tf.variable(tf.tensor1d(s0), lsq), regularised: universal && bits < 8 };
    });
  const actBitsOf = (site: string) =>
    site === 'input' ? 8 : (bitsOf.get(model.actOwner.get(site) ?? site)?.acts ?? cfg.actBits);
  const lastLayer = model.spec.layers[model.spec.layers.length - 1]?.name;
  // A GRU's output is the engine's int8 Q7 state whatever the activation bits: trained on that grid, not learned.
  const fixedGrid = (site: string) =>
    model.spec.layers.find((l) => l.name === (model.actOwner.get(site) ?? site))?.type === 'gru';
  const trainedSites = model.actSites.filter((site) => site !== lastLayer);

  const quantizers = new Map(
    states.map((s) => [tkey(s.t), lsqWeightQuantizer(tf, s.grid, lsq ? lsqGradScale(s.t.fanIn, s.grid) : 1)]),
  );
  const stateOf = new Map(states.map((s) => [tkey(s.t), s]));

  // Weight hook: fake quantization on the grid (QAT's forward, and every method's hard rounding).
  const qatWeight = (t: QuantTarget, w: Tensor) => {
    const s = stateOf.get(tkey(t));
    return s ? quantizers.get(tkey(t))!(w, s.scale) : w;
  };

  // Activation encodings (QAT): MSE ranges on a fixed batch of training windows, observed through the
  // quantized network so far; qat-lsq then learns each step (a variable), its zero point fixed.
  const actEncs = new Map<string, AffineEncoding>();
  const actSteps = new Map<string, { v: TfType.Variable; gradScale: number }>();
  const calibN = Math.min(train.count, 256);
  const calibrateActs = () => {
    if (universal || calibN === 0) return;
    const observers = new Map(
      trainedSites.map((site) => [site, new ActivationObserver(site, 16384, cfg.seed)]),
    );
    tf.tidy(() => {
      const x = tf.tensor(train.x.subarray(0, calibN * per), [calibN, ...inShape]);
      model.forward(x, {
        weight: qatWeight,
        act: (site, y) => {
          observers.get(site)?.observe(y.dataSync());
          return quantizeAct(site, y);
        },
      });
    });
    for (const [site, obs] of observers)
      actEncs.set(
        site,
        fixedGrid(site) ? gruStateEncoding() : activationEncoding(obs, actBitsOf(site), { method: 'mse' }),
      );
  };
  const quantizeAct = (site: string, y: Tensor): Tensor => {
    const enc = actEncs.get(site);
    if (!enc) return y;
    const learned = actSteps.get(site);
    const s = learned ? learned.v : tf.scalar(enc.scales[0]!);
    return fakeQuantSte(tf, y, s, enc.zeroPoints[0]!, enc.qmin, enc.qmax, learned?.gradScale ?? 1);
  };
  const learnedActEncodings = (): Map<string, AffineEncoding> => {
    const out = new Map<string, AffineEncoding>();
    for (const [site, enc] of actEncs) {
      const learned = actSteps.get(site);
      const e = learned ? withScales(enc, [learned.v.dataSync()[0]!]) : enc;
      if (site !== 'input') out.set(model.actOwner.get(site) ?? site, e);
    }
    return out;
  };
  // QAT's best epoch: every value training moves (weights, steps) and the activation encodings.
  // (A holder: TypeScript does not see the closures below assign a plain `let`.)
  const kept: { best: BestEpoch | null } = { best: null };
  const moving = () => [
    ...model.trainableVariables(),
    ...states.map((s) => s.scale),
    ...[...actSteps.values()].map((a) => a.v),
  ];
  const keepIfBest = (epoch: number, accuracy: number) => {
    if (universal || (kept.best && accuracy <= kept.best.accuracy)) return;
    if (kept.best) tf.dispose(kept.best.values);
    const values = moving().map((v) => tf.keep(v.clone()));
    kept.best = { epoch, accuracy, values, encs: new Map(actEncs) };
  };
  const restoreBest = () => {
    const best = kept.best;
    if (!best) return;
    const vars = moving();
    best.values.forEach((v, i) => vars[i]!.assign(v));
    actEncs.clear();
    for (const [k, e] of best.encs) actEncs.set(k, e);
  };

  const evaluate = (data: TrainData, mode: 'float' | 'trained' | 'hard'): number => {
    if (mode === 'float') return accuracyOf(tf, model, data);
    if (universal) return accuracyOf(tf, model, data, mode === 'hard' ? { weight: qatWeight } : {});
    return accuracyOf(tf, model, data, { weight: qatWeight, act: quantizeAct });
  };

  const snapshot = (): { histograms: WeightHistogram[]; near: number } => {
    const histograms: WeightHistogram[] = [];
    let near = 0;
    let total = 0;
    for (const s of states) {
      const w = tf.tidy(() => model.effectiveWeight(s.t));
      const values = Float32Array.from(w.dataSync());
      w.dispose();
      const scales = Array.from(s.scale.dataSync());
      const h = histogramOf(values, scales, s.grid, s.bits, cfg.epsilon, s.t);
      histograms.push(h);
      if (s.bits < 8) {
        near += h.near_fraction * values.length;
        total += values.length;
      }
    }
    return { histograms, near: total ? near / total : 1 };
  };

  // QAT: the activation encodings before the first step; LSQ's steps start from them.
  calibrateActs();
  // The model input keeps its encoding (the integer model calibrates its own), as does a GRU's state.
  if (lsq)
    for (const [site, enc] of actEncs) {
      if (site === 'input' || fixedGrid(site)) continue;
      const perWindow = model.shapes.layers.find((l) => l.name === site)?.outShape ?? inShape;
      const n = perWindow.reduce((a, b) => a * b, 1);
      actSteps.set(site, {
        v: tf.variable(tf.scalar(enc.scales[0]!), true),
        gradScale: 1 / Math.sqrt(Math.max(1, n) * Math.max(1, enc.qmax - enc.zeroPoints[0]!)),
      });
    }

  const initialAccuracy = evaluate(val, 'float');
  const distill = cfg.distill;
  const teacher = distill ? (hooks.teacherLogits ?? logitsOf(tf, model, train)) : undefined;
  if (teacher && teacher.length !== train.count * numClasses)
    throw new BitbenchError(
      'bad_request',
      `Distillation: ${teacher.length} teacher logits for ${train.count} windows × ${numClasses} classes.`,
    );
  const epochs: EpochReport[] = [];
  {
    const snap = snapshot();
    epochs.push({
      epoch: 0,
      task_loss: 0,
      regulariser: 0,
      lambda: 0,
      val_accuracy: universal ? initialAccuracy : evaluate(val, 'trained'),
      val_accuracy_rounded: evaluate(val, 'hard'),
      near_fraction: snap.near,
      histograms: snap.histograms,
    });
    keepIfBest(0, epochs[0]!.val_accuracy_rounded);
    hooks.onEpoch?.(epochs[0]!, 0);
  }

  const optimizer = tf.train.adam(cfg.learningRate);
  const varList = [
    ...model.trainableVariables(),
    ...(lsq ? states.map((s) => s.scale) : []),
    ...[...actSteps.values()].map((a) => a.v),
  ];
  const batchesPerEpoch = Math.max(1, Math.ceil(train.count / cfg.batchSize));
  const totalSteps = batchesPerEpoch * cfg.epochs;
  const totalEpochs = cfg.epochs + (universal ? cfg.roundedEpochs : 0);
  let step = 0;
  const xb = new Float32Array(cfg.batchSize * per);
  const yb = new Int32Array(cfg.batchSize);
  const tb = teacher ? new Float32Array(cfg.batchSize * numClasses) : undefined;

  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      if (!universal && !lsq && epoch > 1) {
        refreshSteScales(tf, model, states);
        calibrateActs();
      }
      const order = shuffledOrder(train.count, rand);
      let taskSum = 0;
      let regSum = 0;
      let lambda = 0;
      let learningRate = cfg.learningRate;
      for (let b = 0; b < batchesPerEpoch; b++) {
        hooks.checkStop?.();
        const start = b * cfg.batchSize;
        const n = Math.min(cfg.batchSize, train.count - start);
        fillBatch(
          train,
          order.subarray(start, start + n),
          xb,
          yb,
          tb && teacher ? { logits: teacher, out: tb, numClasses } : undefined,
        );
        lambda = universal ? annealedLambda(cfg.lambda, step, totalSteps) : 0;
        let taskT: Tensor | undefined;
        let regT: Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const x = tf.tensor(xb.subarray(0, n * per), [n, ...inShape]);
          const labels = tf.oneHot(tf.tensor1d(yb.subarray(0, n), 'int32'), numClasses);
          const logits = universal
            ? model.forward(x)
            : model.forward(x, { weight: qatWeight, act: quantizeAct });
          const task =
            distill && tb
              ? distillationLossTf(
                  tf,
                  labels,
                  logits,
                  tf.tensor2d(tb.subarray(0, n * numClasses), [n, numClasses]),
                  distill,
                )
              : (tf.losses.softmaxCrossEntropy(labels, logits) as TfType.Scalar);
          taskT = tf.keep(task.clone());
          if (!universal) return task;
          let reg: Tensor = tf.scalar(0);
          for (const s of states) {
            if (!s.regularised) continue;
            reg = reg.add(regulariserTf(tf, regKind, model.effectiveWeight(s.t), s.scale, s.grid));
          }
          regT = tf.keep(reg.clone());
          return task.add(reg.mul(lambda)) as TfType.Scalar;
        }, varList);
        // tfjs's Adam reads its (protected) learningRate at every applyGradients.
        learningRate = scheduledLearningRate(cfg.learningRate, cfg.lrSchedule, step, totalSteps);
        (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
        optimizer.applyGradients(
          grads as TfType.NamedTensorMap as Parameters<typeof optimizer.applyGradients>[0],
        );
        const total = value.dataSync()[0]!;
        const task = taskT!.dataSync()[0]!;
        const reg = regT ? regT.dataSync()[0]! : 0;
        value.dispose();
        taskT?.dispose();
        regT?.dispose();
        tf.dispose(grads);
        if (!Number.isFinite(total) || !Number.isFinite(task)) {
          throw new BitbenchError(
            'bad_request',
            `Training diverged at epoch ${epoch}, batch ${b + 1}: the loss became ${total}. ` +
              (universal
                ? `The regulariser strength λ = ${cfg.lambda} is probably too strong (or the learning rate ${cfg.learningRate} too high); try a smaller --lambda.`
                : `Try a smaller learning rate than ${cfg.learningRate}.`) +
              ' The float model is unchanged.',
          );
        }
        if (universal) {
          for (const s of states) if (s.regularised) updateScale(tf, model, s);
        } else if (lsq) {
          for (const s of states) tf.tidy(() => s.scale.assign(s.scale.maximum(1e-8)));
          for (const a of actSteps.values()) tf.tidy(() => a.v.assign(a.v.maximum(1e-8)));
        }
        taskSum += task * n;
        regSum += reg * n;
        step++;
      }
      const snap = snapshot();
      const report: EpochReport = {
        epoch,
        task_loss: taskSum / Math.max(1, train.count),
        regulariser: regSum / Math.max(1, train.count),
        lambda,
        learning_rate: learningRate,
        val_accuracy: evaluate(val, 'trained'),
        val_accuracy_rounded: evaluate(val, 'hard'),
        near_fraction: snap.near,
        histograms: snap.histograms,
      };
      epochs.push(report);
      keepIfBest(epoch, report.val_accuracy_rounded);
      hooks.onEpoch?.(report, epoch / totalEpochs);
    }

    restoreBest();
    // Final hard rounding: every quantized tensor onto its grid with its final scale.
    if (universal) for (const s of states) if (!s.regularised) refreshScale(tf, model, s);
    if (universal && cfg.roundedEpochs > 0) {
      roundedFinetune(
        tf,
        model,
        states,
        train,
        val,
        cfg,
        rand,
        teacher,
        (report) => {
          epochs.push(report);
          hooks.onEpoch?.(report, report.epoch / totalEpochs);
        },
        hooks.checkStop,
      );
      // The levels were frozen during those epochs: the last report gets the final histograms.
      const snap = snapshot();
      const last = epochs[epochs.length - 1]!;
      last.histograms = snap.histograms;
      last.near_fraction = snap.near;
    }
    const quantized: QuantizedTensor[] = [];
    const roundedKernels = new Map<string, Float32Array>();
    for (const s of states) {
      const w = tf.tidy(() => model.effectiveWeight(s.t));
      const values = Float32Array.from(w.dataSync());
      w.dispose();
      const scales = Array.from(s.scale.dataSync());
      const c = scales.length;
      const levels = new Int32Array(values.length);
      const rounded = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        levels[i] = nearestLevel(values[i]! / scales[i % c]!, s.grid);
        rounded[i] = levels[i]! * scales[i % c]!;
      }
      quantized.push({
        layer: s.t.layer,
        param: s.t.param,
        bits: s.bits,
        levels,
        scales,
        channelShape: [...s.t.channelShape],
      });
      roundedKernels.set(tkey(s.t), rounded);
    }
    const keptEpoch = universal ? null : (kept.best?.epoch ?? epochs.length - 1);
    const keptReport = epochs[keptEpoch ?? epochs.length - 1]!;
    return {
      quantized,
      epochs,
      initialAccuracy,
      accuracyBefore: keptReport.val_accuracy,
      accuracyAfter: evaluate(val, 'hard'),
      nearFraction: keptReport.near_fraction,
      roundedKernels,
      keptEpoch,
      ...(universal ? {} : { actEncodings: learnedActEncodings() }),
    };
  } finally {
    optimizer.dispose();
    if (kept.best) tf.dispose(kept.best.values);
    for (const s of states) s.scale.dispose();
    for (const a of actSteps.values()) a.v.dispose();
  }
}

/**
 * After the hard rounding (universal methods, `roundedEpochs`): the levels ℓ are frozen, the forward
 * uses α_c·ℓ, and Adam trains only the float parameters (biases, BatchNorm) and the per-channel scales
 * α_c on the task (or distillation) loss, without regulariser. At the end the kernels are set to the
 * rounded weights α_c·ℓ, so the caller's final rounding finds the same levels and the learned scales.
 */
function roundedFinetune(
  tf: Tf,
  model: FunctionalModel,
  states: TargetState[],
  train: TrainData,
  val: TrainData,
  cfg: LowBitConfig,
  rand: () => number,
  teacher: Float32Array | undefined,
  onEpoch: (r: EpochReport) => void,
  checkStop?: () => void,
): void {
  const numClasses = model.spec.numClasses;
  const inShape = model.spec.inputShape;
  const per = train.x.length / Math.max(1, train.count);
  const frozen = new Map<string, { levels: Tensor; alpha: TfType.Variable }>();
  for (const s of states) {
    const w = tf.tidy(() => model.effectiveWeight(s.t));
    const values = w.dataSync();
    w.dispose();
    const scales = Array.from(s.scale.dataSync());
    const c = scales.length;
    const lv = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) lv[i] = nearestLevel(values[i]! / scales[i % c]!, s.grid);
    frozen.set(tkey(s.t), {
      levels: tf.tensor(lv, s.t.channelShape),
      alpha: tf.variable(tf.tensor1d(scales), true),
    });
  }
  const kernelVars = new Set(states.map((s) => model.variable(s.t.layer, s.t.param)));
  const varList = [
    ...model.trainableVariables().filter((v) => !kernelVars.has(v)),
    ...[...frozen.values()].map((f) => f.alpha),
  ];
  const hook = {
    weight: (t: QuantTarget, w: Tensor) => {
      const f = frozen.get(tkey(t));
      return f ? f.levels.mul(f.alpha) : w;
    },
  };
  const optimizer = tf.train.adam(cfg.learningRate);
  const batches = Math.max(1, Math.ceil(train.count / cfg.batchSize));
  const xb = new Float32Array(cfg.batchSize * per);
  const yb = new Int32Array(cfg.batchSize);
  const tb = teacher && cfg.distill ? new Float32Array(cfg.batchSize * numClasses) : undefined;
  try {
    for (let e = 1; e <= cfg.roundedEpochs; e++) {
      const order = shuffledOrder(train.count, rand);
      let taskSum = 0;
      for (let b = 0; b < batches; b++) {
        checkStop?.();
        const start = b * cfg.batchSize;
        const n = Math.min(cfg.batchSize, train.count - start);
        fillBatch(
          train,
          order.subarray(start, start + n),
          xb,
          yb,
          tb && teacher ? { logits: teacher, out: tb, numClasses } : undefined,
        );
        const { value, grads } = tf.variableGrads(() => {
          const x = tf.tensor(xb.subarray(0, n * per), [n, ...inShape]);
          const labels = tf.oneHot(tf.tensor1d(yb.subarray(0, n), 'int32'), numClasses);
          const logits = model.forward(x, hook);
          return cfg.distill && tb
            ? distillationLossTf(
                tf,
                labels,
                logits,
                tf.tensor2d(tb.subarray(0, n * numClasses), [n, numClasses]),
                cfg.distill,
              )
            : (tf.losses.softmaxCrossEntropy(labels, logits) as TfType.Scalar);
        }, varList);
        optimizer.applyGradients(
          grads as TfType.NamedTensorMap as Parameters<typeof optimizer.applyGradients>[0],
        );
        const loss = value.dataSync()[0]!;
        value.dispose();
        tf.dispose(grads);
        if (!Number.isFinite(loss))
          throw new BitbenchError(
            'bad_request',
            `Training diverged in rounded epoch ${e}, batch ${b + 1}: the loss became ${loss}. Try a smaller learning rate than ${cfg.learningRate}. The float model is unchanged.`,
          );
        for (const f of frozen.values()) tf.tidy(() => f.alpha.assign(f.alpha.maximum(1e-8)));
        taskSum += loss * n;
      }
      const acc = accuracyOf(tf, model, val, hook);
      onEpoch({
        epoch: cfg.epochs + e,
        task_loss: taskSum / Math.max(1, train.count),
        regulariser: 0,
        lambda: 0,
        learning_rate: cfg.learningRate,
        val_accuracy: acc,
        val_accuracy_rounded: acc,
        near_fraction: 1,
        histograms: [],
      });
    }
    // Kernels := α_c·ℓ (undoing a folded BatchNorm's factor), scales := the learned α.
    for (const s of states) {
      const f = frozen.get(tkey(s.t))!;
      const v = model.variable(s.t.layer, s.t.param);
      tf.tidy(() => {
        const fold = model.foldFactor(s.t.layer);
        const w = f.levels.mul(f.alpha);
        v.assign((fold ? w.div(fold) : w).reshape(v.shape));
        s.scale.assign(f.alpha);
      });
    }
  } finally {
    optimizer.dispose();
    for (const f of frozen.values()) {
      f.levels.dispose();
      f.alpha.dispose();
    }
  }
}

function updateScale(tf: Tf, model: FunctionalModel, s: TargetState): void {
  tf.tidy(() => {
    const w = model.effectiveWeight(s.t);
    s.scale.assign(leastSquaresScaleTf(tf, w, s.scale, s.grid));
  });
}

/** Steps from the PTQ MSE range setter on the current weights (STE QAT per epoch; 8-bit layers at the end). */
function refreshScale(tf: Tf, model: FunctionalModel, s: TargetState): void {
  const w = tf.tidy(() => model.effectiveWeight(s.t));
  const fresh = initialScales(Float32Array.from(w.dataSync()), s.t.channelShape, s.bits);
  w.dispose();
  tf.tidy(() => s.scale.assign(tf.tensor1d(fresh)));
}

function refreshSteScales(tf: Tf, model: FunctionalModel, states: TargetState[]): void {
  for (const s of states) refreshScale(tf, model, s);
}
