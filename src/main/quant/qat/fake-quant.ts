import type * as TfType from '@tensorflow/tfjs';
import type { Tf } from '../../ml/tf-loader';

/**
 * Fake-quant ops for quantization-aware training, with hand-written gradients (tf.customGrad) so the
 * straight-through estimator and the LSQ step gradient are exactly the published ones, not whatever
 * autodiff makes of round/clip. Per-channel steps broadcast over the LAST axis of the weight tensor
 * (Keras layout: output channel last).
 *
 * Weight grid (symmetric, restricted, as in src/shared/quant/integer-model.ts): levels qmin..qmax with
 * qmin = −qmax; the binary grid is {−1, +1} (sign, no zero level).
 *
 * Forward (LSQ paper, Esser et al. 2020, eq. 1–2, clipping before rounding):
 *   v = x / s,  q = ⌊clip(v, qmin, qmax)⌉   (binary: q = sign(v), sign(0) = +1),  x̂ = q · s
 * Backward:
 *   ∂x̂/∂x = 1 if qmin < v < qmax, else 0                                  (clipped STE)
 *   ∂x̂/∂s = q − v if qmin < v < qmax, else q (= qmin or qmax)             (LSQ eq. 3)
 * and the step's gradient is multiplied by g = 1/√(N·Qp) (LSQ §2.2: N weights per step, Qp = qmax).
 * "Inside the clip range" is the open interval (qmin·s, qmax·s); for the binary grid (−s, s), the
 * hard-tanh STE of binarised networks.
 */
type Tensor = TfType.Tensor;
type CustomGradFunc = Parameters<Tf['customGrad']>[0];

export interface WeightGrid {
  binary: boolean;
  qmin: number;
  qmax: number;
}

/** The weight grid of `bits` bits: 1 → {−1, +1}; b ≥ 2 → [−(2^(b−1) − 1), 2^(b−1) − 1]. */
export function weightGrid(bits: number): WeightGrid {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8)
    throw new RangeError(`weight bits must be 1..8, got ${bits}`);
  if (bits === 1) return { binary: true, qmin: -1, qmax: 1 };
  const qmax = 2 ** (bits - 1) - 1;
  return { binary: false, qmin: -qmax, qmax };
}

/** Integer level of v = x/s on the grid, nearest (round half up like the PTQ quantizer). */
function levelsOf(tf: Tf, v: Tensor, grid: WeightGrid): Tensor {
  if (grid.binary) return tf.where(tf.greaterEqual(v, 0), tf.onesLike(v), tf.onesLike(v).neg());
  return v.clipByValue(grid.qmin, grid.qmax).add(0.5).floor();
}

/** Sums a gradient shaped like x down to the shape of s (per-channel: last axis; per-tensor: scalar). */
function reduceToStep(g: Tensor, s: Tensor): Tensor {
  if (s.rank === 0 || s.size === 1) return g.sum().reshape(s.shape);
  const axes = Array.from({ length: g.rank - 1 }, (_, i) => i);
  return axes.length ? g.sum(axes) : g;
}

/**
 * Returns x̂ = Q(x; s) with the clipped-STE gradient for x and the LSQ gradient (scaled by
 * `gradScale`) for s. Use it with a variable `s` for LSQ, or with a constant `s` for plain STE QAT.
 */
export function lsqWeightQuantizer(
  tf: Tf,
  grid: WeightGrid,
  gradScale = 1,
): (x: Tensor, s: Tensor) => Tensor {
  const f = (x: Tensor, s: Tensor, save: (ts: Tensor[]) => void) => {
    const v = x.div(s);
    const q = levelsOf(tf, v, grid);
    save([v, q]);
    return {
      value: q.mul(s),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [vs, qs] = saved as [Tensor, Tensor];
        const inside = tf.logicalAnd(tf.greater(vs, grid.qmin), tf.less(vs, grid.qmax));
        const dx = tf.where(inside, dy, tf.zerosLike(dy));
        const dsElem = tf.where(inside, qs.sub(vs), qs).mul(dy);
        const ds = reduceToStep(dsElem, s).mul(gradScale);
        return [dx, ds];
      },
    };
  };
  return tf.customGrad(f as unknown as CustomGradFunc) as unknown as (x: Tensor, s: Tensor) => Tensor;
}

/** LSQ's gradient scale g = 1/√(N·Qp), N = weights sharing one step (per channel: fan-in). */
export function lsqGradScale(weightsPerStep: number, grid: WeightGrid): number {
  return 1 / Math.sqrt(Math.max(1, weightsPerStep) * grid.qmax);
}

/**
 * Asymmetric activation fake-quant with the clipped STE: x̂ = s·(clip(⌊x/s⌉ + z, qmin, qmax) − z);
 * ∂x̂/∂x = 1 inside [s(qmin − z), s(qmax − z)], 0 outside. Scale and zero point are constants here
 * (they follow an EMA of the observed range, see qat/activation-ranges.ts).
 */
export function activationFakeQuant(
  tf: Tf,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
): (x: Tensor) => Tensor {
  const lo = scale * (qmin - zeroPoint);
  const hi = scale * (qmax - zeroPoint);
  const f = (x: Tensor, save: (ts: Tensor[]) => void) => {
    save([x]);
    const q = x.div(scale).add(0.5).floor().add(zeroPoint).clipByValue(qmin, qmax);
    return {
      value: q.sub(zeroPoint).mul(scale),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const xs = saved[0]!;
        const inside = tf.logicalAnd(tf.greaterEqual(xs, lo), tf.lessEqual(xs, hi));
        return tf.where(inside, dy, tf.zerosLike(dy));
      },
    };
  };
  return tf.customGrad(f as unknown as CustomGradFunc) as unknown as (x: Tensor) => Tensor;
}
