import { z } from 'zod';
import { Seed } from '../model/seed';
import { method } from './define';

/**
 * Datasets: import public data (UCI-HAPT, CSV, MNIST), build windowed and split versions from
 * recorded sessions, show, export, delete. Field names of `DatasetSummary` are a public
 * interface (the CLI prints them as JSON): `name`, `windows`, `classes`, `splits`, `channels`,
 * `window_length` must stay.
 */

export const SplitName = z.enum(['train', 'val', 'test']);
export type SplitName = z.infer<typeof SplitName>;

export const SplitBy = z.enum(['auto', 'subject', 'session', 'segment']);
export type SplitBy = z.infer<typeof SplitBy>;

export const Normalization = z.enum(['standardize', 'none']);
export type Normalization = z.infer<typeof Normalization>;

/** "har" (newest version) or "har@2". */
export const DatasetRef = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^@\s][^@]*(@\d+)?$/, 'a dataset name, optionally with @version');

export const DatasetName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

export const DatasetSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  kind: z.string(),
  state: z.enum(['building', 'ready', 'failed']),
  locked: z.boolean(),
  created_at: z.string(),
  windows: z.number().int(),
  /** class name → windows */
  classes: z.record(z.string(), z.number().int()),
  /** split → windows */
  splits: z.record(z.string(), z.number().int()),
  /** split → class name → windows */
  split_classes: z.record(z.string(), z.record(z.string(), z.number().int())),
  /** channel count (the last axis of `shape`) */
  channels: z.number().int(),
  channel_names: z.array(z.string()),
  window_length: z.number().int(),
  stride: z.number().int().nullable(),
  /** shape of one window, e.g. [128, 9] or [28, 28, 1] */
  shape: z.array(z.number().int()),
  rate_hz: z.number().nullable(),
  normalization: Normalization,
  norm: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
  split_by: z.string(),
  seed: z.number().int(),
  sessions: z.number().int(),
  /** split → subjects in it, when split by subject */
  subjects: z.record(z.string(), z.array(z.string())).nullable(),
  source: z.string(),
  preprocess: z.string().nullable(),
  notes: z.array(z.string()),
  /** What needs attention: requested splits left empty, classes with no train windows, ambiguous labels. */
  warnings: z.array(z.string()),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export const DatasetDetailSchema = DatasetSummarySchema.extend({
  versions: z.array(
    z.object({
      version: z.number().int(),
      locked: z.boolean(),
      windows: z.number().int(),
      created_at: z.string(),
    }),
  ),
});
export type DatasetDetail = z.infer<typeof DatasetDetailSchema>;

const windowOptions = {
  windowLength: z.number().int().min(1).max(100_000).optional(),
  stride: z.number().int().min(1).max(100_000).optional(),
  splitBy: SplitBy.default('auto'),
  valFraction: z.number().min(0).max(0.5).optional(),
  testFraction: z.number().min(0).max(0.5).optional(),
  seed: Seed.default(42),
  normalization: Normalization.optional(),
};

export const CsvOptionsSchema = z.object({
  /** Column (header name or 0-based index) holding a label per row; runs of equal labels are segments. */
  labelColumn: z.string().max(200).optional(),
  /** Cut each block of rows into consecutive recordings of this many samples. */
  recordingLength: z.number().int().min(1).max(10_000_000).optional(),
  /** Samples per second; otherwise taken from a time column, else unknown. */
  rate: z.number().positive().max(1_000_000).optional(),
  /** Where a file's label comes from when there is no label column. */
  labelFrom: z.enum(['auto', 'file', 'folder']).default('auto'),
  /** Columns to keep as channels (names or 0-based indexes); default every numeric column. */
  channels: z.array(z.string().max(200)).max(1000).optional(),
});
export type CsvOptions = z.infer<typeof CsvOptionsSchema>;

export const ImportInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uci-hapt'), path: z.string().min(1), name: DatasetName, ...windowOptions }),
  z.object({
    kind: z.literal('csv'),
    path: z.string().min(1),
    name: DatasetName,
    csv: CsvOptionsSchema.default({ labelFrom: 'auto' }),
    ...windowOptions,
  }),
  z.object({ kind: z.literal('mnist'), path: z.string().min(1), name: DatasetName, ...windowOptions }),
]);
export type ImportInput = z.input<typeof ImportInputSchema>;
export type ImportParsed = z.output<typeof ImportInputSchema>;

export const BuildInputSchema = z.object({
  /** The session group (`--dataset` of `bitbench record`). */
  group: z.string().min(1).max(200),
  name: DatasetName,
  ...windowOptions,
});
export type BuildInput = z.input<typeof BuildInputSchema>;

export const CsvPreviewSchema = z.object({
  files: z.array(z.string()),
  delimiter: z.string(),
  header: z.boolean(),
  columns: z.array(z.string()),
  channels: z.array(z.string()),
  label_column: z.string().nullable(),
  time_column: z.string().nullable(),
  /** A `split` column (an exported file's): each recording keeps the split it names, not drawn again. */
  split_column: z.string().nullable(),
  /** Recordings per split the `split` column names (null without one). */
  split_recordings: z.record(z.string(), z.number().int()).nullable(),
  rate_hz: z.number().nullable(),
  rate_source: z.enum(['option', 'time column', 'unknown']),
  recordings: z.number().int(),
  samples: z.number().int(),
  recording_lengths: z.object({ min: z.number().int(), max: z.number().int() }).nullable(),
  labels: z.record(z.string(), z.number().int()),
  subjects: z.array(z.string()),
  layout: z.enum(['per-recording', 'label-column', 'per-class']),
  first_rows: z.array(z.array(z.string())),
  /** The default windows an import would cut: one per recording when they (mostly) share a length ≤ 1024. */
  window_length: z.number().int(),
  stride: z.number().int(),
  /** Labelled recordings shorter than the window, which would give no window ("flex.csv#6 (9 samples)"). */
  windowless_recordings: z.array(z.string()),
});
export type CsvPreview = z.infer<typeof CsvPreviewSchema>;

export const ExportFormat = z.enum(['csv', 'bbrp']);

export const datasetsService = {
  list: method(z.object({}).default({}), z.array(DatasetSummarySchema)),
  show: method(z.object({ name: DatasetRef }), DatasetDetailSchema),
  /** Starts an import job; follow it with the `job` event; its result is a DatasetSummary. */
  import: method(ImportInputSchema, z.object({ jobId: z.string() })),
  /** Builds a dataset version from recorded sessions of a group (a job, like import). */
  build: method(BuildInputSchema, z.object({ jobId: z.string() })),
  /** What a CSV import would find, without writing anything. */
  preview: method(
    z.object({ path: z.string().min(1), csv: CsvOptionsSchema.default({ labelFrom: 'auto' }) }),
    CsvPreviewSchema,
  ),
  /** Starts an export job; its result is `{ path, bytes, windows, format }`. */
  export: method(
    z.object({
      name: DatasetRef,
      format: ExportFormat,
      out: z.string().min(1),
      split: SplitName.optional(),
      /** Only the first N windows (a virtual board's replay region holds 1 MiB ≈ 680 UCI-HAR windows). */
      maxWindows: z.number().int().min(1).optional(),
    }),
    z.object({ jobId: z.string() }),
  ),
  /** Deletes every version of a name (or one with name@version); locked versions are refused. */
  delete: method(
    z.object({ name: DatasetRef }),
    z.object({ deleted: z.array(z.number().int()), sessions: z.number().int() }),
  ),
  /** Marks a version immutable (the trainer calls this when a model is trained on it). */
  lock: method(z.object({ name: DatasetRef }), DatasetSummarySchema),
  /** Session groups that recordings went into, for "build a dataset from these". */
  groups: method(
    z.object({}).default({}),
    z.array(
      z.object({
        group: z.string(),
        sessions: z.number().int(),
        samples: z.number().int(),
        labels: z.array(z.string()),
      }),
    ),
  ),
};

export const ExportResultSchema = z.object({
  path: z.string(),
  bytes: z.number().int(),
  windows: z.number().int(),
  format: ExportFormat,
});
export type ExportResult = z.infer<typeof ExportResultSchema>;
