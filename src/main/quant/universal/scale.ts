import type * as TfType from '@tensorflow/tfjs';
import type { Tf } from '../../ml/tf-loader';
import type { WeightGrid } from '../qat/fake-quant';
import { weightEncoding } from '../range-setters';

/**
 * The per-output-channel scale α_c of the universal grid {α_c·ℓ}. It starts at the PTQ range setter's
 * MSE-optimal step (binary: mean|w_c|, the L2-optimal binary scale) and then follows the weights: after
 * every optimiser step it is set to the least-squares scale of the current assignment,
 *   α_c = Σ_i w_i·ℓ_i / Σ_i ℓ_i²       (ℓ_i the nearest level of w_i/α_c)
 * i.e. one Lloyd iteration per step. For the binary grid this is exactly mean|w_c| (XNOR-Net's α).
 * α gets no gradient from the regulariser (that would let the optimiser shrink the grid instead of
 * moving the weights).
 */
type Tensor = TfType.Tensor;

/** Initial scales: one per channel (last axis of `shape`), from the PTQ MSE range setter. */
export function initialScales(values: Float32Array, shape: readonly number[], bits: number): number[] {
  const enc = weightEncoding(values, shape, Math.min(bits, 8), { method: 'mse', gridSize: 60 });
  return enc.scales.map((s) => Math.max(s, 1e-8));
}

/** Least-squares scale of the current assignment, per channel (last axis). Channels with no non-zero level keep α. */
export function leastSquaresScaleTf(tf: Tf, w: Tensor, alpha: Tensor, grid: WeightGrid): Tensor {
  return tf.tidy(() => {
    const u = w.div(alpha);
    const l = grid.binary
      ? tf.where(tf.greaterEqual(u, 0), tf.onesLike(u), tf.onesLike(u).neg())
      : u.add(0.5).floor().clipByValue(grid.qmin, grid.qmax);
    const axes = Array.from({ length: w.rank - 1 }, (_, i) => i);
    const num = w.mul(l).sum(axes);
    const den = l.square().sum(axes);
    const fresh = num.div(den.maximum(1e-12));
    return tf.where(tf.logicalAnd(tf.greater(den, 0), tf.greater(fresh, 1e-8)), fresh, alpha);
  });
}
