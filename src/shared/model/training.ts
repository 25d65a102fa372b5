import { z } from 'zod';
import { Seed } from './seed';

/**
 * Training options and results: the schemas shared by the training worker, the training
 * service, the CLI and the Train page. Runtime-neutral.
 */

export const AugmentSchema = z.object({
  /** Gaussian noise σ added to every (standardised) value. */
  jitter: z.number().min(0).max(2).default(0),
  /** Per-window, per-channel gain drawn from N(1, σ). */
  scaling: z.number().min(0).max(1).default(0),
  /** Circular shift along time by up to ± this many samples. */
  timeShift: z.number().int().min(0).max(10_000).default(0),
});
export type Augment = z.infer<typeof AugmentSchema>;

export const TrainOptionsSchema = z.object({
  epochs: z.number().int().min(1).max(1000).default(30),
  batchSize: z.number().int().min(1).max(4096).default(32),
  /** adam, or sgd with momentum 0.9. */
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  learningRate: z.number().positive().max(10).default(1e-3),
  /** constant; cosine decay to 0 over all batches; step: ×stepGamma every stepEvery epochs. */
  schedule: z.enum(['constant', 'cosine', 'step']).default('constant'),
  stepEvery: z.number().int().min(1).max(1000).default(10),
  stepGamma: z.number().positive().max(1).default(0.1),
  /** Stop when val loss has not improved for `patience` epochs; restores the best weights. */
  earlyStopping: z
    .object({
      patience: z.number().int().min(1).max(1000).default(5),
      minDelta: z.number().min(0).default(0),
    })
    .nullable()
    .default(null),
  /** none; balanced (n / (k · n_c)); or one weight per class. */
  classWeights: z.union([z.enum(['none', 'balanced']), z.array(z.number().nonnegative())]).default('none'),
  /** Seeds the initialisers, the shuffling and the augmentation: same seed + backend → same weights. */
  seed: Seed.default(1),
  /** IMU augmentation, off by default. */
  augment: AugmentSchema.nullable().default(null),
  /**
   * Train on a seeded sample of this many training windows (0: all of them): a quick first model on
   * a big data set (MNIST's 60,000). Validation and test splits stay whole.
   */
  maxTrainWindows: z.number().int().min(0).max(10_000_000).default(0),
});
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;
export type TrainOptionsInput = z.input<typeof TrainOptionsSchema>;

export const EpochMetricsSchema = z.object({
  epoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  val_loss: z.number().nullable(),
  val_accuracy: z.number().nullable(),
  learning_rate: z.number(),
  seconds: z.number(),
});
export type EpochMetrics = z.infer<typeof EpochMetricsSchema>;

export const ConfusionSchema = z.object({
  /** rows: true class, columns: predicted class. */
  matrix: z.array(z.array(z.number().int())),
  classes: z.array(z.string()),
});
export type Confusion = z.infer<typeof ConfusionSchema>;

export const EvaluationSchema = z.object({
  split: z.string(),
  count: z.number().int(),
  accuracy: z.number(),
  loss: z.number(),
  per_class: z.array(
    z.object({
      class: z.string(),
      count: z.number().int(),
      precision: z.number(),
      recall: z.number(),
      f1: z.number(),
    }),
  ),
  confusion: ConfusionSchema,
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

/** One progress tick of a training run (per batch, throttled) — streamed to the UI and CLI. */
export const TrainProgressSchema = z.object({
  jobId: z.string(),
  phase: z.enum(['loading', 'training', 'evaluating', 'saving']),
  epoch: z.number().int(),
  epochs: z.number().int(),
  batch: z.number().int(),
  batches: z.number().int(),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  elapsedSeconds: z.number(),
  etaSeconds: z.number().nullable(),
  backend: z.string().nullable(),
  /** Every finished epoch so far (for the live curves). */
  curves: z.array(EpochMetricsSchema),
});
export type TrainProgress = z.infer<typeof TrainProgressSchema>;
