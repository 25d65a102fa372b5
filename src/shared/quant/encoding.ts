import { z } from 'zod';

/**
 * An AIMET-style affine encoding: everything needed to quantize and dequantize one tensor,
 * serialisable as plain JSON. The same type is stored with a quantized variant, crosses the IPC
 * boundary and is read by the integer-model builder.
 *
 *   q = clamp(⌊x / s⌉ + z, qmin, qmax)      x̂ = s · (q − z)
 *
 * ⌊·⌉ is round-half-up (⌊v + ½⌋), the same rounding the integer engine uses for requantisation, so
 * simulated and integer arithmetic round ties the same way.
 *
 * - `symmetric` encodings have z = 0. Weight encodings are symmetric with a *restricted* range
 *   (qmin = −qmax, no −2^(b−1)); 1-bit weights are the binary grid {−1, +1} (no zero level).
 * - Asymmetric activation encodings keep b bits of levels inside an int8 container:
 *   qmin = −128, qmax = −128 + 2^b − 1 (b < 8 activations are still int8 on the device, restricted
 *   to 2^b levels by this range). `signed: false` gives the textbook unsigned grid [0, 2^b − 1].
 * - `per-channel` holds one scale (and zero point) per index along `channelAxis`; per-tensor holds one.
 */
export const Granularity = z.enum(['per-tensor', 'per-channel']);
export type Granularity = z.infer<typeof Granularity>;

export const AffineEncodingSchema = z
  .object({
    bits: z.number().int().min(1).max(8),
    signed: z.boolean(),
    symmetric: z.boolean(),
    granularity: Granularity,
    /** Axis of the channels for per-channel encodings (the last axis in Keras layout). */
    channelAxis: z.number().int().min(-8).max(8).default(-1),
    scales: z.array(z.number().positive()).min(1),
    zeroPoints: z.array(z.number().int()).min(1),
    qmin: z.number().int(),
    qmax: z.number().int(),
  })
  .refine((e) => e.scales.length === e.zeroPoints.length, 'one zero point per scale')
  .refine((e) => e.qmin < e.qmax, 'qmin < qmax')
  .refine(
    (e) => e.granularity === 'per-channel' || e.scales.length === 1,
    'per-tensor encodings have one scale',
  );
export type AffineEncoding = z.infer<typeof AffineEncodingSchema>;

/** Integer level range of a symmetric signed restricted grid of `bits` bits (1 bit → {−1, +1}). */
export function symmetricLevels(bits: number): { qmin: number; qmax: number } {
  if (bits === 1) return { qmin: -1, qmax: 1 };
  const qmax = 2 ** (bits - 1) - 1;
  return { qmin: -qmax, qmax };
}

/** Level range of a `bits`-bit asymmetric grid, inside int8 when `signed` (the device layout). */
export function asymmetricLevels(bits: number, signed: boolean): { qmin: number; qmax: number } {
  const qmin = signed ? -128 : 0;
  return { qmin, qmax: qmin + 2 ** bits - 1 };
}

/**
 * Storage width on the device for weights of `bits` bits: the integer model stores 1, 2, 4 or 8-bit
 * containers (3-bit weights live in 4-bit containers, 5–7-bit in 8-bit ones).
 */
export function containerBits(bits: number): 1 | 2 | 4 | 8 {
  if (bits <= 1) return 1;
  if (bits === 2) return 2;
  if (bits <= 4) return 4;
  return 8;
}
