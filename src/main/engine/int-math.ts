/**
 * The integer primitives of docs/integer-arithmetic.md, exactly as the firmware computes them
 * (firmware/kernels/bb_requant.h, bb_tanh_lut.c). Everything here is integer arithmetic; the only
 * floats are in `quantizeMultiplier` and `buildTanhTable`, which run at export time and whose
 * results are stored (in the blob, or as a generated C table) rather than recomputed on the device.
 */

const TWO31 = 2147483648;

/**
 * acc · multiplier · 2^(shift − 31), rounded half up (add 2^(total−1), arithmetic shift right by
 * total = 31 − shift). Exact: the int64 product fits a double when |product| < 2^53, which holds
 * for every accumulator a valid blob can produce against a multiplier < 2^31 as long as |acc| < 2^22;
 * larger accumulators take the BigInt path.
 */
export function requantize(acc: number, multiplier: number, shift: number): number {
  const total = 31 - shift;
  const prod = acc * multiplier;
  if (Math.abs(prod) < 2 ** 52 && total <= 52) {
    // prod + 2^(total−1) is exact below 2^53; dividing by 2^total is exact in binary floating point.
    return Math.floor((prod + 2 ** (total - 1)) / 2 ** total);
  }
  const p = BigInt(acc) * BigInt(multiplier);
  return Number((p + (1n << BigInt(total - 1))) >> BigInt(total));
}

/** The full output step: requantise, add the output zero point, clamp to [actMin, actMax]. */
export function requantToInt8(
  acc: number,
  multiplier: number,
  shift: number,
  zpOut: number,
  actMin: number,
  actMax: number,
): number {
  const r = requantize(acc, multiplier, shift) + zpOut;
  return r < actMin ? actMin : r > actMax ? actMax : r;
}

/** Real multiplier → (multiplier ∈ [2^30, 2^31), shift) with M = multiplier · 2^(shift − 31). */
export function quantizeMultiplier(m: number): { multiplier: number; shift: number } {
  if (!(m > 0) || !Number.isFinite(m))
    throw new Error(`requant multiplier must be positive and finite, got ${m}`);
  let e = Math.floor(Math.log2(m)) + 1; // m = q · 2^e, q ∈ [0.5, 1)
  let q = m / 2 ** e;
  if (q >= 1) {
    q /= 2;
    e += 1;
  } else if (q < 0.5) {
    q *= 2;
    e -= 1;
  }
  let mult = Math.round(q * TWO31);
  if (mult === TWO31) {
    mult = TWO31 / 2;
    e += 1;
  }
  if (e < -31 || e > 30)
    throw new Error(`requant multiplier ${m} is out of the representable range 2^-32 .. 2^30`);
  return { multiplier: mult, shift: e };
}

/** M = 1 exactly: (v · 2^30 + 2^29) >> 30 = v. */
export const IDENTITY_REQUANT = { multiplier: 2 ** 30, shift: 1 } as const;

/**
 * tanh table in Q15 on [0, 8] with step 1/32 (257 entries). Generated once here; the firmware's
 * copy (firmware/kernels/bb_tanh_lut.c) is generated from this function and a unit test
 * checks the two agree, so no libm difference can make host and device drift.
 */
export function buildTanhTable(): Int16Array {
  const t = new Int16Array(257);
  for (let i = 0; i <= 256; i++) t[i] = Math.min(32767, Math.round(Math.tanh(i / 32) * 32768));
  return t;
}
export const TANH_Q15 = buildTanhTable();

/** |v| in Q3.12 → tanh in Q15 with linear interpolation; `fracShift` 7 for tanh, 8 for sigmoid's v/2. */
function tanhMagnitude(a: number, fracShift: number): number {
  const i = a >> fracShift;
  if (i >= 256) return TANH_Q15[256]!;
  const f = a & ((1 << fracShift) - 1);
  const lo = TANH_Q15[i]!;
  const hi = TANH_Q15[i + 1]!;
  return lo + (((hi - lo) * f + (1 << (fracShift - 1))) >> fracShift);
}

/** tanh: Q3.12 int32 in → Q15 out in [−32767, 32767]. */
export function tanhQ15(v: number): number {
  const a = v < 0 ? -v : v;
  const y = tanhMagnitude(a > 0x7fffffff ? 0x7fffffff : a, 7);
  return v < 0 ? -y : y;
}

/** sigmoid(v) = (1 + tanh(v/2)) / 2: Q3.12 int32 in → Q15 out in [0, 32767]. */
export function sigmoidQ15(v: number): number {
  const a = v < 0 ? -v : v;
  const y = tanhMagnitude(a > 0x7fffffff ? 0x7fffffff : a, 8);
  return (32768 + (v < 0 ? -y : y)) >> 1;
}

export const clampInt = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
