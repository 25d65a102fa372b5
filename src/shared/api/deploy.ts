import { z } from 'zod';
import { method } from './define';

/**
 * Deploy & profile: estimate what a quantized variant costs on a board, flash it, run a held-out
 * split on the board, and compare every variant of a model. The snake_case field names of
 * ProfileResult (host_accuracy, device_accuracy, bit_exact, mismatches, latency {unit, mean, p50,
 * p99}, per_layer, ram_bytes, flash_bytes, model_bytes, board, firmware_version) are a public
 * interface: `bitbench profile --json` prints them. See docs/deploy-and-profile.md.
 */

export const CounterUnitName = z.enum(['instructions', 'cycles', 'microseconds']);
export const SplitName = z.enum(['train', 'val', 'test']);

export const LatencySchema = z.object({
  /** The board's counter: instructions on virtual boards (QEMU -icount), cycles on real ones. */
  unit: CounterUnitName,
  /** How to read the unit, e.g. "instructions (QEMU -icount shift=5, not cycles)". */
  label: z.string(),
  mean: z.number(),
  p50: z.number(),
  p99: z.number(),
  min: z.number(),
  max: z.number(),
  /** Microseconds from cycles and the board clock; null when the counter is not cycles. */
  us: z.object({ mean: z.number(), p50: z.number(), p99: z.number() }).nullable(),
});
export type Latency = z.infer<typeof LatencySchema>;

export const LayerEstimateSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  op: z.string(),
  kernel: z.string(),
  weight_bits: z.number().int().nullable(),
  macs: z.number().int(),
  /** MACs for weighted layers, element operations for pools and ReLU. */
  work: z.number().int(),
  outputs: z.number().int(),
  estimate: z.number(),
  estimate_source: z.enum(['default', 'calibrated']),
});
export type LayerEstimate = z.infer<typeof LayerEstimateSchema>;

export const LayerProfileSchema = LayerEstimateSchema.extend({
  /** Mean measured counts per inference for this layer. */
  counts: z.number(),
  /** counts / MACs; null for layers without MACs. */
  counts_per_mac: z.number().nullable(),
  /** (measured − estimate) / estimate. */
  deviation: z.number().nullable(),
  /** More than 25 % off the estimate. */
  flagged: z.boolean(),
  /** Share of the whole inference. */
  share: z.number(),
});
export type LayerProfile = z.infer<typeof LayerProfileSchema>;

export const MemoryFitSchema = z.object({
  fits: z.boolean(),
  /** What does not fit, with needed vs available numbers; empty when it fits. */
  problems: z.array(z.string()),
  model_bytes: z.number().int(),
  model_slot_bytes: z.number().int(),
  arena_min_bytes: z.number().int(),
  arena_all_bytes: z.number().int(),
  /** What the runner will take: arena_all when it fits (layer outputs kept), else arena_min. */
  arena_used_bytes: z.number().int(),
  board_arena_bytes: z.number().int(),
  input_bytes: z.number().int(),
  ram_bytes: z.number().int(),
  ram_free_bytes: z.number().int(),
  flash_bytes: z.number().int(),
  firmware_flash_bytes: z.number().int(),
});
export type MemoryFit = z.infer<typeof MemoryFitSchema>;

export const BoardRefSchema = z.object({
  spec: z.string(),
  name: z.string(),
  cpu: z.string(),
  clock_hz: z.number().int(),
  counter: CounterUnitName,
  counter_label: z.string(),
  firmware_version: z.string(),
  build_id: z.string(),
});
export type BoardRef = z.infer<typeof BoardRefSchema>;

export const EstimateSchema = z.object({
  model: z.string(),
  board: BoardRefSchema,
  /** Where the board's info came from: the open connection, or the last time it was seen. */
  board_info_source: z.enum(['connected', 'last-seen']),
  per_layer: z.array(LayerEstimateSchema),
  latency: z.number(),
  latency_us: z.number().nullable(),
  macs: z.number().int(),
  counts_per_mac: z.number().nullable(),
  /** "default cost model" or "calibrated from 3 earlier profiles on qemu-mps2-an386". */
  calibration: z.string(),
  calibration_runs: z.number().int(),
  memory: MemoryFitSchema,
});
export type Estimate = z.infer<typeof EstimateSchema>;

export const FlashResultSchema = z.object({
  run_id: z.number().int(),
  model: z.string(),
  board: z.string(),
  bytes: z.number().int(),
  /** The blob's size, under the name profile and compare use (the same number as `bytes`). */
  model_bytes: z.number().int(),
  crc32: z.string(),
  model_hash: z.string(),
  /** True when the board already ran this exact blob (same CRC and model hash): nothing was sent. */
  already_active: z.boolean(),
  resumed_from: z.number().int(),
  chunks: z.number().int(),
  seconds: z.number(),
  bytes_per_second: z.number(),
  /** CRC and model hash read back from the board after activation. */
  verified: z.boolean(),
  slot: z.number().int().nullable(),
  firmware_version: z.string(),
  build_id: z.string(),
});
export type FlashResult = z.infer<typeof FlashResultSchema>;

export const MismatchSchema = z.object({
  window: z.number().int(),
  label: z.number().int(),
  device_prediction: z.number().int(),
  host_prediction: z.number().int(),
  /** First layer whose output differs (from LAYER_OUTPUT); null when the board no longer holds it. */
  first_layer: z.number().int().nullable(),
  layer_name: z.string().nullable(),
  differing_values: z.number().int().nullable(),
  max_abs_diff: z.number().int().nullable(),
  detail: z.string(),
});
export type Mismatch = z.infer<typeof MismatchSchema>;

export const RunStateName = z.enum(['running', 'complete', 'partial', 'failed']);
export type RunStateName = z.infer<typeof RunStateName>;

export const ProfileResultSchema = z.object({
  run_id: z.number().int(),
  state: RunStateName,
  /** Why a run is partial or failed (the board vanished, cancelled…); null when complete. */
  note: z.string().nullable(),
  model: z.string(),
  parent: z.string().nullable(),
  board: z.string(),
  board_name: z.string(),
  cpu: z.string(),
  firmware_version: z.string(),
  build_id: z.string(),
  dataset: z.string(),
  dataset_version: z.number().int(),
  split: SplitName,
  windows: z.number().int(),
  windows_total: z.number().int(),
  /**
   * Windows the split holds: more than `windows_total` when `--limit` profiled only the first ones
   * (200 of MNIST's 10,000 test windows). Absent on runs from before it was recorded.
   */
  split_windows: z.number().int().optional(),
  /** Host integer reference on the same windows. */
  host_accuracy: z.number(),
  device_accuracy: z.number(),
  /** Every device output equals the host integer reference output, byte for byte. */
  bit_exact: z.boolean(),
  mismatches: z.number().int(),
  mismatch_details: z.array(MismatchSchema),
  classes: z.array(z.string()),
  per_class: z.array(
    z.object({
      class: z.string(),
      count: z.number().int(),
      host_accuracy: z.number(),
      device_accuracy: z.number(),
    }),
  ),
  /** Device predictions: confusion[true][predicted]. */
  confusion: z.array(z.array(z.number().int())),
  latency: LatencySchema,
  per_layer: z.array(LayerProfileSchema),
  /** Counts not inside any layer (input copy, dispatch). */
  overhead_counts: z.number(),
  macs: z.number().int(),
  counts_per_mac: z.number().nullable(),
  layers_flagged: z.number().int(),
  calibration: z.string(),
  /** Arena used + stack high-water mark (STATS), in bytes. */
  ram_bytes: z.number().int(),
  /** Model blob + firmware image, in bytes. */
  flash_bytes: z.number().int(),
  model_bytes: z.number().int(),
  memory: z.object({
    arena_used_bytes: z.number().int(),
    board_arena_bytes: z.number().int(),
    stack_hwm_bytes: z.number().int().nullable(),
    stack_bytes: z.number().int().nullable(),
    firmware_flash_bytes: z.number().int(),
    ram_total_bytes: z.number().int(),
    flash_total_bytes: z.number().int(),
    rx_dropped_frames: z.number().int().nullable(),
    /** Where the RAM figure comes from: the board's STATS or the blob header alone. */
    source: z.enum(['board-stats', 'blob-header']),
  }),
  serial: z.object({
    wall_seconds: z.number(),
    /** Host wall time per window (send, compute, answer). */
    ms_per_window: z.number(),
    /** Bytes on the wire per window (request and response frames, CRC and COBS worst case included). */
    wire_bytes_per_window: z.number(),
  }),
  flash: FlashResultSchema.nullable(),
});
export type ProfileResult = z.infer<typeof ProfileResultSchema>;

/** The reproducible record of a run: everything needed to redo it and check the host side. */
export const RunRecordSchema = z.object({
  model: z.object({
    name: z.string(),
    id: z.number().int(),
    parent: z.string().nullable(),
    family: z.string(),
    method: z.string(),
    weights_bits: z.number().int(),
    acts_bits: z.number().int(),
    spec: z.unknown(),
    float_weights_sha256: z.string().nullable(),
    integer_model_sha256: z.string(),
    blob: z.object({ bytes: z.number().int(), crc32: z.string(), hash: z.string() }),
    quantization: z.unknown(),
  }),
  dataset: z.object({
    name: z.string(),
    version: z.number().int(),
    split: SplitName,
    windows: z.number().int(),
    /** SHA-256 over the split's windows (float32) and labels, in stored order. */
    sha256: z.string(),
  }),
  board: BoardRefSchema,
  host: z.object({ bitbench_version: z.string(), node: z.string(), platform: z.string() }),
  /** SHA-256 of the host integer reference's output tensors of the profiled windows, in order
   * (set when the run completes): re-running must give the same. */
  host_outputs_sha256: z.string().nullable(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** A latency as runs list/show and compare give it: the board's unit, mean, p50 and p99. */
export const CompactLatencySchema = z.object({
  unit: CounterUnitName,
  mean: z.number(),
  p50: z.number(),
  p99: z.number(),
});

export const RunSummarySchema = z.object({
  id: z.number().int(),
  kind: z.enum(['profile', 'flash']),
  state: RunStateName,
  model: z.string().nullable(),
  board: z.string().nullable(),
  board_name: z.string().nullable(),
  firmware_version: z.string().nullable(),
  dataset: z.string().nullable(),
  dataset_version: z.number().int().nullable(),
  split: z.string().nullable(),
  windows: z.number().int(),
  windows_total: z.number().int(),
  device_accuracy: z.number().nullable(),
  host_accuracy: z.number().nullable(),
  bit_exact: z.boolean().nullable(),
  latency_mean: z.number().nullable(),
  unit: z.string().nullable(),
  /** The same latency as a profile's and a compare row's `latency` (`latency_mean`/`unit` stay for scripts). */
  latency: CompactLatencySchema.nullable(),
  note: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

export const RunDetailSchema = z.object({
  summary: RunSummarySchema,
  record: RunRecordSchema.nullable(),
  /** ProfileResult for a profile run (partial ones too), FlashResult for a flash run. */
  result: z.union([ProfileResultSchema, FlashResultSchema]).nullable(),
  estimate: EstimateSchema.nullable(),
});
export type RunDetail = z.infer<typeof RunDetailSchema>;

export const ReproduceResultSchema = z.object({
  run_id: z.number().int(),
  /** True when every host-side number and hash came out the same. */
  identical: z.boolean(),
  checks: z.array(z.object({ what: z.string(), stored: z.string(), now: z.string(), same: z.boolean() })),
});
export type ReproduceResult = z.infer<typeof ReproduceResultSchema>;

export const CompareRowSchema = z.object({
  name: z.string(),
  kind: z.enum(['float', 'quantized']),
  family: z.string(),
  method: z.string(),
  weights_bits: z.number().int(),
  acts_bits: z.number().int(),
  /** Bits per layer ("conv1 8/8"), in layer order. */
  layer_bits: z.array(z.object({ name: z.string(), weights: z.number(), acts: z.number() })),
  host_accuracy: z.number().nullable(),
  device_accuracy: z.number().nullable(),
  /**
   * Windows the newest profile ran on the board, how many its split holds, and which split: a
   * `profile --limit 200` covers 200 of MNIST's 10,000 test windows, so its device accuracy is not
   * comparable with the host accuracy beside it (all 10,000). Null without a run.
   */
  device_windows: z.number().int().nullable(),
  device_windows_total: z.number().int().nullable(),
  device_split: SplitName.nullable(),
  bit_exact: z.boolean().nullable(),
  size_bytes: z.number().int(),
  /** The same number under the name profile's JSON gives it (issue #10's public field). */
  model_bytes: z.number().int(),
  bops: z.number(),
  peak_memory_bytes: z.number().nullable(),
  /** The newest profile run's device-vs-host mismatches; null without a run. */
  mismatches: z.number().int().nullable(),
  latency: CompactLatencySchema.nullable(),
  latency_us: z.number().nullable(),
  counts_per_mac: z.number().nullable(),
  ram_bytes: z.number().int().nullable(),
  flash_bytes: z.number().int().nullable(),
  board: z.string().nullable(),
  /** Firmware version of the board in the newest profile run; null without a run. */
  firmware_version: z.string().nullable(),
  run_id: z.number().int().nullable(),
  run_state: RunStateName.nullable(),
  /**
   * On the Pareto front of accuracy vs latency / vs size among the rows shown; latency only against
   * rows profiled on the same board (counts of two boards are not comparable).
   */
  pareto_latency: z.boolean(),
  pareto_size: z.boolean(),
});
export type CompareRow = z.infer<typeof CompareRowSchema>;

export const CompareResultSchema = z.object({
  model: z.string(),
  board: z.string().nullable(),
  /** Boards with profile runs of any row, for the board filter. */
  boards: z.array(z.string()),
  rows: z.array(CompareRowSchema),
});
export type CompareResult = z.infer<typeof CompareResultSchema>;

export const ModelBoardInput = z.object({
  /** A quantized variant's name. */
  model: z.string().min(1).max(100),
  /** `virtual:m4`, `virtual:m0` or a serial port path. */
  board: z.string().min(1).max(300),
});

export const ProfileInput = z.object({
  model: z.string().min(1).max(100).optional(),
  board: z.string().min(1).max(300).optional(),
  split: SplitName.default('test'),
  /** Profile only the first N windows of the split. */
  limit: z.number().int().min(1).max(1_000_000).optional(),
  /** Dataset to use instead of the one the variant was quantized with ("har" or "har@2"). */
  dataset: z.string().min(1).max(100).optional(),
  /** Continue a partial run from where it stopped (model, board, dataset come from the run). */
  resume: z.number().int().min(1).optional(),
  /** Layer-level diffs are read for at most this many mismatching windows. */
  maxMismatchDetails: z.number().int().min(0).max(1000).default(20),
});
export type ProfileInputT = z.input<typeof ProfileInput>;

/** Progress of a flash or profile job, beyond the job's own fraction: bytes, rate, windows. */
export const DeployProgressSchema = z.object({
  jobId: z.string(),
  runId: z.number().int().nullable(),
  phase: z.enum(['estimate', 'flash', 'verify', 'host-reference', 'profile', 'stats', 'done']),
  bytesSent: z.number().int(),
  bytesTotal: z.number().int(),
  bytesPerSecond: z.number(),
  windowsDone: z.number().int(),
  windowsTotal: z.number().int(),
  windowsPerSecond: z.number(),
  mismatches: z.number().int(),
  etaSeconds: z.number().nullable(),
});
export type DeployProgress = z.infer<typeof DeployProgressSchema>;

export const deployService = {
  /** Latency and memory of a variant on a board before flashing (cost model + fit check). */
  estimate: method(ModelBoardInput, EstimateSchema),
  /** Starts a flash job (refused before any byte is sent when the model does not fit). */
  flash: method(
    ModelBoardInput.extend({ force: z.boolean().default(false) }),
    z.object({ jobId: z.string() }),
  ),
  /** Starts a profile job (or resumes a partial run); the run id is known at once. */
  profile: method(ProfileInput, z.object({ jobId: z.string(), runId: z.number().int() })),
  runs: method(
    z
      .object({
        model: z.string().optional(),
        kind: z.enum(['profile', 'flash']).optional(),
        limit: z.number().int().min(1).max(1000).default(50),
      })
      .default({ limit: 50 }),
    z.array(RunSummarySchema),
  ),
  run: method(z.object({ id: z.number().int().min(1) }), RunDetailSchema),
  /** Recomputes a run's host-side numbers from its record and checks they are identical. */
  reproduce: method(z.object({ id: z.number().int().min(1) }), ReproduceResultSchema),
  /** The float model and every quantized variant side by side, with device results. */
  compare: method(
    z.object({ model: z.string().min(1).max(100), board: z.string().min(1).optional() }),
    CompareResultSchema,
  ),
};

/**
 * Why layers may be more than 25 % off their estimate, for the profile's unit. Instruction counts
 * (QEMU -icount) have no clock to misconfigure: there the likely cause is a layer shape the cost
 * model's single-layer fit covers poorly (a 3×3 conv with 4 filters on a 1-channel image pays a
 * gather per output position that 4 outputs share: +65–93 % measured on MNIST).
 */
export function flaggedReason(unit: string): string {
  return unit === 'cycles'
    ? 'a misconfigured clock, a missing optimised kernel or a model change'
    : 'instruction counts do not depend on a clock: a layer shape the cost model fits poorly (few filters, a 1-channel input), a missing optimised kernel or a model change; later profiles on this board calibrate the estimate per kernel and width';
}

/** The newest profile ran only part of its split (`--limit`), so its device accuracy is of a sample. */
export function devicePartial(r: CompareRow): boolean {
  return (
    r.device_accuracy !== null &&
    r.device_windows !== null &&
    r.device_windows_total !== null &&
    r.device_windows < r.device_windows_total
  );
}

/**
 * The accuracy a Compare row is ranked and plotted by: the device's where a profile covered its
 * whole split, else the host's (which covers the whole test split), so a `--limit` run's sample
 * does not lift or sink a variant against the others.
 */
export function rankingAccuracy(r: CompareRow): number | null {
  return r.device_accuracy !== null && !devicePartial(r) ? r.device_accuracy : r.host_accuracy;
}

/** Rows on the Pareto front: no other row is at least as accurate and at least as cheap, one strictly. */
export function paretoFront<T>(
  rows: readonly T[],
  accuracy: (r: T) => number | null,
  cost: (r: T) => number | null,
): Set<T> {
  const pts = rows.filter((r) => accuracy(r) !== null && cost(r) !== null);
  const front = new Set<T>();
  for (const p of pts) {
    const pa = accuracy(p)!;
    const pc = cost(p)!;
    const dominated = pts.some((q) => {
      const qa = accuracy(q)!;
      const qc = cost(q)!;
      return q !== p && qa >= pa && qc <= pc && (qa > pa || qc < pc);
    });
    if (!dominated) front.add(p);
  }
  return front;
}

const CSV_COLUMNS: Array<[string, (r: CompareRow) => unknown]> = [
  ['name', (r) => r.name],
  ['kind', (r) => r.kind],
  ['method', (r) => r.method],
  ['weights_bits', (r) => r.weights_bits],
  ['acts_bits', (r) => r.acts_bits],
  ['layer_bits', (r) => r.layer_bits.map((l) => `${l.name}=${l.weights}/${l.acts}`).join(' ')],
  ['host_accuracy', (r) => r.host_accuracy],
  ['device_accuracy', (r) => r.device_accuracy],
  ['bit_exact', (r) => r.bit_exact],
  ['size_bytes', (r) => r.size_bytes],
  ['bops', (r) => r.bops],
  ['peak_memory_bytes', (r) => r.peak_memory_bytes],
  ['latency_unit', (r) => r.latency?.unit],
  ['latency_mean', (r) => r.latency?.mean],
  ['latency_p50', (r) => r.latency?.p50],
  ['latency_p99', (r) => r.latency?.p99],
  ['latency_us', (r) => r.latency_us],
  ['counts_per_mac', (r) => r.counts_per_mac],
  ['ram_bytes', (r) => r.ram_bytes],
  ['flash_bytes', (r) => r.flash_bytes],
  ['board', (r) => r.board],
  ['run_id', (r) => r.run_id],
  ['pareto_latency', (r) => r.pareto_latency],
  ['pareto_size', (r) => r.pareto_size],
  ['device_windows', (r) => r.device_windows],
  ['device_windows_total', (r) => r.device_windows_total],
];

/** The Compare table as CSV (RFC 4180 quoting); the UI's export and `bitbench compare --csv`. */
export function compareCsv(rows: readonly CompareRow[]): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')];
  for (const r of rows) lines.push(CSV_COLUMNS.map(([, f]) => cell(f(r))).join(','));
  return lines.join('\n') + '\n';
}
