import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';

/**
 * The uniform affine quantizer as TensorFlow.js ops, for the simulated-quantization model and for
 * gradient-based steps (AdaRound, LSQ; QAT reuses them). Same formula and the same round-half-up as
 * affine-quantizer.ts:  x̂ = s · (clamp(⌊x/s + ½⌋ + z, qmin, qmax) − z).
 */
type Tensor = TfType.Tensor;

/** Per-channel scales/zero points as tensors broadcasting over the last axis (or scalars). */
function params(tf: Tf, enc: AffineEncoding): { s: Tensor; z: Tensor } {
  if (enc.granularity === 'per-channel')
    return { s: tf.tensor1d(enc.scales), z: tf.tensor1d(enc.zeroPoints) };
  return { s: tf.scalar(enc.scales[0]!), z: tf.scalar(enc.zeroPoints[0]!) };
}

/** Forward-only fake quantization (no gradient needed). Channel axis must be the last one. */
export function fakeQuant(tf: Tf, x: Tensor, enc: AffineEncoding): Tensor {
  return tf.tidy(() => {
    if (enc.bits === 1 && enc.symmetric) {
      const { s } = params(tf, enc);
      return tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.onesLike(x).neg()).mul(s);
    }
    const { s, z } = params(tf, enc);
    const q = x.div(s).add(0.5).floor().add(z).clipByValue(enc.qmin, enc.qmax);
    return q.sub(z).mul(s);
  });
}

/** Integer levels (as float32 values) of a tensor under an encoding. */
export function quantLevels(tf: Tf, x: Tensor, enc: AffineEncoding): Tensor {
  return tf.tidy(() => {
    const { s, z } = params(tf, enc);
    return x.div(s).add(0.5).floor().add(z).clipByValue(enc.qmin, enc.qmax);
  });
}

/** Round-half-up with the straight-through estimator: forward ⌊x + ½⌋, backward identity. */
export function steRound(tf: Tf): (x: Tensor) => Tensor {
  return tf.customGrad((...inputs) => {
    const x = inputs[0] as Tensor;
    return { value: x.add(0.5).floor(), gradFunc: (dy: Tensor) => dy };
  }) as (x: Tensor) => Tensor;
}

/** Identity forward, zero gradient (TF.js has no stop_gradient op). */
export function stopGradient(tf: Tf): (x: Tensor) => Tensor {
  return tf.customGrad((...inputs) => {
    const x = inputs[0] as Tensor;
    return { value: x.clone(), gradFunc: (dy: Tensor) => tf.zerosLike(dy) };
  }) as (x: Tensor) => Tensor;
}

/**
 * Fake quantization with the clipped straight-through estimator: gradient 1 for x inside the
 * representable range, 0 outside (the clamp's own gradient). `s` and `z` may be tensors so that LSQ
 * can learn them; `gradScale` is LSQ's g = 1/√(N·Qp) applied to the gradient of `s` only.
 */
export function fakeQuantSte(
  tf: Tf,
  x: Tensor,
  s: Tensor,
  z: Tensor | number,
  qmin: number,
  qmax: number,
  gradScale = 1,
): Tensor {
  const round = steRound(tf);
  const stop = stopGradient(tf);
  // s_eff has the value of s and the gradient of g·s (LSQ's gradient scaling trick).
  const sEff = gradScale === 1 ? s : s.mul(gradScale).add(stop(s.mul(1 - gradScale)));
  const q = round(x.div(sEff)).add(z).clipByValue(qmin, qmax);
  return q.sub(z).mul(sEff);
}

/**
 * AdaRound's rectified sigmoid (seed 004): h(V) = clip(σ(V)(ζ − γ) + γ, 0, 1), ζ = 1.1, γ = −0.1.
 * Unlike a plain sigmoid it reaches exactly 0 and 1, so the regulariser can make it binary.
 */
export const ADAROUND_ZETA = 1.1;
export const ADAROUND_GAMMA = -0.1;

export function rectifiedSigmoid(tf: Tf, v: Tensor): Tensor {
  return tf.tidy(() =>
    tf
      .sigmoid(v)
      .mul(ADAROUND_ZETA - ADAROUND_GAMMA)
      .add(ADAROUND_GAMMA)
      .clipByValue(0, 1),
  );
}

/** f_reg(V) = Σ 1 − |2h(V) − 1|^β (seed 004): 0 exactly when every h is 0 or 1. */
export function roundingRegulariser(tf: Tf, h: Tensor, beta: number): Tensor {
  return tf.tidy(() => tf.sum(tf.scalar(1).sub(h.mul(2).sub(1).abs().pow(beta))));
}

/** V such that h(V) equals `frac` (∈ [0, 1)): AdaRound's initialisation at the float weights. */
export function initialiseV(frac: number): number {
  const p = (frac - ADAROUND_GAMMA) / (ADAROUND_ZETA - ADAROUND_GAMMA);
  const pc = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(pc / (1 - pc));
}
