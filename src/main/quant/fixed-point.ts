import { BitbenchError } from '../../shared/errors';

/**
 * Fixed-point requantisation as the integer engine and firmware do it (docs/integer-arithmetic.md):
 *   M = multiplier · 2^(shift − 31), multiplier ∈ [2^30, 2^31)
 *   prod = acc · multiplier (exact, 64-bit); total = 31 − shift
 *   r = (prod + 2^(total−1)) >> total     (arithmetic shift: round half up)
 */
const TWO31 = 2 ** 31;

export function quantizeMultiplier(m: number): { multiplier: number; shift: number } {
  if (!(m > 0) || !Number.isFinite(m))
    throw new BitbenchError('bad_request', `Requantisation scale must be positive and finite, got ${m}`);
  let e = Math.floor(Math.log2(m)) + 1;
  let f = m / 2 ** e; // in [0.5, 1), up to log2 rounding
  while (f >= 1) {
    f /= 2;
    e++;
  }
  while (f < 0.5) {
    f *= 2;
    e--;
  }
  let multiplier = Math.round(f * TWO31);
  if (multiplier === TWO31) {
    multiplier = TWO31 / 2;
    e++;
  }
  if (e > 30)
    throw new BitbenchError(
      'bad_request',
      `Requantisation scale ${m} is too large for the int32 multiplier + shift format`,
    );
  if (e < -31) {
    // Smaller than 2^−32: every accumulator the model can produce rounds to 0 anyway.
    return { multiplier: TWO31 / 2, shift: -31 };
  }
  return { multiplier, shift: e };
}

/** The real value a multiplier/shift pair stands for. */
export function multiplierValue(multiplier: number, shift: number): number {
  return multiplier * 2 ** (shift - 31);
}

/**
 * Exact (acc · multiplier + 2^(total−1)) >> total for int32 `acc`, without BigInt: the product is
 * split as acc · (mh · 2^16 + ml) so every partial sum stays below 2^53. The rounding term 2^(total−1)
 * joins the high part when total > 16 (as 2^(total−17)): added to the low part it would reach 2^61 at
 * shift −31 and round away the low bits. When total < 16 the result can exceed 2^53 only when it is
 * far outside int8 anyway, where its sign and size are all the clamp after it needs.
 */
export function requantize(acc: number, multiplier: number, shift: number): number {
  const total = 31 - shift;
  const mh = Math.floor(multiplier / 65536);
  const ml = multiplier - mh * 65536;
  const a = acc * mh; // |.| < 2^46, exact
  if (total > 16) {
    // ⌊(2^16·(a + 2^(total−17)) + acc·ml) / 2^total⌋ = ⌊(a + 2^(total−17) + ⌊acc·ml / 2^16⌋) / 2^(total−16)⌋
    const bh = Math.floor((acc * ml) / 65536); // acc·ml: |.| < 2^47, exact
    return Math.floor((a + 2 ** (total - 17) + bh) / 2 ** (total - 16));
  }
  const b = acc * ml + (total > 0 ? 2 ** (total - 1) : 0); // |.| < 2^48, exact
  if (total === 16) return a + Math.floor(b / 65536);
  return a * 2 ** (16 - total) + Math.floor(b / 2 ** total);
}

/** The same with BigInt: the obviously-right version the tests compare against. */
export function requantizeBig(acc: number, multiplier: number, shift: number): number {
  const total = BigInt(31 - shift);
  const prod = BigInt(acc) * BigInt(multiplier);
  const rounding = total > 0n ? 1n << (total - 1n) : 0n;
  return Number((prod + rounding) >> total);
}
