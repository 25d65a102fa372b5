import type * as TfType from '@tensorflow/tfjs';
import type { Tf } from '../ml/tf-loader';

/**
 * Knowledge distillation from the float parent during low-bit training (Hinton et al. 2015):
 *
 *   L = α·CE(y, softmax(z_s)) + (1 − α)·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T))
 *
 * averaged over the batch, with z_s the student's (low-bit) logits, z_t the float teacher's and T the
 * temperature. T² keeps the soft term's gradient on the scale of the hard one as T grows; α = 1 is plain
 * cross-entropy. The teacher's logits are constants (computed once, before training, from the parent).
 */
type Tensor = TfType.Tensor;

export interface DistillSettings {
  alpha: number;
  temperature: number;
}

function logSoftmax(z: ArrayLike<number>, t: number): number[] {
  const s = Array.from(z, (v) => v / t);
  const m = Math.max(...s);
  const lse = m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
  return s.map((v) => v - lse);
}

/**
 * The loss of one batch in plain float64 (the oracle the TF.js version is tested against):
 * `logits` and `teacher` are row-major [n, classes], `labels` the class indices.
 */
export function distillationLossValue(
  labels: ArrayLike<number>,
  logits: ArrayLike<number>,
  teacher: ArrayLike<number>,
  classes: number,
  d: DistillSettings,
): number {
  const n = labels.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const zs = Array.from({ length: classes }, (_, c) => logits[i * classes + c]!);
    const zt = Array.from({ length: classes }, (_, c) => teacher[i * classes + c]!);
    const ce = -logSoftmax(zs, 1)[labels[i]!]!;
    const ls = logSoftmax(zs, d.temperature);
    const lt = logSoftmax(zt, d.temperature);
    let kl = 0;
    for (let c = 0; c < classes; c++) kl += Math.exp(lt[c]!) * (lt[c]! - ls[c]!);
    sum += d.alpha * ce + (1 - d.alpha) * d.temperature ** 2 * kl;
  }
  return sum / Math.max(1, n);
}

/** The same loss as a differentiable TF.js scalar (gradient through the student's logits only). */
export function distillationLossTf(
  tf: Tf,
  labelsOneHot: Tensor,
  logits: Tensor,
  teacherLogits: Tensor,
  d: DistillSettings,
): TfType.Scalar {
  return tf.tidy(() => {
    const ce = tf.losses.softmaxCrossEntropy(labelsOneHot, logits);
    const t = d.temperature;
    const ls = tf.logSoftmax(logits.div(t));
    const lt = tf.logSoftmax(teacherLogits.div(t));
    const kl = tf.exp(lt).mul(lt.sub(ls)).sum(-1).mean();
    return ce.mul(d.alpha).add(kl.mul((1 - d.alpha) * t * t)) as TfType.Scalar;
  });
}
