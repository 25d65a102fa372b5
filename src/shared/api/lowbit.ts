import { z } from 'zod';
import { Seed } from '../model/seed';
import { method } from './define';
import { ModelName } from './models';
import { Bits, LayerBitsSchema } from './quant';

/**
 * Below 4 bits (seed 000, seed 004): quantization-aware training (STE, LSQ) and universal 1-bit/N-bit
 * weight training (regularisers S1, S2), with a per-layer bit table shared with PTQ (`layerBits`, the
 * same `conv1=1,gru=8` syntax and schema), and the layer sensitivity analysis that proposes such a table.
 * The trained model ends as the same integer model as PTQ's (src/shared/quant/integer-model.ts).
 */
export const LOWBIT_METHODS = ['universal-s1', 'universal-s2', 'qat-ste', 'qat-lsq'] as const;
export const LowBitMethod = z.enum(LOWBIT_METHODS);
export type LowBitMethod = z.infer<typeof LowBitMethod>;

export function isLowBitMethod(m: string): m is LowBitMethod {
  return (LOWBIT_METHODS as readonly string[]).includes(m);
}

export const LowBitConfigSchema = z
  .object({
    method: LowBitMethod,
    /** Default weight bits of every conv/dense/GRU layer (the table overrides per layer). */
    weightBits: Bits.default(1),
    /** Activation bits (QAT fake-quantizes activations; universal training keeps them float until export). */
    actBits: Bits.default(8),
    layerBits: z.record(z.string(), LayerBitsSchema).default({}),
    epochs: z.number().int().min(1).max(1000).default(20),
    batchSize: z.number().int().min(1).max(4096).default(64),
    /** Default: the method's own (`lowBitTrainingDefaults`), filled in below. */
    learningRate: z.number().positive().max(1).optional(),
    /**
     * Learning rate over the run: constant, or cosine-decayed from learningRate to 0 at the last step.
     * Default: the method's own (`lowBitTrainingDefaults`).
     */
    lrSchedule: z.enum(['constant', 'cosine']).optional(),
    /** Maximum regulariser strength λ_max (universal methods), annealed from λ_max·10⁻⁴. */
    lambda: z.number().positive().max(1e6).default(1),
    /** A weight counts as "on a level" within ε (in units of the layer's scale α). */
    epsilon: z.number().positive().max(0.5).default(0.05),
    /**
     * Knowledge distillation from the float parent (null = off): loss = α·CE(labels) + (1 − α)·T²·
     * KL(softmax(teacher/T) ‖ softmax(student/T)), the teacher's logits computed once before training.
     */
    distill: z
      .object({
        alpha: z.number().min(0).max(1).default(0.5),
        temperature: z.number().positive().max(100).default(4),
      })
      .nullable()
      .default(null),
    /**
     * Universal methods: epochs after the hard rounding in which the 1-bit/N-bit levels stay frozen and
     * only the float parameters (biases) and the per-channel scales α are trained, on the rounded network
     * (0 = off). The weights remain the S1/S2-trained levels; this adapts the rest to them.
     */
    roundedEpochs: z.number().int().min(0).max(1000).default(0),
    /** Train from the model builder's initialisation instead of the float parent's weights. */
    fromScratch: z.boolean().default(false),
    seed: Seed.default(1),
    /** Training windows used (0 = all): to keep a run short on big data sets. */
    maxTrainWindows: z.number().int().min(0).default(0),
  })
  .transform((c) => {
    // Every path (CLI, app, API, bench, tests) gets the same per-method defaults.
    const d = lowBitTrainingDefaults(c.method);
    return { ...c, learningRate: c.learningRate ?? d.learningRate, lrSchedule: c.lrSchedule ?? d.lrSchedule };
  });
export type LowBitConfig = z.infer<typeof LowBitConfigSchema>;
export type LowBitConfigInput = z.input<typeof LowBitConfigSchema>;

/**
 * The learning rate and schedule a method runs with when none is given. QAT fine-tunes a trained float
 * model from its PTQ point, so it starts lower and decays: on har-fp (seed 1, 5 epochs) 0.0005 cosine gave
 * 93.69 / 92.32 / 93.02 % at W4A4 / W3A3 / W2A2 against 93.02 / 91.96 / 92.26 % at 0.002 constant
 * (docs/low-bit.md). Universal training keeps 0.002, constant. LowBitConfigSchema fills these in.
 */
export function lowBitTrainingDefaults(method: LowBitMethod): {
  learningRate: number;
  lrSchedule: 'constant' | 'cosine';
} {
  return method === 'qat-ste' || method === 'qat-lsq'
    ? { learningRate: 5e-4, lrSchedule: 'cosine' }
    : { learningRate: 2e-3, lrSchedule: 'constant' };
}

/** One weight tensor's histogram in units of its scale (levels at integers; binary at ±1). */
export const WeightHistogramSchema = z.object({
  layer: z.string(),
  param: z.string(),
  bits: z.number().int(),
  lo: z.number(),
  hi: z.number(),
  counts: z.array(z.number().int()),
  /** Fraction of weights within ε of a level. */
  near_fraction: z.number(),
});
export type WeightHistogram = z.infer<typeof WeightHistogramSchema>;

export const EpochReportSchema = z.object({
  epoch: z.number().int(),
  task_loss: z.number(),
  /** Σ S(w/α) over the regularised layers (universal) — 0 for QAT. */
  regulariser: z.number(),
  lambda: z.number(),
  /** Learning rate of the epoch's last step (lrSchedule); absent in reports written before it. */
  learning_rate: z.number().optional(),
  /** Validation accuracy with the weights as trained (universal: float weights; QAT: fake-quant). */
  val_accuracy: z.number(),
  /** Validation accuracy after hard rounding every quantized layer to its grid. */
  val_accuracy_rounded: z.number(),
  near_fraction: z.number(),
  histograms: z.array(WeightHistogramSchema),
});
export type EpochReport = z.infer<typeof EpochReportSchema>;

export const LowBitLayerSchema = z.object({
  layer: z.string(),
  param: z.string(),
  bits: z.number().int(),
  weights: z.number().int(),
  near_fraction: z.number(),
});

export const LowBitReportSchema = z.object({
  name: z.string().nullable(),
  parent: z.string(),
  method: LowBitMethod,
  weights_bits: z.number(),
  acts_bits: z.number(),
  layer_bits: z.record(z.string(), z.number()),
  float_accuracy: z.number(),
  /** Test split, weights hard-rounded, activations float (the seed's "after rounding"). */
  accuracy_before_rounding: z.number(),
  accuracy_after_rounding: z.number(),
  /** Test split, integer-exact (null when the integer engine cannot run this model yet: reason in integer_note). */
  accuracy: z.number().nullable(),
  integer_note: z.string().nullable(),
  near_fraction: z.number(),
  layers: z.array(LowBitLayerSchema),
  float_bytes: z.number(),
  /** Stored bytes as the seed counts them: packed weights at their bits + int32 biases. */
  stored_bytes: z.number(),
  model_bytes: z.number().nullable(),
  bops: z.number().nullable(),
  peak_memory_bytes: z.number().nullable(),
  epochs: z.array(EpochReportSchema),
  /**
   * QAT: the epoch whose network was kept, the one with the best validation accuracy after rounding
   * (0 = the PTQ starting point). Universal methods keep their last epoch: null. Absent in older reports.
   */
  kept_epoch: z.number().int().nullable().optional(),
  seconds: z.number(),
  backend: z.string(),
  config: LowBitConfigSchema,
});
export type LowBitReport = z.infer<typeof LowBitReportSchema>;

export const LowBitTrainInput = z.object({
  /** Float parent model name. */
  model: z.string().min(1).max(80),
  /** Name of the quantized variant to create (default: <model>-<method>-w<bits>). */
  name: ModelName.optional(),
  dataset: z.string().min(1).max(80).optional(),
  config: LowBitConfigSchema,
  overwrite: z.boolean().default(false),
});
export type LowBitTrainInput = z.input<typeof LowBitTrainInput>;

export const SensitivityInput = z.object({
  model: z.string().min(1).max(80),
  dataset: z.string().min(1).max(80).optional(),
  bits: z.array(Bits).min(1).max(8).default([1, 2, 4, 8]),
  seeds: z.number().int().min(1).max(20).default(5),
  /** `universal`: fine-tune with S1 on the one layer; `ptq`: round the one layer, no training. */
  mode: z.enum(['universal', 'ptq']).default('universal'),
  epochs: z.number().int().min(1).max(100).default(3),
  regulariser: z.enum(['s1', 's2']).default('s1'),
  maxTrainWindows: z.number().int().min(0).default(2000),
});
export type SensitivityInput = z.input<typeof SensitivityInput>;

export const SensitivityCellSchema = z.object({
  layer: z.string(),
  bits: z.number().int(),
  /** Accuracy drop vs float (points), before and after hard rounding, mean and std over seeds. */
  drop_before_mean: z.number(),
  drop_before_std: z.number(),
  drop_after_mean: z.number(),
  drop_after_std: z.number(),
  runs: z.array(z.object({ seed: z.number(), before: z.number(), after: z.number() })),
});
export type SensitivityCell = z.infer<typeof SensitivityCellSchema>;

export const SensitivityReportSchema = z.object({
  model: z.string(),
  mode: z.enum(['universal', 'ptq']),
  float_accuracy: z.number(),
  bits: z.array(z.number().int()),
  seeds: z.number().int(),
  /**
   * Per weighted layer: its weight count and bias count (for the size model of the proposal), and the
   * weight count of each packed tensor (kernel, then a GRU's recurrent kernel), each stored in whole bytes.
   */
  layers: z.array(
    z.object({
      layer: z.string(),
      weights: z.number().int(),
      biases: z.number().int(),
      weight_tensors: z.array(z.number().int()).optional(),
    }),
  ),
  cells: z.array(SensitivityCellSchema),
  seconds: z.number(),
  /**
   * The windows the drops are measured on (the validation split): one window is 100 / n points, so a
   * small split cannot show a drop smaller than that. Absent in reports made before 2026-12-07.
   */
  eval_windows: z.number().int().optional(),
});
export type SensitivityReport = z.infer<typeof SensitivityReportSchema>;

/** How many windows a sensitivity report measured on, and what one window weighs, for its header. */
export function sensitivityBasis(r: Pick<SensitivityReport, 'eval_windows'>): string | undefined {
  const n = r.eval_windows;
  if (n === undefined) return undefined;
  const one = `one window = ${(100 / Math.max(1, n)).toFixed(2)} points`;
  return n < 100
    ? `measured on only ${n} validation windows (${one}): drops below that are not resolved, and 0.00 means no window changed`
    : `measured on ${n.toLocaleString('en-US')} validation windows (${one})`;
}

export const ProposeInput = z.object({
  report: SensitivityReportSchema,
  /** Largest acceptable accuracy drop (points, predicted as the sum of per-layer drops). */
  maxDrop: z.number().min(0).max(100).optional(),
  /** Largest acceptable stored size (bytes: packed weights + int32 biases). */
  maxBytes: z.number().positive().optional(),
});
export type ProposeInput = z.input<typeof ProposeInput>;

export const ProposalSchema = z.object({
  layer_bits: z.record(z.string(), z.number().int()),
  predicted_drop: z.number(),
  stored_bytes: z.number(),
  meets_target: z.boolean(),
  /** Pareto front of (bytes, predicted drop) over the measured bit widths. */
  pareto: z.array(
    z.object({
      layer_bits: z.record(z.string(), z.number().int()),
      stored_bytes: z.number(),
      predicted_drop: z.number(),
    }),
  ),
  note: z.string(),
});
export type Proposal = z.infer<typeof ProposalSchema>;

export const lowbitService = {
  /** Validates (model, bit table, config) and starts a low-bit training job; result: LowBitReport. */
  train: method(LowBitTrainInput, z.object({ jobId: z.string() })),
  /** Starts a layer sensitivity job; result: SensitivityReport. */
  sensitivity: method(SensitivityInput, z.object({ jobId: z.string() })),
  /** Proposes a per-layer bit table from a sensitivity report and a size or accuracy target. */
  propose: method(ProposeInput, ProposalSchema),
  /** The low-bit report of a variant made by `train` (histograms per epoch included). */
  report: method(z.object({ name: z.string().min(1) }), LowBitReportSchema),
};
