import type * as TfType from '@tensorflow/tfjs';
import type { Tf } from '../ml/tf-loader';

/**
 * QDrop (Wei et al., ICLR 2022): while a PTQ step learns (AdaRound's roundings, AdaQuant's weights,
 * the end-to-end bias/weight/range tuning), each activation value independently skips its quantizer
 * with probability p and passes through unquantized. Learning against a random mix of the quantized
 * and the unquantized activations asks the weights to work for a neighbourhood of the activation
 * noise rather than for the calibration windows' exact noise: the paper's argument for why low-bit
 * PTQ then holds up better on data it did not calibrate on. The exact (inference) model always
 * quantizes every value; only the learning steps drop.
 *
 *   out = quantized where u ≥ p, unquantized where u < p,   u ~ U[0, 1) per value, seeded.
 */
export function dropQuantization(
  tf: Tf,
  unquantized: TfType.Tensor,
  quantized: TfType.Tensor,
  prob: number,
  seed: number,
): TfType.Tensor {
  if (prob <= 0) return quantized;
  if (prob >= 1) return unquantized;
  return tf.tidy(() => {
    const keep = tf.randomUniform(quantized.shape, 0, 1, 'float32', seed).greaterEqual(prob);
    return tf.where(keep, quantized, unquantized);
  });
}

/** A seed for one step's dropout mask from a seeded generator (tf.randomUniform takes an integer). */
export function maskSeed(rand: () => number): number {
  return Math.floor(rand() * 2 ** 31);
}
