import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import { withScales } from './affine-quantizer';
import {
  batchIndices,
  batchInput,
  evaluateKernel,
  layerOutput,
  reconstructionLoss,
  type LayerProblem,
} from './layer-reconstruction';
import { roundedKernel } from './adaround';
import { seededRandom } from './rng';
import { fakeQuantSte } from './tf-quantizer';

/**
 * LSQ as a layerwise PTQ step ("opt_qparam" of seed 003): the per-channel weight step sizes are
 * learned on the layer's reconstruction loss, rounding through the straight-through estimator and
 * the step size's gradient scaled by g = 1/√(N·Qp) (Esser et al.). The step is learned as s₀·m with
 * m starting at 1, so one learning rate suits layers of any scale. QAT reuses `fakeQuantSte`.
 */
export interface LsqOptions {
  iterations: number;
  batchRows: number;
  learningRate: number;
  seed: number;
  /** Called after each step (1-based): the job's progress bar. */
  onStep?: (step: number) => void;
}

export const defaultLsqOptions: LsqOptions = {
  iterations: 500,
  batchRows: 1024,
  learningRate: 1e-3,
  seed: 1,
};

export interface LsqResult {
  enc: AffineEncoding;
  lossBefore: number;
  lossAfter: number;
}

export function lsqWeightScales(
  tf: Tf,
  p: LayerProblem,
  enc: AffineEncoding,
  opts: LsqOptions,
  shouldStop?: () => void,
): LsqResult {
  const lossBefore = evaluateKernel(tf, p, roundedKernel(p.kernel, p.cout, enc, 'nearest'));
  if (enc.bits === 1) return { enc, lossBefore, lossAfter: lossBefore };
  const perChannel = enc.scales.length > 1;
  const s0 = tf.tensor1d(perChannel ? enc.scales : [enc.scales[0]!]);
  const m = tf.variable(tf.onesLike(s0), true);
  const w = tf.tensor2d(p.kernel, [p.fanIn, p.cout]);
  const biasT = tf.tensor1d(p.bias);
  const g = 1 / Math.sqrt((perChannel ? p.fanIn : p.kernel.length) * enc.qmax);
  const optimizer = tf.train.adam(opts.learningRate);
  const rand = seededRandom(opts.seed);
  try {
    for (let t = 0; t < opts.iterations; t++) {
      shouldStop?.();
      const idx = batchIndices(tf, p.rows, opts.batchRows, rand);
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const s = s0.mul(m);
            const wq = fakeQuantSte(tf, w, s, 0, enc.qmin, enc.qmax, g);
            const out = layerOutput(tf, batchInput(tf, p, idx, rand), wq, biasT, p.activation);
            return reconstructionLoss(tf, out, tf.gather(p.target, idx)) as TfType.Scalar;
          }),
        false,
        [m],
      );
      cost?.dispose();
      idx.dispose();
      // keep the step positive
      tf.tidy(() => m.assign(m.maximum(0.05)));
      opts.onStep?.(t + 1);
    }
    const learned = Array.from(tf.tidy(() => s0.mul(m)).dataSync());
    const candidate = withScales(enc, learned);
    const lossAfter = evaluateKernel(tf, p, roundedKernel(p.kernel, p.cout, candidate, 'nearest'));
    return lossAfter <= lossBefore
      ? { enc: candidate, lossBefore, lossAfter }
      : { enc, lossBefore, lossAfter: lossBefore };
  } finally {
    s0.dispose();
    m.dispose();
    w.dispose();
    biasT.dispose();
    optimizer.dispose();
  }
}
