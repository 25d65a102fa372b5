import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import { roundedKernel } from './adaround';
import {
  batchIndices,
  batchInput,
  evaluateKernel,
  layerOutput,
  reconstructionLoss,
  type LayerProblem,
} from './layer-reconstruction';
import { seededRandom } from './rng';
import { fakeQuantSte } from './tf-quantizer';

/**
 * AdaQuant as a layerwise PTQ step ("opt_weights" of seed 003; Hubara et al. 2021): the layer's
 * weights and bias themselves are learned on the reconstruction loss ‖f(Wx) − f(Q(W′)x̂ + b′)‖²,
 * rounding through the straight-through estimator, the quantization grid (step sizes from range
 * initialisation) fixed. Unlike AdaRound a weight may move by more than one step, which is what
 * seed 003's Table 2 shows winning at 2/2 on UCI-HAR. The result is the best state seen on all
 * calibration rows (nearest rounding of the original weights if nothing beat it).
 *
 * Parametrised as W′ = W + s·Δ with Δ in steps of the layer's own grid, so one learning rate suits
 * layers of any scale; the bias moves in the layer's output units.
 */
export interface AdaQuantOptions {
  iterations: number;
  batchRows: number;
  /** Adam's step for Δ, in quantization steps. */
  learningRate: number;
  /** Adam's step for the bias, in the layer's output units. */
  biasLearningRate: number;
  /** Evaluate on all calibration rows every this many iterations and keep the best state. */
  snapshotEvery: number;
  seed: number;
}

export const defaultAdaQuantOptions: AdaQuantOptions = {
  iterations: 1000,
  batchRows: 1024,
  learningRate: 1e-2,
  biasLearningRate: 1e-3,
  snapshotEvery: 25,
  seed: 1,
};

export interface AdaQuantResult {
  /** Learned float kernel ([fanIn, cout] flattened, like the input); quantize it with nearest rounding. */
  kernel: Float32Array;
  bias: Float32Array;
  /** Loss on all rows with nearest rounding of the original weights, and of the best learned state (≤ before). */
  lossBefore: number;
  lossAfter: number;
  /** Fraction of weights whose integer level differs from nearest rounding of the original. */
  changedFraction: number;
}

export function adaQuant(
  tf: Tf,
  p: LayerProblem,
  enc: AffineEncoding,
  opts: AdaQuantOptions,
  onIteration?: (t: number, loss: number) => void,
  shouldStop?: () => void,
): AdaQuantResult {
  const { fanIn, cout } = p;
  const lossBefore = evaluateKernel(tf, p, roundedKernel(p.kernel, cout, enc, 'nearest'));
  const perChannel = enc.scales.length > 1;
  const s = perChannel ? tf.tensor1d(enc.scales) : tf.scalar(enc.scales[0]!);
  const z = perChannel ? tf.tensor1d(enc.zeroPoints) : tf.scalar(enc.zeroPoints[0]!);
  const w0 = tf.tensor2d(p.kernel, [fanIn, cout]);
  const b0 = tf.tensor1d(p.bias);
  // Start on the rounded levels (Δ = ⌊w/s⌉ − w/s): a weight then needs a push of half a step before
  // its level changes, which damps the flip-flopping of latent weights near a decision boundary.
  const delta = tf.variable(
    tf.tidy(() => {
      const v = w0.div(s);
      return v.add(0.5).floor().sub(v);
    }),
    true,
  );
  // Adam's steps do not depend on the gradient's scale, so b = b0 + k·u moves b by k × the step of u.
  const k = opts.biasLearningRate / opts.learningRate;
  const u = tf.variable(tf.zeros([cout]), true);
  const optimizer = tf.train.adam(opts.learningRate);
  const rand = seededRandom(opts.seed);
  // The latent weights move a little every step but their rounded values jump a whole step when
  // they cross a boundary, and Adam pushes many across together (STE's biased gradient, seed 003
  // §4.2), so the last iterate can be worse than where it started. The learning rate decays to
  // zero (cosine) and the best state on all calibration rows, nearest rounding included, is kept.
  const lrOf = optimizer as unknown as { learningRate: number };
  let best = { loss: lossBefore, kernel: p.kernel, bias: p.bias };
  const snapshot = () => {
    const kernel = tf.tidy(() => w0.add(delta.mul(s))).dataSync() as Float32Array;
    const bias = tf.tidy(() => b0.add(u.mul(k))).dataSync() as Float32Array;
    const loss = evaluateKernel(tf, { ...p, bias }, roundedKernel(kernel, cout, enc, 'nearest'));
    if (loss < best.loss) best = { loss, kernel, bias };
  };
  try {
    for (let t = 0; t < opts.iterations; t++) {
      shouldStop?.();
      lrOf.learningRate = opts.learningRate * 0.5 * (1 + Math.cos((Math.PI * t) / opts.iterations));
      const idx = batchIndices(tf, p.rows, opts.batchRows, rand);
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const wq = fakeQuantSte(tf, w0.add(delta.mul(s)), s, z, enc.qmin, enc.qmax);
            const out = layerOutput(tf, batchInput(tf, p, idx, rand), wq, b0.add(u.mul(k)), p.activation);
            return reconstructionLoss(tf, out, tf.gather(p.target, idx)) as TfType.Scalar;
          }),
        t % 50 === 0 || t === opts.iterations - 1,
        [delta, u],
      );
      idx.dispose();
      if (cost) {
        onIteration?.(t, cost.dataSync()[0]!);
        cost.dispose();
      }
      if ((t + 1) % opts.snapshotEvery === 0 || t === opts.iterations - 1) snapshot();
    }
    const learned = roundedKernel(best.kernel, cout, enc, 'nearest');
    const nearest = roundedKernel(p.kernel, cout, enc, 'nearest');
    let changed = 0;
    for (let i = 0; i < learned.length; i++) if (learned[i] !== nearest[i]) changed++;
    return {
      kernel: best.kernel,
      bias: best.bias,
      lossBefore,
      lossAfter: best.loss,
      changedFraction: changed / learned.length,
    };
  } finally {
    for (const t of [s, z, w0, b0, delta, u]) t.dispose();
    optimizer.dispose();
  }
}
