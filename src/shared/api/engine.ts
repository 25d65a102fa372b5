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
  /**
   * A file for `blob` (a directory is allowed: `<model>.bbm` inside), a directory for `c`. Omitted:
   * `exports/` beside the database (`<model>.bbm`, or `<model>-c/` for the C pair).
   */
  out: z.string().min(1).optional(),
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

export type VerifyRequest = z.infer<typeof VerifyInput>;

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

/** Seed 000's deployment budget: model, engine code and arena "as low as ~10 kB" on an M0+. */
export const SEED000_BUDGET_BYTES = 10 * 1024;

export const FootprintInput = z.object({
  model: z.string().min(1),
  /** The virtual board whose firmware port the image is built for (its QEMU runs it). */
  board: z.enum(['virtual:m0', 'virtual:m4']).default('virtual:m0'),
  /** size: kernels built -Os; speed: -O2, as in the serial firmware. */
  build: z.enum(['size', 'speed']).default('size'),
  /**
   * device: the firmware runs every blob check, as for a blob from the wire; host: the blob was checked
   * by bitbench's exporter and the device verifies its integrity (CRC-32) only — smaller.
   */
  check: z.enum(['device', 'host']).default('device'),
  /** Keep the build (model.c/h, input.c, standalone.elf, standalone.map) in this directory. */
  keep: z.string().min(1).optional(),
});

export type FootprintRequest = z.infer<typeof FootprintInput>;

const Bytes = z.object({ flash: z.number().int(), ram: z.number().int() });
export const FootprintResultSchema = z.object({
  model: z.string(),
  board: z.string(),
  build: z.enum(['size', 'speed']),
  check: z.enum(['device', 'host']),
  /** Firmware BB_ENGINE_KERNELS / BB_ENGINE_WBITS the image was built with (only what the blob uses). */
  kernel_mask: z.number().int(),
  weight_bits_mask: z.number().int(),
  /** Kernels, runner, blob checks, timing: flash (code + tables) and RAM (runner state). */
  engine: Bytes,
  model_bytes: z.number().int(),
  arena_bytes: z.number().int(),
  /** engine flash + engine RAM + model + arena: what seed 000's budget counts. */
  model_total_bytes: z.number().int(),
  budget_bytes: z.number().int(),
  fits_budget: z.boolean(),
  /** Vectors, startup, UART/counter HAL, libc helpers. */
  board_support: Bytes,
  /** main.c and the compiled-in test input. */
  app: Bytes,
  image: z.object({ text: z.number().int(), data: z.number().int(), bss: z.number().int() }),
  /** One inference on the board: its output against the host integer reference. */
  run: z.object({
    input: z.string(),
    bit_exact: z.boolean(),
    elapsed: z.number().int(),
    unit: z.literal('instructions'),
    stack_bytes: z.number().int(),
  }),
  files: z.array(z.string()),
});
export type FootprintResult = z.infer<typeof FootprintResultSchema>;

export const engineService = {
  export: method(ExportInput, ExportResultSchema),
  verify: method(VerifyInput, VerifyResultSchema),
  /** The same as a job (progress per window, cancel): the job's result is a VerifyResult. */
  verifyJob: method(VerifyInput, z.object({ jobId: z.string() })),
  /** Build the standalone inference image (firmware/standalone) for a variant, size it, run it once. */
  footprint: method(FootprintInput, FootprintResultSchema),
  /** The same as a job (progress: building, running; cancel kills make / QEMU). */
  footprintJob: method(FootprintInput, z.object({ jobId: z.string() })),
};
