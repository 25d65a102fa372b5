import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import { isWeighted, type PtqGraph } from './ptq-graph';
import { seededRandom } from './rng';
import {
  applyActivation,
  nodeForwardTf,
  predictLogits,
  quantizeInputLikeHost,
  weightedPreActivation,
  type SimSettings,
} from './tf-forward';
import { fakeQuantSte } from './tf-quantizer';

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
 * Graphs whose simulation runs a layer on integer levels (a GRU with integer gates, a quantized
 * average pool: see tf-forward.ts) have no gradient through that layer: they are left untouched.
 */
export interface BiasTuningOptions {
  iterations: number;
  /** Calibration windows per step. */
  batch: number;
  learningRate: number;
  seed: number;
}

export const defaultBiasTuningOptions: BiasTuningOptions = {
  iterations: 400,
  batch: 64,
  learningRate: 1e-3,
  seed: 1,
};

export interface BiasTuningResult {
  /** Tuned float biases per weighted layer (before they go to the int32 grid). */
  biases: Map<string, Float32Array>;
  lossBefore: number;
  lossAfter: number;
  kept: boolean;
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
  gridBiasOf: (name: string, bias: Float32Array) => Float32Array,
  opts: BiasTuningOptions = defaultBiasTuningOptions,
  shouldStop: () => void = () => undefined,
): BiasTuningResult {
  const weighted = g.nodes.filter(isWeighted);
  const start = new Map(weighted.map((n) => [n.name, Float32Array.from(n.bias)]));
  const simWith = (b: Map<string, Float32Array>): SimSettings => ({
    ...sim,
    biases: new Map(weighted.map((n) => [n.name, gridBiasOf(n.name, b.get(n.name)!)])),
  });
  const lossBefore = mse(predictLogits(tf, g, calibX, calibCount, simWith(start)), floatLogits);
  const obstacle = biasTuningObstacle(g, sim);
  if (obstacle) return { biases: start, lossBefore, lossAfter: lossBefore, kept: false, skipped: obstacle };

  const per = calibX.length / calibCount;
  const k = g.numClasses;
  const vars = new Map(weighted.map((n) => [n.name, tf.variable(tf.tensor1d(n.bias), true)]));
  const optimizer = tf.train.adam(opts.learningRate);
  const rand = seededRandom(opts.seed ^ 0xb1a5);
  const encParams = (e: AffineEncoding) => ({ s: tf.scalar(e.scales[0]!), z: e.zeroPoints[0]! });
  try {
    for (let t = 0; t < opts.iterations; t++) {
      shouldStop();
      const n = Math.min(opts.batch, calibCount);
      const xb = new Float32Array(n * per);
      const yb = new Float32Array(n * k);
      for (let r = 0; r < n; r++) {
        const w = Math.floor(rand() * calibCount);
        xb.set(calibX.subarray(w * per, (w + 1) * per), r * per);
        yb.set(floatLogits.subarray(w * k, (w + 1) * k), r * k);
      }
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const x0 = tf.tensor(xb, [n, ...g.inputShape]);
            let x: Tensor = sim.inputEnc ? quantizeInputLikeHost(tf, x0, sim.inputEnc) : x0;
            g.nodes.forEach((node, i) => {
              const enc = sim.outputEncs?.[i];
              if (isWeighted(node)) {
                const pre = weightedPreActivation(
                  tf,
                  node,
                  x,
                  sim.kernels?.get(node.name),
                  vars.get(node.name)!,
                );
                const y = applyActivation(tf, pre, node.activation);
                if (enc) {
                  const { s, z } = encParams(enc);
                  x = fakeQuantSte(tf, y, s, z, enc.qmin, enc.qmax);
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
        [...vars.values()],
      );
      cost?.dispose();
    }
    const tuned = new Map(
      [...vars.entries()].map(([name, v]) => [name, Float32Array.from(v.dataSync() as Float32Array)]),
    );
    const lossAfter = mse(predictLogits(tf, g, calibX, calibCount, simWith(tuned)), floatLogits);
    const kept = lossAfter < lossBefore;
    return { biases: kept ? tuned : start, lossBefore, lossAfter, kept };
  } finally {
    for (const v of vars.values()) v.dispose();
    optimizer.dispose();
  }
}
