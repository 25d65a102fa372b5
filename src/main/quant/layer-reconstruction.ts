import type * as TfType from '@tensorflow/tfjs';
import type { Tf } from '../ml/tf-loader';
import type { Activation } from './ptq-graph';
import { dropQuantization, maskSeed } from './qdrop';
import { applyActivation } from './tf-forward';

/**
 * The layerwise optimisation problem shared by AdaRound and LSQ (seed 003 Fig. 3): one layer, its
 * quantized-model input rows X̂ (im2col for convs) and the float layer's output as the target,
 *   min ‖f(W x) − f(W̃ x̂)‖²   (AdaRound's asymmetric reconstruction, f the fused activation).
 * Mini-batches of rows are drawn with a seeded generator.
 */
type Tensor = TfType.Tensor;

export interface LayerProblem {
  /** [R, K] input rows of the quantized model. */
  xq: Tensor;
  /**
   * QDrop (qdrop.ts): the float model's input rows, same layout, and the probability that a value of
   * a training batch comes from them instead of `xq`. Losses reported before/after use `xq` alone.
   */
  drop?: { xf: Tensor; prob: number };
  /** [R, cout] float target (post-activation). */
  target: Tensor;
  /** Float kernel as a [K, cout] matrix (Keras layout flattened). */
  kernel: Float32Array;
  rows: number;
  fanIn: number;
  cout: number;
  bias: Float32Array;
  activation: Activation;
}

/** Reconstruction loss: squared error summed over channels, averaged over rows (as AIMET does). */
export function reconstructionLoss(tf: Tf, out: Tensor, target: Tensor): Tensor {
  return tf.tidy(() => out.sub(target).square().sum(1).mean());
}

export function layerOutput(tf: Tf, x: Tensor, w: Tensor, bias: Tensor, activation: Activation): Tensor {
  return applyActivation(tf, tf.matMul(x as TfType.Tensor2D, w as TfType.Tensor2D).add(bias), activation);
}

/** Loss of a fixed dequantized kernel on all rows (in chunks): for before/after reports. */
export function evaluateKernel(tf: Tf, p: LayerProblem, kernel: Float32Array, chunk = 16384): number {
  let total = 0;
  for (let s = 0; s < p.rows; s += chunk) {
    const n = Math.min(chunk, p.rows - s);
    const v = tf.tidy(() => {
      const w = tf.tensor2d(kernel, [p.fanIn, p.cout]);
      const out = layerOutput(tf, p.xq.slice([s, 0], [n, p.fanIn]), w, tf.tensor1d(p.bias), p.activation);
      return out
        .sub(p.target.slice([s, 0], [n, p.cout]))
        .square()
        .sum();
    });
    total += v.dataSync()[0]!;
    v.dispose();
  }
  return total / p.rows;
}

/**
 * A training batch's input rows: the quantized model's, or with QDrop a seeded per-value mix of the
 * quantized and the float model's rows (the input quantizers dropped at random).
 */
export function batchInput(tf: Tf, p: LayerProblem, idx: Tensor, rand: () => number): Tensor {
  const xq = tf.gather(p.xq, idx);
  if (!p.drop) return xq;
  return dropQuantization(tf, tf.gather(p.drop.xf, idx), xq, p.drop.prob, maskSeed(rand));
}

/** Seeded batch of row indices. */
export function batchIndices(tf: Tf, rows: number, size: number, rand: () => number): TfType.Tensor1D {
  const n = Math.min(rows, size);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * rows);
  return tf.tensor1d(idx, 'int32');
}
