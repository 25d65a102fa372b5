import type * as TfType from '@tensorflow/tfjs';
import type { Tf } from '../../ml/tf-loader';
import type { WeightGrid } from '../qat/fake-quant';

/**
 * The two universal weight regularisers of seed 000 (S1, S2), on normalised weights u = w/α_c (α_c the
 * per-output-channel scale, see scale.ts). With ℓ(u) the nearest level of the grid and d = u − ℓ(u):
 *
 *   S1(u) = d²                                        nearest-level squared distance
 *   S2(u) = (Δ/π)² · sin²(π·d/Δ)   for |u| ≤ qmax      smooth periodic inside the grid,
 *   S2(u) = d²                      for |u| > qmax      the same parabola as S1 beyond the outer level
 *
 * Δ is the level spacing (1 on N-bit grids, 2 on the binary grid {−1, +1}); qmax is the outer level
 * (1 for binary). Both are exactly 0 on a level and positive anywhere else, and both behave as d² next
 * to a level ((Δ/π)²sin²(πd/Δ) = d² + O(d⁴)), so one strength λ means the same pull for S1 and S2. They
 * differ between levels: S1 has a kink at every decision boundary (its gradient 2d flips sign there,
 * so a weight on a boundary is pushed hard either way), S2 is smooth with zero gradient on the boundary
 * (a weight there is left to the task loss). sin² is periodic, so beyond the outer level it would have
 * further zeros (the binary cos² vanishes at ±3 too); switching to d² there keeps S2 C¹ and increasing.
 * Computing sin² of d rather than of u makes S2 exactly 0 on the levels in floating point too.
 */
type Tensor = TfType.Tensor;

export type RegulariserKind = 's1' | 's2';

export function levelSpacing(grid: WeightGrid): number {
  return grid.binary ? 2 : 1;
}

/** Nearest level of u (binary: sign with sign(0) = +1; N-bit: round half up, clipped to ±qmax). */
export function nearestLevel(u: number, grid: WeightGrid): number {
  if (grid.binary) return u >= 0 ? 1 : -1;
  const r = Math.floor(u + 0.5);
  return r < grid.qmin ? grid.qmin : r > grid.qmax ? grid.qmax : r;
}

/** One weight's regulariser value (plain float64; the oracle the TF.js version is tested against). */
export function regulariserValue(kind: RegulariserKind, u: number, grid: WeightGrid): number {
  const d = u - nearestLevel(u, grid);
  if (kind === 's1') return d * d;
  if (Math.abs(u) > grid.qmax) return d * d;
  const delta = levelSpacing(grid);
  const s = Math.sin((Math.PI * d) / delta);
  return (delta / Math.PI) ** 2 * s * s;
}

function nearestLevelTf(tf: Tf, u: Tensor, grid: WeightGrid): Tensor {
  if (grid.binary) return tf.where(tf.greaterEqual(u, 0), tf.onesLike(u), tf.onesLike(u).neg());
  return u.add(0.5).floor().clipByValue(grid.qmin, grid.qmax);
}

/**
 * Σ_i S(w_i/α_c) over one weight tensor (channel last), as a differentiable scalar. α is a constant
 * (no gradient): the scale follows the weights by its own update, not by the regulariser's gradient.
 * ℓ(u) is piecewise constant (floor/where carry no gradient), so ∂S1/∂u = 2d, as intended.
 */
export function regulariserTf(
  tf: Tf,
  kind: RegulariserKind,
  w: Tensor,
  alpha: Tensor,
  grid: WeightGrid,
): Tensor {
  return tf.tidy(() => {
    const u = w.div(alpha);
    const d = u.sub(nearestLevelTf(tf, u, grid));
    if (kind === 's1') return d.square().sum();
    const delta = levelSpacing(grid);
    const periodic = tf
      .sin(d.mul(Math.PI / delta))
      .square()
      .mul((delta / Math.PI) ** 2);
    // greaterEqual (not greater): TF.js registers a (zero) gradient for it; at |u| = qmax both branches are 0.
    return tf.where(tf.greaterEqual(u.abs(), grid.qmax), d.square(), periodic).sum();
  });
}

/** Distance |u − ℓ(u)| of every weight to its nearest level, in units of α. */
export function levelDistances(
  w: ArrayLike<number>,
  alpha: ArrayLike<number>,
  grid: WeightGrid,
): Float32Array {
  const c = alpha.length;
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const u = w[i]! / alpha[i % c]!;
    out[i] = Math.abs(u - nearestLevel(u, grid));
  }
  return out;
}

/** Fraction of weights within ε (in units of α) of a level: the convergence measure of seed 000 Fig. 2. */
export function fractionNearLevels(
  w: ArrayLike<number>,
  alpha: ArrayLike<number>,
  grid: WeightGrid,
  epsilon: number,
): number {
  if (w.length === 0) return 1;
  const d = levelDistances(w, alpha, grid);
  let n = 0;
  for (const v of d) if (v <= epsilon) n++;
  return n / w.length;
}

/**
 * Annealed strength: λ(t) rises geometrically from λ_max·10^−decades to λ_max over the first
 * `rampFraction` of the steps (default: the whole run, four decades; the last step is at λ_max), then
 * holds. Early on the task loss shapes the weights almost as in float training; the pull then grows by 10× every quarter of the run,
 * so the weights settle onto the levels while the task loss can still re-arrange the others, and by the
 * end they sit on the levels (the final hard rounding barely moves them). A constant strong λ instead
 * freezes every weight at the sign it had when training began (measured: 73 % vs 99 % on the
 * synthetic task of the unit tests).
 */
export function annealedLambda(
  lambdaMax: number,
  step: number,
  totalSteps: number,
  rampFraction = 1,
  decades = 4,
): number {
  // Steps run 0 … totalSteps − 1: the ramp ends on the last one, so the run finishes at λ_max (a run
  // of one step is at λ_max throughout).
  const last = totalSteps - 1;
  if (last <= 0) return lambdaMax;
  const ramp = Math.max(1, Math.round(last * rampFraction));
  const t = Math.min(1, Math.max(0, step / ramp));
  return lambdaMax * 10 ** (-decades * (1 - t));
}
