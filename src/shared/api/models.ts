import { z } from 'zod';
import { ModelSpecSchema } from '../model/spec';
import { EpochMetricsSchema, EvaluationSchema, TrainOptionsSchema } from '../model/training';
import { DatasetRef } from './datasets';
import { method } from './define';
import { TfBackendName } from './status';

/**
 * Training and the trained models. Field names in snake_case (`name`, `arch`, `params`,
 * `epochs`, `seconds`, `backend`, `val_accuracy`, `test_accuracy`) are a public interface:
 * `bitbench train --json` and `bitbench models show --json` print them.
 */

export const ModelName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');

export const TrainRequestSchema = z.object({
  dataset: DatasetRef,
  /** A zoo architecture (`har-cnn`, `gesture-cnn-gru`, `mnist-cnn`) or `custom` with `spec`. */
  arch: z.string().min(1).max(60),
  /** The custom spec (JSON), when arch is `custom`; validated against the layer schema. */
  spec: z.unknown().optional(),
  /** Name of the model to create; must be new. */
  name: ModelName,
  options: TrainOptionsSchema.default(TrainOptionsSchema.parse({})),
  /** Forces a TensorFlow.js backend for this run (default: the loader's choice). */
  backend: TfBackendName.optional(),
});
export type TrainRequest = z.input<typeof TrainRequestSchema>;

/** What a finished training job returns (the job's `result`, and `bitbench train --json`). */
export const TrainSummarySchema = z.object({
  name: z.string(),
  arch: z.string(),
  params: z.number().int(),
  /** float32 size, params × 4 */
  size_bytes: z.number().int(),
  epochs: z.number().int(),
  epochs_requested: z.number().int(),
  stopped_early: z.boolean(),
  seconds: z.number(),
  seconds_per_epoch: z.number(),
  backend: TfBackendName,
  seed: z.number().int(),
  dataset: z.string(),
  dataset_version: z.number().int(),
  train_accuracy: z.number().nullable(),
  val_accuracy: z.number().nullable(),
  test_accuracy: z.number().nullable(),
  /** The training windows it learned from: fewer than the split's with `--max-train`. */
  train_windows: z.number().int().nullable().optional(),
});
export type TrainSummary = z.infer<typeof TrainSummarySchema>;

export const ModelSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(['float', 'quantized']),
  arch: z.string(),
  params: z.number().int(),
  size_bytes: z.number().int(),
  dataset: z.string().nullable(),
  dataset_version: z.number().int().nullable(),
  backend: z.string().nullable(),
  seconds: z.number().nullable(),
  epochs: z.number().int().nullable(),
  seed: z.number().int().nullable(),
  val_accuracy: z.number().nullable(),
  test_accuracy: z.number().nullable(),
  created_at: z.string(),
});
export type ModelSummary = z.infer<typeof ModelSummarySchema>;

/** The model card: everything about one model. */
export const ModelDetailSchema = ModelSummarySchema.extend({
  spec: ModelSpecSchema,
  layers: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      in_shape: z.array(z.number().int()),
      out_shape: z.array(z.number().int()),
      params: z.number().int(),
      macs: z.number().int(),
    }),
  ),
  macs: z.number().int(),
  classes: z.array(z.string()),
  input_shape: z.array(z.number().int()),
  norm: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
  options: z.record(z.string(), z.unknown()).nullable(),
  backend_note: z.string().nullable(),
  stopped_early: z.boolean().nullable(),
  best_epoch: z.number().int().nullable(),
  curves: z.array(EpochMetricsSchema),
  train_accuracy: z.number().nullable(),
  evaluations: z.record(z.string(), EvaluationSchema),
});
export type ModelDetail = z.infer<typeof ModelDetailSchema>;

export const ArchInfoSchema = z.object({
  arch: z.string(),
  description: z.string(),
  input_shape: z.array(z.number().int()),
  num_classes: z.number().int(),
  params: z.number().int(),
  spec: ModelSpecSchema,
});

export const trainingService = {
  /** Starts a training job; follow it with the `job` and `trainProgress` events; its result is a TrainSummary. */
  start: method(TrainRequestSchema, z.object({ jobId: z.string() })),
  /** The zoo, with each architecture's default input shape and parameter count. */
  archs: method(z.object({}).default({}), z.array(ArchInfoSchema)),
  /** Checks a custom spec (JSON): the normalised spec and its parameter count, or a bad_request naming the problem. */
  checkSpec: method(
    z.object({
      spec: z.unknown(),
      inputShape: z.array(z.number().int().min(1)).optional(),
      numClasses: z.number().int().min(1).optional(),
    }),
    z.object({ spec: ModelSpecSchema, params: z.number().int(), size_bytes: z.number().int() }),
  ),
};

export const modelsService = {
  list: method(z.object({}).default({}), z.array(ModelSummarySchema)),
  show: method(z.object({ name: z.string().min(1) }), ModelDetailSchema),
  /** Accuracy, per-class metrics and confusion matrix of a model on a split of its dataset version. */
  evaluate: method(
    z.object({ model: z.string().min(1), split: z.enum(['train', 'val', 'test']).default('test') }),
    EvaluationSchema.extend({
      model: z.string(),
      dataset: z.string(),
      dataset_version: z.number().int(),
      backend: z.string(),
    }),
  ),
  /**
   * Deletes a model. A float model with quantized variants is refused unless `withVariants` (then
   * they go with it, named in `variants`); a model an active job uses is refused.
   */
  delete: method(
    z.object({ name: z.string().min(1), withVariants: z.boolean().optional() }),
    z.object({ deleted: z.boolean(), variants: z.array(z.string()) }),
  ),
};
