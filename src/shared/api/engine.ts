import { z } from 'zod';
import { method } from './define';

/**
 * The integer engine: export a quantized variant as a model blob or C source, and verify that a
 * board runs it bit-exactly like the host integer reference (docs/model-format.md).
 */
export const ExportInput = z.object({
  /** A quantized variant's name (`bitbench variants list`). */
  model: z.string().min(1),
  format: z.enum(['blob', 'c']).default('blob'),
  /** A file for `blob` (a directory is allowed: `<model>.bbm` inside), a directory for `c`. */
  out: z.string().min(1),
});

export const ExportResultSchema = z.object({
  model: z.string(),
  format: z.enum(['blob', 'c']),
  files: z.array(z.string()),
  bytes: z.number().int(),
  crc32: z.string(),
  hash: z.string(),
  arena_bytes: z.number().int(),
  layers: z.number().int(),
});
export type ExportResult = z.infer<typeof ExportResultSchema>;

export const VerifyInput = z.object({
  model: z.string().min(1),
  /** `virtual:m4`, `virtual:m0`, a serial port; omitted → host only. */
  board: z.string().min(1).optional(),
  split: z.enum(['train', 'val', 'test']).default('test'),
  limit: z.number().int().min(1).max(100000).default(200),
  /** Dataset to draw windows from; default the parent model's training dataset. */
  dataset: z.string().min(1).optional(),
});

export const VerifyResultSchema = z.object({
  model: z.string(),
  board: z.string().nullable(),
  split: z.string(),
  /** Windows compared between host reference and device (or integer simulation when host only). */
  compared: z.number().int(),
  mismatches: z.number().int(),
  bit_exact: z.boolean(),
  /** Host reference vs the PTQ integer simulation (src/main/quant/integer-sim.ts): prediction disagreements. */
  reference_vs_integer_sim: z.object({
    compared: z.number().int(),
    prediction_mismatches: z.number().int(),
    logit_mismatches: z.number().int(),
  }),
  latency: z
    .object({
      unit: z.enum(['instructions', 'cycles', 'microseconds']),
      mean: z.number(),
      min: z.number(),
      max: z.number(),
      per_layer_mean: z.array(z.number()),
    })
    .nullable(),
  first_mismatch: z
    .object({ window: z.number().int(), layer: z.number().int().nullable(), detail: z.string() })
    .nullable(),
  device_note: z.string().nullable(),
});
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

export const engineService = {
  export: method(ExportInput, ExportResultSchema),
  verify: method(VerifyInput, VerifyResultSchema),
};
