import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import { dequantize } from './affine-quantizer';
import { isWeighted, type PtqGraph, type WeightedNode } from './ptq-graph';
import { seededRandom } from './rng';
import {
  applyActivation,
  nodeForwardTf,
  predictLogits,
  quantizeInputLikeHost,
  weightedPreActivation,
  inputScales,
  withoutLogitsGrid,
  type SimSettings,
} from './tf-forward';
import { dropQuantization, maskSeed } from './qdrop';
import { fakeQuantSte, steRound } from './tf-quantizer';

/**
 * Seed 003 step 4, "LP model post-processing: bias tuning" (AdaQuant's end-to-end bias tuning):
 * with every weight and activation quantizer fixed, the biases of all weighted layers are learned
 * together to minimise the MSE between the final outputs (logits) of the float model and of the
 * simulated low-precision model on the unlabelled calibration windows,
 *   min_b  E ‖f_FP(x) − f_LP(x; b)‖²,
 * gradients through the activation quantizers by the clipped straight-through estimator. Only the
 * biases move, so the result still exports as int32 biases on the same grids. The tuned biases are
 * kept only when they lower that MSE on the calibration set under the exact (non-STE) simulation.
 *
 * With `weight-tuning` the weights learn too, on their grids (seed 003's blockwise optimisation with
 * the whole network as the one block, AdaQuant's opt_weights end to end): each conv/dense kernel is
 * its integer levels L plus a learned offset Δ in steps, W = s·clamp(⌊L + Δ⌉, qmin, qmax), rounding
 * through the straight-through estimator. The layerwise step ends at a local optimum of each layer's
 * own output error; this one lowers the error the layers' errors add up to at the logits. It learns
 * on three quarters of the calibration windows and keeps the state (levels and biases) with the
 * lowest exact-simulation MSE on the held-out quarter, checked every `checkEvery` steps — nothing if
 * no state beat the start.
 *
 * With `range-tuning` the activation quantizers' step sizes learn too (LSQ's opt_qparam applied to the
 * activations, end to end): every hidden conv/dense output grid s·(q − z) gets s = s₀·exp(θ), θ from 0, the
 * zero point fixed, the gradient of s through LSQ's estimator. At 2–3 bits the MSE range of a tensor
 * is the best grid for that tensor alone; what the logits need can differ. The biases' int32 grids
 * follow the new input scales. A handful of scalars: judged, like the biases, on all windows.
 *
 * The loss compares the logits *before* their output grid: that grid is for the argmax alone
 * (range-setters.ts, argmaxLogitEncoding) and clamps a confident winner to its top, an error no
 * bias can or should remove. `lossBefore`/`lossAfter` are measured the same way.
 *
 * Graphs whose simulation runs a layer on integer levels (a GRU with integer gates, a quantized
 * average pool: see tf-forward.ts) have no gradient through that layer: they are left untouched.
 */
export interface BiasTuningOptions {
  iterations: number;
  /** Calibration windows per step. */
  batch: number;
  learningRate: number;
  /** Adam's step for the weights' offsets Δ, in quantization steps (weight tuning only). */
  weightLearningRate: number;
  /** Weight tuning: measure the held-out windows every this many steps. */
  checkEvery: number;
  /** Range tuning: Adam's step for the log step sizes θ (s = s₀·exp(θ)). */
  rangeLearningRate: number;
  /**
   * QDrop (qdrop.ts): the probability that a hidden activation value skips its quantizer in a
   * training step. 0: every value is quantized, as at inference. Checks and the result always use
   * the exact simulation.
   */
  dropProb: number;
  seed: number;
  /** Called after each step (1-based) with the step count: the job's progress bar. */
  onStep?: (step: number, of: number) => void;
}

export const defaultBiasTuningOptions: BiasTuningOptions = {
  iterations: 400,
  batch: 64,
  learningRate: 1e-3,
  weightLearningRate: 5e-3,
  checkEvery: 25,
  rangeLearningRate: 5e-3,
  dropProb: 0,
  seed: 1,
};

/** A layer's weight grid for weight tuning: its integer levels (Keras layout) and their encoding. */
export interface WeightGrid {
  levels: Int32Array;
  enc: AffineEncoding;
}

export interface BiasTuningResult {
  /** Tuned float biases per weighted layer (before they go to the int32 grid). */
  biases: Map<string, Float32Array>;
  lossBefore: number;
  lossAfter: number;
  kept: boolean;
  /** Weight tuning: the tuned levels per layer it tuned (set when kept). */
  levels?: Map<string, Int32Array>;
  /** Weight tuning: logits MSE on the held-out quarter of the calibration windows, before and kept. */
  heldOut?: { before: number; after: number };
  /**
   * Range tuning: every node's output encoding after tuning (same length as `sim.outputEncs`; set
   * when kept), and the tuned step sizes per weighted layer, before and after.
   */
  outputEncs?: AffineEncoding[];
  ranges?: Array<{ layer: string; before: number; after: number }>;
  /** Why tuning did not run, if it did not. */
  skipped?: string;
}

type Tensor = TfType.Tensor;

/** Why this graph's simulation cannot be differentiated end to end, or undefined. */
export function biasTuningObstacle(g: PtqGraph, sim: SimSettings): string | undefined {
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i]!;
    if (n.kind === 'gru' && sim.integerGru?.has(n.name)) return `GRU "${n.name}" runs integer gates`;
    if ((n.kind === 'avgPool1d' || n.kind === 'avgPool2d') && sim.outputEncs?.[i])
      return `average pool "${n.name}" runs on integer levels`;
  }
  return undefined;
}

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / Math.max(1, a.length);
}

/** Layers whose weights can tune: a matrix product (conv/dense) on a multi-level grid. */
function tunable(n: WeightedNode, grid: WeightGrid | undefined): grid is WeightGrid {
  return (n.kind === 'conv1d' || n.kind === 'conv2d' || n.kind === 'dense') && !!grid && grid.enc.bits > 1;
}

/**
 * `gridBiasOf(name, bias)` maps a float bias to what the quantized model adds (its int32-grid value),
 * so the before/after losses are those of the model that will be exported.
 */
export function tuneBiases(
  tf: Tf,
  g: PtqGraph,
  sim: SimSettings,
  floatLogits: Float32Array,
  calibX: Float32Array,
  calibCount: number,
  gridBiasOf: (name: string, bias: Float32Array, inScale: number) => Float32Array,
  opts: BiasTuningOptions = defaultBiasTuningOptions,
  shouldStop: () => void = () => undefined,
  /** Tune the weights too, on these grids (per layer name). */
  grids?: ReadonlyMap<string, WeightGrid>,
  /** Tune the step sizes of the weighted layers' output quantizers too. */
  tuneRanges = false,
): BiasTuningResult {
  const weighted = g.nodes.filter(isWeighted);
  const start = new Map(weighted.map((n) => [n.name, Float32Array.from(n.bias)]));
  const startEncs = sim.outputEncs ?? [];
  // What the loss reads: every grid but the logits' (see the function comment).
  const lossEncs = withoutLogitsGrid(g, sim).outputEncs ?? [];
  // Range tuning: one log step size per distinct weighted-layer output encoding (a pool or flatten
  // after it repeats the same object, so it follows) — not the logits' grid, which argmax reads and
  // step 2 set for it (range-setters.ts, argmaxLogitEncoding), not to fit the logits MSE.
  const rangeEncs = tuneRanges
    ? [...new Set(g.nodes.flatMap((n, i) => (isWeighted(n) && lossEncs[i] ? [lossEncs[i]!] : [])))]
    : [];
  const encsWith = (thetas?: Map<AffineEncoding, number>): Array<AffineEncoding | undefined> =>
    startEncs.map((e) => {
      const t = e && thetas?.get(e);
      return e && t !== undefined ? { ...e, scales: [e.scales[0]! * Math.exp(t)] } : e;
    });
  const simWith = (
    b: Map<string, Float32Array>,
    levels?: Map<string, Int32Array>,
    thetas?: Map<AffineEncoding, number>,
  ): SimSettings => {
    const kernels = new Map(sim.kernels);
    for (const n of weighted) {
      const l = levels?.get(n.name);
      if (l) kernels.set(n.name, dequantize(l, n.kernelShape, grids!.get(n.name)!.enc));
    }
    const tunedEncs: SimSettings = sim.outputEncs ? { ...sim, outputEncs: encsWith(thetas) } : sim;
    const inScale = inputScales(g, tunedEncs);
    // The loss reads the logits before their grid (see the function comment).
    return withoutLogitsGrid(g, {
      ...tunedEncs,
      kernels,
      biases: new Map(
        weighted.map((n) => [n.name, gridBiasOf(n.name, b.get(n.name)!, inScale.get(n.name)!)]),
      ),
    });
  };
  const lossBefore = mse(predictLogits(tf, g, calibX, calibCount, simWith(start)), floatLogits);
  const obstacle = biasTuningObstacle(g, sim);
  if (obstacle) return { biases: start, lossBefore, lossAfter: lossBefore, kept: false, skipped: obstacle };

  const per = calibX.length / calibCount;
  const k = g.numClasses;
  const vars = new Map(weighted.map((n) => [n.name, tf.variable(tf.tensor1d(n.bias), true)]));
  const optimizer = tf.train.adam(opts.learningRate);
  const rand = seededRandom(opts.seed ^ 0xb1a5);
  const drops = seededRandom(opts.seed ^ 0xd709);
  const encParams = (e: AffineEncoding) => ({ s: tf.scalar(e.scales[0]!), z: e.zeroPoints[0]! });
  // Weight tuning: per tuned layer its levels L, scales s (per output channel, the kernel's last
  // axis, so they broadcast over the [fanIn, cout] matrix), and the offsets Δ (Adam at its own rate
  // through the same trick as AdaQuant: Δ = k·u moves Δ by k × u's step).
  const wk = opts.weightLearningRate / opts.learningRate;
  const tuned = new Map<string, { grid: WeightGrid; L: Tensor; s: Tensor; u: TfType.Variable }>();
  for (const n of weighted) {
    const grid = grids?.get(n.name);
    if (!tunable(n, grid)) continue;
    const cout = n.kernelShape[n.kernelShape.length - 1]!;
    const shape = [grid.levels.length / cout, cout];
    tuned.set(n.name, {
      grid,
      L: tf.tensor(Float32Array.from(grid.levels), shape),
      s: grid.enc.scales.length > 1 ? tf.tensor1d(grid.enc.scales) : tf.scalar(grid.enc.scales[0]!),
      u: tf.variable(tf.zeros(shape), true),
    });
  }
  const rk = opts.rangeLearningRate / opts.learningRate;
  const ranges = new Map(rangeEncs.map((e) => [e, tf.variable(tf.scalar(0), true)]));
  const round = steRound(tf);
  const kernelOf = (name: string): Tensor | undefined => {
    const t = tuned.get(name);
    if (!t) return undefined;
    const { qmin, qmax } = t.grid.enc;
    return round(t.L.add(t.u.mul(wk)))
      .clipByValue(qmin, qmax)
      .mul(t.s);
  };
  // Weight tuning moves far more values than there are calibration windows (har-cnn: 523k weights,
  // 1024 windows), so it can fit those windows rather than the float model. A seeded quarter of them
  // is held out: batches come from the rest, the held-out MSE of the exact simulation is measured
  // every `checkEvery` steps, and the best state seen (the start included) is the result. (On
  // har-cnn at W2A2 the held-out MSE fell as far as the calibration MSE, 24 → 10, and agreement with
  // the float model on the test split still fell: its windows come from other people. Measured in
  // docs/quantization.md.)
  const order = Array.from({ length: calibCount }, (_, i) => i);
  const holdout = tuned.size > 0 ? Math.floor(calibCount / 4) : 0;
  if (holdout > 0) {
    const shuffle = seededRandom(opts.seed ^ 0x401d);
    for (let i = calibCount - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  const gather = (idx: number[], src: Float32Array, width: number) => {
    const out = new Float32Array(idx.length * width);
    idx.forEach((w, r) => out.set(src.subarray(w * width, (w + 1) * width), r * width));
    return out;
  };
  const heldIdx = order.slice(0, holdout);
  const trainIdx = order.slice(holdout);
  const heldX = gather(heldIdx, calibX, per);
  const heldLogits = gather(heldIdx, floatLogits, k);
  const heldLoss = (
    b: Map<string, Float32Array>,
    lv?: Map<string, Int32Array>,
    th?: Map<AffineEncoding, number>,
  ) => mse(predictLogits(tf, g, heldX, holdout, simWith(b, lv, th)), heldLogits);
  const state = () => ({
    biases: new Map(
      [...vars.entries()].map(([name, v]) => [name, Float32Array.from(v.dataSync() as Float32Array)]),
    ),
    levels: new Map(
      [...tuned.entries()].map(([name, t]) => {
        const { qmin, qmax } = t.grid.enc;
        const l = tf.tidy(() => t.L.add(t.u.mul(wk)).add(0.5).floor().clipByValue(qmin, qmax));
        const out = Int32Array.from(l.dataSync() as Float32Array);
        l.dispose();
        return [name, out];
      }),
    ),
    thetas: new Map([...ranges.entries()].map(([e, v]) => [e, (v.dataSync() as Float32Array)[0]! * rk])),
  });
  const heldBefore = holdout > 0 ? heldLoss(start) : 0;
  let best: {
    held: number;
    biases: Map<string, Float32Array>;
    levels?: Map<string, Int32Array>;
    thetas?: Map<AffineEncoding, number>;
  } = { held: heldBefore, biases: start };
  const checkpoint = () => {
    const st = state();
    const held = heldLoss(st.biases, st.levels, st.thetas);
    if (held < best.held) best = { held, ...st };
  };
  const rangesResult = (th: Map<AffineEncoding, number> | undefined) => {
    if (!th || th.size === 0) return {};
    const outputEncs = encsWith(th) as AffineEncoding[];
    const ranges = g.nodes.flatMap((n, i) =>
      isWeighted(n) && outputEncs[i] !== startEncs[i]
        ? [{ layer: n.name, before: startEncs[i]!.scales[0]!, after: outputEncs[i]!.scales[0]! }]
        : [],
    );
    return { outputEncs, ranges };
  };
  try {
    for (let t = 0; t < opts.iterations; t++) {
      shouldStop();
      const n = Math.min(opts.batch, trainIdx.length);
      const xb = new Float32Array(n * per);
      const yb = new Float32Array(n * k);
      for (let r = 0; r < n; r++) {
        const w = trainIdx[Math.floor(rand() * trainIdx.length)]!;
        xb.set(calibX.subarray(w * per, (w + 1) * per), r * per);
        yb.set(floatLogits.subarray(w * k, (w + 1) * k), r * k);
      }
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const x0 = tf.tensor(xb, [n, ...g.inputShape]);
            let x: Tensor = sim.inputEnc ? quantizeInputLikeHost(tf, x0, sim.inputEnc) : x0;
            g.nodes.forEach((node, i) => {
              const enc = lossEncs[i];
              if (isWeighted(node)) {
                const pre = weightedPreActivation(
                  tf,
                  node,
                  x,
                  kernelOf(node.name) ?? sim.kernels?.get(node.name),
                  vars.get(node.name)!,
                );
                const y = applyActivation(tf, pre, node.activation);
                if (enc) {
                  const { s, z } = encParams(enc);
                  // Range tuning: LSQ's step-size gradient; Adam makes LSQ's gradient scale moot.
                  const theta = ranges.get(enc);
                  const step = theta ? s.mul(theta.mul(rk).exp()) : s;
                  const q = fakeQuantSte(tf, y, step, z, enc.qmin, enc.qmax);
                  x = opts.dropProb > 0 ? dropQuantization(tf, y, q, opts.dropProb, maskSeed(drops)) : q;
                } else x = y;
              } else {
                x = nodeForwardTf(tf, node, x, sim.kernels?.get(node.name), undefined);
              }
            });
            return x
              .sub(tf.tensor(yb, [n, k]))
              .square()
              .mean() as TfType.Scalar;
          }),
        true,
        [...vars.values(), ...[...tuned.values()].map((t) => t.u), ...ranges.values()],
      );
      cost?.dispose();
      if (holdout > 0 && ((t + 1) % opts.checkEvery === 0 || t === opts.iterations - 1)) checkpoint();
      opts.onStep?.(t + 1, opts.iterations);
    }
    if (holdout > 0) {
      const { biases, levels, thetas } = best;
      const lossAfter = levels
        ? mse(predictLogits(tf, g, calibX, calibCount, simWith(biases, levels, thetas)), floatLogits)
        : lossBefore;
      const heldOut = { before: heldBefore, after: best.held };
      if (!levels) return { biases: start, lossBefore, lossAfter, kept: false, heldOut };
      return { biases, lossBefore, lossAfter, kept: true, levels, heldOut, ...rangesResult(thetas) };
    }
    // Bias (and range) tuning, or weight tuning on fewer than 4 windows (nothing to hold out): judged
    // on them all.
    const { biases, levels, thetas } = state();
    const lv = tuned.size > 0 ? levels : undefined;
    const th = ranges.size > 0 ? thetas : undefined;
    const lossAfter = mse(predictLogits(tf, g, calibX, calibCount, simWith(biases, lv, th)), floatLogits);
    if (lossAfter >= lossBefore) return { biases: start, lossBefore, lossAfter, kept: false };
    return {
      biases,
      lossBefore,
      lossAfter,
      kept: true,
      ...(lv ? { levels: lv } : {}),
      ...rangesResult(th),
    };
  } finally {
    for (const v of vars.values()) v.dispose();
    for (const v of ranges.values()) v.dispose();
    for (const t of tuned.values()) for (const x of [t.L, t.s, t.u]) x.dispose();
    optimizer.dispose();
  }
}
