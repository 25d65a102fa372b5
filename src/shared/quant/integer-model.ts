import { z } from 'zod';

/**
 * The integer model: exactly what the host integer reference and the firmware run, and what the
 * PTQ pipeline / QAT / universal training produce. Exported to the device blob by src/main/export.
 * See docs/integer-arithmetic.md for the arithmetic every implementation must follow bit for bit.
 *
 * Activations: int8, asymmetric, per tensor: real = scale · (q − zeroPoint), q ∈ [−128, 127].
 * Weights: signed, symmetric, per output channel: real = scale[c] · q, zero point 0, with
 *   bits 8 → q ∈ [−127, 127]; 4 → [−7, 7]; 2 → [−1, 1] (ternary); 1 → q ∈ {−1, +1} (binary).
 *   (Restricted symmetric ranges: no −2^(b−1), so negation is exact and a 2-bit layer is ternary.)
 * Biases: int32 at scale inputScale · weightScale[c].
 * Requantisation per output channel: M = inputScale · weightScale[c] / outputScale = multiplier · 2^(shift − 31),
 *   multiplier ∈ [2^30, 2^31) (int32), shift ∈ [−31, 30].
 */
export const ActQuantSchema = z.object({
  scale: z.number().positive(),
  zeroPoint: z.number().int().min(-128).max(127),
});
export type ActQuant = z.infer<typeof ActQuantSchema>;

export const WeightBits = z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]);
export type WeightBits = z.infer<typeof WeightBits>;

const int32 = z.number().int().min(-2147483648).max(2147483647);

export const RequantSchema = z.object({
  multiplier: z.array(int32),
  shift: z.array(z.number().int().min(-31).max(30)),
});
export type Requant = z.infer<typeof RequantSchema>;

/** Shared by every layer with weights. `weights` holds the integer levels unpacked, in the layout of the op. */
const weighted = {
  name: z.string(),
  input: ActQuantSchema,
  output: ActQuantSchema,
  weightBits: WeightBits,
  /** Integer weight levels (see ranges above). */
  weights: z.array(z.number().int().min(-127).max(127)),
  /** Per-output-channel weight scales (float, host-side only; the device uses `requant`). */
  weightScale: z.array(z.number().positive()),
  /** int32 biases at inputScale·weightScale[c]; zeros when the layer has none. */
  bias: z.array(int32),
  requant: RequantSchema,
  /** Fused activation as an int8 clamp range (ReLU → [zp_out, 127], ReLU6 → [zp_out, q(6)]). */
  actMin: z.number().int().min(-128).max(127),
  actMax: z.number().int().min(-128).max(127),
};

export const IntLayerSchema = z.discriminatedUnion('op', [
  /** weights layout [outC][k][inC]; input [time][inC]; output [outTime][outC]. */
  z.object({
    op: z.literal('conv1d'),
    ...weighted,
    inShape: z.array(z.number().int()),
    outShape: z.array(z.number().int()),
    kernelSize: z.number().int(),
    strides: z.number().int(),
    padding: z.enum(['valid', 'same']),
  }),
  /** weights layout [outC][kh][kw][inC]. */
  z.object({
    op: z.literal('conv2d'),
    ...weighted,
    inShape: z.array(z.number().int()),
    outShape: z.array(z.number().int()),
    kernelSize: z.tuple([z.number().int(), z.number().int()]),
    strides: z.tuple([z.number().int(), z.number().int()]),
    padding: z.enum(['valid', 'same']),
  }),
  /** depthwise (multiplier 1): weights layout [c][kh][kw] (1-D: kh = 1). */
  z.object({
    op: z.literal('depthwiseConv2d'),
    ...weighted,
    inShape: z.array(z.number().int()),
    outShape: z.array(z.number().int()),
    kernelSize: z.tuple([z.number().int(), z.number().int()]),
    strides: z.tuple([z.number().int(), z.number().int()]),
    padding: z.enum(['valid', 'same']),
  }),
  /** weights layout [out][in]. */
  z.object({
    op: z.literal('dense'),
    ...weighted,
    inFeatures: z.number().int(),
    outFeatures: z.number().int(),
  }),
  /**
   * GRU (reset_after, gates z, r, h). Integer gates: see docs/integer-arithmetic.md. Kernel [3u][in] and
   * recurrent kernel [3u][u] are quantized separately; `extra` holds the GRU's own fixed-point parameters.
   */
  z.object({
    op: z.literal('gru'),
    name: z.string(),
    input: ActQuantSchema,
    output: ActQuantSchema,
    units: z.number().int(),
    inFeatures: z.number().int(),
    timeSteps: z.number().int(),
    returnSequences: z.boolean(),
    weightBits: WeightBits,
    extra: z.record(z.string(), z.unknown()),
  }),
  z.object({
    op: z.enum(['maxPool1d', 'avgPool1d', 'maxPool2d', 'avgPool2d']),
    name: z.string(),
    input: ActQuantSchema,
    output: ActQuantSchema,
    inShape: z.array(z.number().int()),
    outShape: z.array(z.number().int()),
    poolSize: z.array(z.number().int()),
    strides: z.array(z.number().int()),
  }),
  z.object({
    op: z.literal('relu'),
    name: z.string(),
    input: ActQuantSchema,
    output: ActQuantSchema,
    actMin: z.number().int(),
    actMax: z.number().int(),
  }),
  z.object({ op: z.literal('flatten'), name: z.string(), input: ActQuantSchema, output: ActQuantSchema }),
]);
export type IntLayer = z.infer<typeof IntLayerSchema>;

export const IntegerModelSchema = z.object({
  version: z.literal(1),
  inputShape: z.array(z.number().int()),
  input: ActQuantSchema,
  /**
   * The levels the host clamps the quantized input to, when the input has fewer than 8 bits
   * (`--input-bits`): −128 … −128 + 2^b − 1, like every activation grid. Absent: all of int8.
   * The device never quantizes the input, so the blob does not carry it.
   */
  inputLevels: z
    .object({ min: z.number().int().min(-128).max(127), max: z.number().int().min(-128).max(127) })
    .optional(),
  numClasses: z.number().int(),
  layers: z.array(IntLayerSchema),
  /** Output is int8 logits; the host applies softmax if it needs probabilities, the device argmax. */
  output: ActQuantSchema,
});
export type IntegerModel = z.infer<typeof IntegerModelSchema>;

/** The levels the host clamps a model's quantized input to: its `inputLevels`, else all of int8. */
export function inputLevelsOf(model: Pick<IntegerModel, 'inputLevels'>): { min: number; max: number } {
  return model.inputLevels ?? { min: -128, max: 127 };
}
