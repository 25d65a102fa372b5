import { asymmetricLevels, symmetricLevels, type AffineEncoding } from '../../shared/quant/encoding';

/**
 * The uniform affine quantizer of seeds 003/004 on plain typed arrays (no TensorFlow.js): the
 * reference the TF.js fake-quant ops, the integer-model builder and the tests agree with.
 *
 *   q = clamp(⌊x/s⌉ + z, qmin, qmax),  x̂ = s(q − z)     (nearest rounding)
 *   q = clamp(⌊x/s⌋ + h + z, qmin, qmax), h ∈ {0, 1}      (learned rounding, AdaRound)
 */

/** Round half up: ⌊v + ½⌋. The integer engine's requantisation rounds ties the same way. */
export function roundHalfUp(v: number): number {
  return Math.floor(v + 0.5);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Channel count and the channel index of flat element i, for a tensor of `shape` and `axis`. */
export function channelIndexer(
  shape: readonly number[],
  axis: number,
): { channels: number; of: (i: number) => number } {
  const ax = axis < 0 ? shape.length + axis : axis;
  const channels = shape[ax] ?? 1;
  let inner = 1;
  for (let d = ax + 1; d < shape.length; d++) inner *= shape[d]!;
  return { channels, of: (i) => Math.floor(i / inner) % channels };
}

function isBinary(enc: AffineEncoding): boolean {
  return enc.bits === 1 && enc.symmetric;
}

/** Integer level of one value with nearest rounding (binary encodings take the sign). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, enc: AffineEncoding): number {
  if (isBinary(enc)) return x >= 0 ? 1 : -1;
  return clamp(roundHalfUp(x / scale) + zeroPoint, enc.qmin, enc.qmax);
}

/** Integer levels of a tensor (nearest rounding); per-channel along `enc.channelAxis` of `shape`. */
export function quantize(x: Float32Array, shape: readonly number[], enc: AffineEncoding): Int32Array {
  const out = new Int32Array(x.length);
  const ch = channelIndexer(shape, enc.channelAxis);
  const perChannel = enc.granularity === 'per-channel';
  for (let i = 0; i < x.length; i++) {
    const c = perChannel ? ch.of(i) : 0;
    out[i] = quantizeValue(x[i]!, enc.scales[c]!, enc.zeroPoints[c]!, enc);
  }
  return out;
}

export function dequantize(q: Int32Array, shape: readonly number[], enc: AffineEncoding): Float32Array {
  const out = new Float32Array(q.length);
  const ch = channelIndexer(shape, enc.channelAxis);
  const perChannel = enc.granularity === 'per-channel';
  for (let i = 0; i < q.length; i++) {
    const c = perChannel ? ch.of(i) : 0;
    out[i] = enc.scales[c]! * (q[i]! - enc.zeroPoints[c]!);
  }
  return out;
}

/** Quantize then dequantize: the simulated ("fake") quantization of a tensor. */
export function fakeQuantize(x: Float32Array, shape: readonly number[], enc: AffineEncoding): Float32Array {
  return dequantize(quantize(x, shape, enc), shape, enc);
}

/**
 * Learned rounding (AdaRound's final hard decision): q = clamp(⌊x/s⌋ + up + z). `up[i]` is 0 or 1.
 * Binary encodings ignore `up` (there is no floor/ceil choice on {−1, +1}).
 */
export function quantizeWithRounding(
  x: Float32Array,
  shape: readonly number[],
  enc: AffineEncoding,
  up: Uint8Array,
): Int32Array {
  if (isBinary(enc)) return quantize(x, shape, enc);
  const out = new Int32Array(x.length);
  const ch = channelIndexer(shape, enc.channelAxis);
  const perChannel = enc.granularity === 'per-channel';
  for (let i = 0; i < x.length; i++) {
    const c = perChannel ? ch.of(i) : 0;
    out[i] = clamp(Math.floor(x[i]! / enc.scales[c]!) + up[i]! + enc.zeroPoints[c]!, enc.qmin, enc.qmax);
  }
  return out;
}

/** Signal-to-quantization-noise ratio in dB: 10·log10(Σx² / Σ(x − x̂)²); +Infinity when exact. */
export function sqnrDb(x: ArrayLike<number>, xHat: ArrayLike<number>): number {
  let sig = 0;
  let noise = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const d = a - xHat[i]!;
    sig += a * a;
    noise += d * d;
  }
  if (noise === 0) return Number.POSITIVE_INFINITY;
  if (sig === 0) return Number.NEGATIVE_INFINITY;
  return 10 * Math.log10(sig / noise);
}

/** Mean squared error between x and its fake-quantized version under `enc`. */
export function quantMse(x: Float32Array, shape: readonly number[], enc: AffineEncoding): number {
  const xh = fakeQuantize(x, shape, enc);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - xh[i]!;
    s += d * d;
  }
  return s / Math.max(1, x.length);
}

// ---- building encodings from clipping ranges ------------------------------------------------

/**
 * Symmetric signed per-channel (or per-tensor when one range) weight encoding from clipping
 * magnitudes |w| ≤ r_c: s_c = r_c / qmax. For 1 bit the caller passes the binary scale itself.
 */
export function symmetricEncoding(bits: number, ranges: readonly number[], channelAxis = -1): AffineEncoding {
  const { qmin, qmax } = symmetricLevels(bits);
  const denom = bits === 1 ? 1 : qmax;
  return {
    bits,
    signed: true,
    symmetric: true,
    granularity: ranges.length > 1 ? 'per-channel' : 'per-tensor',
    channelAxis,
    scales: ranges.map((r) => Math.max(r, 1e-12) / denom),
    zeroPoints: ranges.map(() => 0),
    qmin,
    qmax,
  };
}

/**
 * Asymmetric per-tensor encoding from a clipping range [α, β] (seed 003 eq. 2):
 * s = (β − α)/(2^b − 1), z = ⌊−α/s⌉ + n. The range is widened to contain 0 so that real zero (ReLU's
 * floor, zero padding) is exactly representable.
 */
export function asymmetricEncoding(bits: number, alpha: number, beta: number, signed = true): AffineEncoding {
  let lo = Math.min(alpha, 0);
  let hi = Math.max(beta, 0);
  if (hi - lo < 1e-8) {
    lo = Math.min(lo, -1e-8);
    hi = Math.max(hi, 1e-8);
  }
  const { qmin, qmax } = asymmetricLevels(bits, signed);
  const scale = (hi - lo) / (qmax - qmin);
  const zeroPoint = clamp(roundHalfUp(-lo / scale) + qmin, qmin, qmax);
  return {
    bits,
    signed,
    symmetric: false,
    granularity: 'per-tensor',
    channelAxis: -1,
    scales: [scale],
    zeroPoints: [zeroPoint],
    qmin,
    qmax,
  };
}

/** Per-channel copy of an encoding with new scales (LSQ and range setters reuse the grid). */
export function withScales(enc: AffineEncoding, scales: readonly number[]): AffineEncoding {
  const zeroPoints = enc.zeroPoints.length === scales.length ? enc.zeroPoints : scales.map(() => 0);
  return { ...enc, scales: scales.map((s) => Math.max(s, 1e-12)), zeroPoints };
}
