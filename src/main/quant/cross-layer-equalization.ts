import {
  isDepthwise,
  isPool,
  isWeighted,
  kernelMatrixShape,
  type PtqGraph,
  type WeightedNode,
} from './ptq-graph';

/**
 * Cross-layer equalisation and bias absorption (seed 004, after Nagel et al. 2019), on pairs of
 * weighted layers connected through a positive-scale-equivariant path: a ReLU (or linear) activation,
 * optionally a max/average pool and a flatten (all commute with a positive per-channel scale).
 * Depthwise convs are left out (their kernel's channel is its output column, not an input row), and
 * a GRU ends the chain (its sigmoid/tanh gates do not commute with a scale).
 *
 * Channel c of the first layer feeds the rows r of the second layer's kernel matrix with r mod C = c
 * (C = channels of the first layer's output): true for conv→conv ([k·cin] rows), conv→pool→flatten→dense
 * (flat index t·C + c) and dense→dense.
 */
export interface LayerPair {
  first: WeightedNode;
  second: WeightedNode;
}

export function equalisablePairs(g: PtqGraph): LayerPair[] {
  const pairs: LayerPair[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    const a = g.nodes[i]!;
    if (!isWeighted(a) || isDepthwise(a) || a.activation === 'relu6') continue;
    for (let j = i + 1; j < g.nodes.length; j++) {
      const b = g.nodes[j]!;
      if (isWeighted(b)) {
        if (!isDepthwise(b)) pairs.push({ first: a, second: b });
        break;
      }
      if (!isPool(b) && b.kind !== 'flatten') break;
    }
  }
  return pairs;
}

function outputRanges(n: WeightedNode): Float64Array {
  const [rows, cout] = kernelMatrixShape(n);
  const r = new Float64Array(cout);
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < cout; c++) r[c] = Math.max(r[c]!, Math.abs(n.kernel[i * cout + c]!));
  return r;
}

function inputRanges(n: WeightedNode, channels: number): Float64Array {
  const [rows, cout] = kernelMatrixShape(n);
  const r = new Float64Array(channels);
  for (let i = 0; i < rows; i++) {
    const c = i % channels;
    for (let o = 0; o < cout; o++) r[c] = Math.max(r[c]!, Math.abs(n.kernel[i * cout + o]!));
  }
  return r;
}

/**
 * Equalises one pair in place with s_i = √(r1_i·r2_i) / r2_i: the first layer's output channel i is
 * divided by s_i (kernel column and bias), the second layer's matching input rows multiplied by s_i.
 * Afterwards both ranges are √(r1_i·r2_i). Returns the scales.
 */
export function equalisePair({ first, second }: LayerPair): Float64Array {
  const [rows1, c1] = kernelMatrixShape(first);
  const r1 = outputRanges(first);
  const r2 = inputRanges(second, c1);
  const s = new Float64Array(c1).fill(1);
  for (let c = 0; c < c1; c++) {
    if (r1[c]! > 0 && r2[c]! > 0) s[c] = Math.sqrt(r1[c]! * r2[c]!) / r2[c]!;
  }
  for (let i = 0; i < rows1; i++) for (let c = 0; c < c1; c++) first.kernel[i * c1 + c]! /= s[c]!;
  for (let c = 0; c < c1; c++) first.bias[c]! /= s[c]!;
  const [rows2, c2] = kernelMatrixShape(second);
  for (let i = 0; i < rows2; i++) {
    const f = s[i % c1]!;
    for (let o = 0; o < c2; o++) second.kernel[i * c2 + o]! *= f;
  }
  return s;
}

/**
 * Equalises every pair, repeating over the chain until the scales settle (a layer in the middle of a
 * chain is changed by both of its pairs). Returns the number of sweeps done.
 */
export function crossLayerEqualise(g: PtqGraph, maxSweeps = 20, tol = 1e-4): number {
  const pairs = equalisablePairs(g);
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let worst = 0;
    for (const p of pairs) {
      const s = equalisePair(p);
      for (const v of s) worst = Math.max(worst, Math.abs(Math.log(v)));
    }
    if (worst < tol) return sweep;
  }
  return maxSweeps;
}

/**
 * Bias absorption (seed 004): for a ReLU-connected pair, c_i = max(0, μ_i − 3σ_i) of the first layer's
 * pre-activation output (from calibration statistics, the empirical form of β − 3γ) is taken out of
 * the first layer's bias and added to the second layer's bias through its weights:
 * b1 ← b1 − c, b2 ← b2 + W2·c. Unchanged function wherever the pre-activation is ≥ c (by construction,
 * all but the far lower tail). Only across 'valid' convs and dense layers, where no zero padding sees
 * the shifted activation. Returns the absorbed amounts per pair.
 */
export function absorbBiases(
  g: PtqGraph,
  preActStats: ReadonlyMap<string, { mean: ArrayLike<number>; std: ArrayLike<number> }>,
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const { first, second } of equalisablePairs(g)) {
    if (first.activation !== 'relu' || (second.kind !== 'dense' && second.padding !== 'valid')) continue;
    const st = preActStats.get(first.name);
    if (!st) continue;
    const [, c1] = kernelMatrixShape(first);
    const c = new Float64Array(c1);
    for (let i = 0; i < c1; i++) c[i] = Math.max(0, st.mean[i]! - 3 * st.std[i]!);
    for (let i = 0; i < c1; i++) first.bias[i]! -= c[i]!;
    const [rows2, c2] = kernelMatrixShape(second);
    for (let r = 0; r < rows2; r++) {
      const ci = c[r % c1]!;
      if (ci === 0) continue;
      for (let o = 0; o < c2; o++) second.bias[o]! += second.kernel[r * c2 + o]! * ci;
    }
    out.set(first.name, c);
  }
  return out;
}
