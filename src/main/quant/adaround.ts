import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import {
  batchIndices,
  batchInput,
  evaluateKernel,
  layerOutput,
  reconstructionLoss,
  type LayerProblem,
} from './layer-reconstruction';
import { seededRandom } from './rng';
import { initialiseV, rectifiedSigmoid, roundingRegulariser } from './tf-quantizer';

/**
 * AdaRound (seed 004; Nagel et al. 2020, "opt_round" in seed 003): learn, per weight, whether to round
 * down or up. W̃ = s · clip(⌊W/s⌋ + h(V), n, p) with the rectified sigmoid h, minimising
 * ‖f(Wx) − f(W̃x̂)‖² + λ Σ (1 − |2h(V) − 1|^β), β annealed from βstart to βend after a warm start
 * without the regulariser. At the end h is rounded to {0, 1}.
 */
export interface AdaRoundOptions {
  iterations: number;
  /** λ of the rounding regulariser. */
  regWeight: number;
  betaStart: number;
  betaEnd: number;
  /** Fraction of iterations without the regulariser. */
  warmStart: number;
  batchRows: number;
  learningRate: number;
  seed: number;
}

export const defaultAdaRoundOptions: AdaRoundOptions = {
  iterations: 1000,
  regWeight: 0.1,
  betaStart: 20,
  betaEnd: 2,
  warmStart: 0.2,
  batchRows: 1024,
  learningRate: 3e-2,
  seed: 1,
};

export interface AdaRoundResult {
  /** 1 where the weight is rounded up (⌈W/s⌉), 0 down. */
  up: Uint8Array;
  /** Reconstruction loss with nearest rounding and with the learned rounding (all rows). */
  lossNearest: number;
  lossAdaRound: number;
  /** Fraction of h(V) strictly between 0.01 and 0.99 when the optimisation stopped. */
  softFraction: number;
  /** min / max of h(V) seen over the run (stays in [0, 1]). */
  hMin: number;
  hMax: number;
}

/** β of the annealing schedule at iteration t (linear from βstart to βend after the warm start). */
export function annealedBeta(
  t: number,
  o: Pick<AdaRoundOptions, 'iterations' | 'betaStart' | 'betaEnd' | 'warmStart'>,
): number | undefined {
  const warm = o.warmStart * o.iterations;
  if (t < warm) return undefined;
  const rel = (t - warm) / Math.max(1, o.iterations - warm);
  return o.betaEnd + (o.betaStart - o.betaEnd) * Math.max(0, 1 - rel);
}

/** Dequantized kernel for a rounding choice. */
export function roundedKernel(
  kernel: Float32Array,
  cout: number,
  enc: AffineEncoding,
  up: Uint8Array | 'nearest',
): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) {
    const s = enc.scales[enc.scales.length === 1 ? 0 : i % cout]!;
    const v = kernel[i]! / s;
    const q = up === 'nearest' ? Math.floor(v + 0.5) : Math.floor(v) + up[i]!;
    out[i] = s * Math.min(enc.qmax, Math.max(enc.qmin, q));
  }
  return out;
}

export function adaRound(
  tf: Tf,
  p: LayerProblem,
  enc: AffineEncoding,
  opts: AdaRoundOptions,
  onIteration?: (t: number, loss: number) => void,
  shouldStop?: () => void,
): AdaRoundResult {
  const { cout } = p;
  const scalesPerElement = new Float32Array(p.kernel.length);
  const floorLevels = new Float32Array(p.kernel.length);
  const v0 = new Float32Array(p.kernel.length);
  for (let i = 0; i < p.kernel.length; i++) {
    const s = enc.scales[enc.scales.length === 1 ? 0 : i % cout]!;
    const v = p.kernel[i]! / s;
    scalesPerElement[i] = s;
    floorLevels[i] = Math.floor(v);
    v0[i] = initialiseV(v - Math.floor(v));
  }
  const lossNearest = evaluateKernel(tf, p, roundedKernel(p.kernel, cout, enc, 'nearest'));
  const V = tf.variable(tf.tensor2d(v0, [p.fanIn, cout]), true, undefined);
  const sT = tf.tensor2d(scalesPerElement, [p.fanIn, cout]);
  const floorT = tf.tensor2d(floorLevels, [p.fanIn, cout]);
  const biasT = tf.tensor1d(p.bias);
  const optimizer = tf.train.adam(opts.learningRate);
  const rand = seededRandom(opts.seed);
  let hMin = 1;
  let hMax = 0;
  try {
    for (let t = 0; t < opts.iterations; t++) {
      shouldStop?.();
      const beta = annealedBeta(t, opts);
      const idx = batchIndices(tf, p.rows, opts.batchRows, rand);
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const h = rectifiedSigmoid(tf, V);
            const wSoft = floorT.add(h).clipByValue(enc.qmin, enc.qmax).mul(sT);
            const out = layerOutput(tf, batchInput(tf, p, idx, rand), wSoft, biasT, p.activation);
            const rec = reconstructionLoss(tf, out, tf.gather(p.target, idx));
            return (
              beta === undefined ? rec : rec.add(roundingRegulariser(tf, h, beta).mul(opts.regWeight))
            ) as TfType.Scalar;
          }),
        true,
        [V],
      );
      idx.dispose();
      if (t % 50 === 0 || t === opts.iterations - 1) {
        const [lo, hi] = tf.tidy(() => {
          const h = rectifiedSigmoid(tf, V);
          return [h.min(), h.max()];
        });
        hMin = Math.min(hMin, lo!.dataSync()[0]!);
        hMax = Math.max(hMax, hi!.dataSync()[0]!);
        lo!.dispose();
        hi!.dispose();
        onIteration?.(t, cost?.dataSync()[0] ?? Number.NaN);
      }
      cost?.dispose();
    }
    const h = tf.tidy(() => rectifiedSigmoid(tf, V)).dataSync() as Float32Array;
    const up = new Uint8Array(h.length);
    let soft = 0;
    for (let i = 0; i < h.length; i++) {
      up[i] = h[i]! >= 0.5 ? 1 : 0;
      if (h[i]! > 0.01 && h[i]! < 0.99) soft++;
    }
    const lossAdaRound = evaluateKernel(tf, p, roundedKernel(p.kernel, cout, enc, up));
    return { up, lossNearest, lossAdaRound, softFraction: soft / h.length, hMin, hMax };
  } finally {
    V.dispose();
    sT.dispose();
    floorT.dispose();
    biasT.dispose();
    optimizer.dispose();
  }
}

/** Keeps the learned rounding only when it beats nearest rounding on the calibration rows. */
export function pickRounding(r: AdaRoundResult): Uint8Array | 'nearest' {
  return r.lossAdaRound <= r.lossNearest ? r.up : 'nearest';
}
