import { z } from 'zod';
import { Seed } from '../model/seed';
import { AffineEncodingSchema } from '../quant/encoding';
import { IntegerModelSchema } from '../quant/integer-model';
import { method } from './define';
import { ModelName } from './models';

/**
 * Post-training quantization (seed 003's pipeline, seed 004's vocabulary). A method string lists the
 * steps joined by '+', e.g. `cle+mse+adaround+bias-correction`; whatever it does not name takes the
 * default below (MinMax ranges, nearest rounding, no CLE, no bias correction).
 */
export const PTQ_STEPS = [
  'minmax',
  'mse',
  'percentile',
  'cle',
  'bias-absorption',
  'adaround',
  'adaquant',
  'lsq',
  'bias-correction',
  'bias-tuning',
  'weight-tuning',
  'range-tuning',
  'qdrop',
] as const;
export const PtqStep = z.enum(PTQ_STEPS);
export type PtqStep = z.infer<typeof PtqStep>;

export const Bits = z.number().int().min(1, 'bits must be 1..8').max(8, 'bits must be 1..8');
export const RangeMethod = z.enum(['minmax', 'mse', 'percentile']);

export const LayerBitsSchema = z.object({ weights: Bits.optional(), acts: Bits.optional() });
export type LayerBitsEntry = z.infer<typeof LayerBitsSchema>;

export const PtqConfigSchema = z.object({
  weightBits: Bits.default(8),
  actBits: Bits.default(8),
  /** Per-layer overrides by layer name (conv/dense layers of the spec). */
  layerBits: z.record(z.string(), LayerBitsSchema).default({}),
  /** Model input and final logits stay 8-bit unless a layer entry says otherwise (see docs/quantization.md). */
  inputBits: Bits.default(8),
  foldBatchNorm: z.boolean().default(true),
  cle: z.boolean().default(false),
  biasAbsorption: z.boolean().default(false),
  weightRange: RangeMethod.default('minmax'),
  actRange: RangeMethod.default('minmax'),
  percentile: z.number().min(90).max(100).default(99.99),
  /**
   * The logits' output grid: `argmax` covers where each calibration window's runner-up logit lives
   * (src/main/quant/range-setters.ts, argmaxLogitEncoding); `acts` uses the activations' range setter.
   */
  logitRange: z.enum(['argmax', 'acts']).default('argmax'),
  perChannel: z.boolean().default(true),
  optimizer: z.enum(['none', 'adaround', 'adaquant', 'lsq']).default('none'),
  iterations: z.number().int().min(1).max(100_000).default(1000),
  biasCorrection: z.boolean().default(false),
  /** Seed 003 step 4: end-to-end bias tuning on the calibration set (src/main/quant/bias-tuning.ts). */
  biasTuning: z.boolean().default(false),
  /**
   * End-to-end tuning of the weights on their grids too, with the biases (implies biasTuning): seed
   * 003's blockwise optimisation with the whole network as the block (src/main/quant/bias-tuning.ts).
   */
  weightTuning: z.boolean().default(false),
  /**
   * End-to-end tuning of the activation quantizers' step sizes too, with the biases (implies
   * biasTuning): LSQ's opt_qparam on the activations, whole network (src/main/quant/bias-tuning.ts).
   */
  rangeTuning: z.boolean().default(false),
  /**
   * QDrop (Wei et al. 2022): while the layerwise and end-to-end steps learn, each activation value
   * skips its quantizer with probability `qdropProb`, so what they learn holds for a neighbourhood
   * of the activation noise rather than for the calibration windows' exact noise
   * (src/main/quant/qdrop.ts).
   */
  qdrop: z.boolean().default(false),
  qdropProb: z.number().min(0).max(1).default(0.5),
  biasTuningIterations: z.number().int().min(1).max(100_000).default(400),
  /** Adam's step for the biases, in the model's real units (logits of order 1–10: 1e-3). */
  biasTuningLr: z.number().positive().max(1).default(1e-3),
  calibSize: z.number().int().min(1).max(200_000).default(1024),
  seed: Seed.default(1),
});
export type PtqConfig = z.infer<typeof PtqConfigSchema>;
export type PtqConfigInput = z.input<typeof PtqConfigSchema>;

/** Turns `cle+mse+adaround+bias-correction` into config fields; throws on unknown or clashing steps. */
export function parseMethod(method: string): Partial<PtqConfig> {
  const steps = method
    .split('+')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (steps.length === 0)
    throw new Error('empty method: use e.g. minmax, mse, cle+mse+adaround+bias-correction');
  const out: Partial<PtqConfig> = {};
  for (const [i, s] of steps.entries()) {
    const parsed = PtqStep.safeParse(s);
    if (!parsed.success) throw new Error(`unknown method step "${s}" (known: ${PTQ_STEPS.join(', ')})`);
    if (steps.indexOf(s) !== i) throw new Error(`method names ${s} twice`);
    switch (parsed.data) {
      case 'minmax':
      case 'mse':
      case 'percentile':
        if (out.weightRange && out.weightRange !== parsed.data)
          throw new Error(`method names two range setters (${out.weightRange}, ${parsed.data})`);
        out.weightRange = parsed.data;
        out.actRange = parsed.data;
        break;
      case 'cle':
        out.cle = true;
        break;
      case 'bias-absorption':
        out.biasAbsorption = true;
        break;
      case 'adaround':
      case 'adaquant':
      case 'lsq':
        if (out.optimizer && out.optimizer !== parsed.data)
          throw new Error(
            `method names two layerwise optimisers (${out.optimizer}, ${parsed.data}): pick one of adaround, adaquant, lsq`,
          );
        out.optimizer = parsed.data;
        break;
      case 'bias-correction':
        out.biasCorrection = true;
        break;
      case 'bias-tuning':
        out.biasTuning = true;
        break;
      case 'weight-tuning':
        out.biasTuning = true;
        out.weightTuning = true;
        break;
      case 'range-tuning':
        out.biasTuning = true;
        out.rangeTuning = true;
        break;
      case 'qdrop':
        out.qdrop = true;
        break;
    }
  }
  if (out.qdrop && !out.optimizer && !out.biasTuning)
    throw new Error(
      `qdrop changes how the learning steps see the activations (adaround, adaquant, lsq, bias-tuning, weight-tuning, range-tuning); method "${method}" has none, so it would do nothing`,
    );
  return out;
}

/** The method string of a config (inverse of parseMethod). */
export function methodOf(
  c: Pick<PtqConfig, 'cle' | 'biasAbsorption' | 'weightRange' | 'optimizer' | 'biasCorrection'> &
    Partial<Pick<PtqConfig, 'biasTuning' | 'weightTuning' | 'rangeTuning' | 'qdrop'>>,
): string {
  return [
    c.cle ? 'cle' : '',
    c.biasAbsorption ? 'bias-absorption' : '',
    c.weightRange,
    c.optimizer === 'none' ? '' : c.optimizer,
    c.biasCorrection ? 'bias-correction' : '',
    // weight-/range-tuning tune the biases too (and parse back to both).
    c.weightTuning ? 'weight-tuning' : c.biasTuning && !c.rangeTuning ? 'bias-tuning' : '',
    c.rangeTuning ? 'range-tuning' : '',
    c.qdrop ? 'qdrop' : '',
  ]
    .filter(Boolean)
    .join('+');
}

/** `conv1=4,dense=8` (weights) or `conv1=4/8` (weights/acts) → a per-layer table. */
/**
 * Whether a configuration was given a per-layer bit table: what makes a variant "mixed". PTQ's and
 * low-bit training's configs both hold `layerBits`. (Not read off the layers' bits: below 8 bits the
 * logits keep 8-bit activations by design.)
 */
export function hasLayerTable(config: { layerBits?: Record<string, unknown> | undefined }): boolean {
  return Object.keys(config.layerBits ?? {}).length > 0;
}

export function parseLayerBits(table: string): Record<string, LayerBitsEntry> {
  const out: Record<string, LayerBitsEntry> = {};
  const example = 'e.g. conv1=4,fc1=4/8,fc=/8';
  if (!table.split(',').some((p) => p.trim()))
    throw new Error(`the per-layer table is empty: name=W, name=W/A or name=/A entries, ${example}`);
  for (const part of table
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    // name=W, name=W/A, or name=/A (activations only; the weights keep the default).
    const m = /^([a-z][a-z0-9_]*)\s*=\s*(\d+)?(?:\s*\/\s*(\d+))?$/.exec(part);
    if (!m || (m[2] === undefined && m[3] === undefined))
      throw new Error(`bad layer-bits entry "${part}": expected name=W, name=W/A or name=/A, ${example}`);
    if (Object.hasOwn(out, m[1]!)) throw new Error(`layer "${m[1]}" is named twice in the per-layer table`);
    const w = m[2] === undefined ? undefined : Number(m[2]);
    const a = m[3] === undefined ? undefined : Number(m[3]);
    for (const b of [w, a])
      if (b !== undefined && (b < 1 || b > 8)) throw new Error(`bits must be 1..8 in "${part}"`);
    out[m[1]!] = { ...(w !== undefined ? { weights: w } : {}), ...(a !== undefined ? { acts: a } : {}) };
  }
  return out;
}

/** The layer types a family word in a per-layer table stands for (`conv1`, `dense`, `gru`). */
const LAYER_FAMILIES: Record<string, readonly string[]> = {
  conv: ['conv1d', 'conv2d', 'depthwiseConv1d', 'depthwiseConv2d'],
  dense: ['dense'],
  gru: ['gru'],
};

/**
 * A per-layer table as the issues write it (`conv1=1,gru=8,dense=8`, seed 000's hybrid) works on any
 * model: an entry naming no layer of the model but a family word — `conv`, `dense`, `gru`, alone when
 * the model has one such layer, or with a 1-based index (`conv1`, `dense2`) — stands for that layer.
 * Real layer names always win. Returns the table keyed by layer names; an entry it cannot place is
 * left as it is (the caller refuses it, listing the layers). Throws on a word that fits several
 * layers and on two entries for one layer.
 */
export function resolveLayerAliases(
  layers: readonly { name: string; type: string }[],
  table: Record<string, LayerBitsEntry>,
): Record<string, LayerBitsEntry> {
  const names = new Set(layers.map((l) => l.name));
  const out: Record<string, LayerBitsEntry> = {};
  const given: Record<string, string> = {};
  for (const [key, entry] of Object.entries(table)) {
    let target = key;
    const m = /^(conv|dense|gru)(\d+)?$/.exec(key);
    if (!names.has(key) && m) {
      const members = layers.filter((l) => LAYER_FAMILIES[m[1]!]!.includes(l.type)).map((l) => l.name);
      if (m[2] === undefined && members.length > 1)
        throw new Error(
          `"${key}" in the per-layer table fits ${members.length} layers (${members.join(', ')}): name one, or write ${m[1]}1..${m[1]}${members.length}`,
        );
      const index = m[2] === undefined ? 0 : Number(m[2]) - 1;
      if (index >= 0 && index < members.length) target = members[index]!;
    }
    if (Object.hasOwn(out, target))
      throw new Error(
        `layer "${target}" is named twice in the per-layer table (as "${given[target]}" and "${key}")`,
      );
    out[target] = entry;
    given[target] = key;
  }
  return out;
}

export const PerLayerReportSchema = z.object({
  name: z.string(),
  op: z.string(),
  bits: z.object({ weights: z.number(), acts: z.number(), input: z.number() }),
  macs: z.number(),
  bops: z.number(),
  weight_bytes: z.number(),
  /** SQNR (dB) of this layer's output in the quantized model vs the float model; null when exact. */
  sqnr: z.number().nullable(),
  /** SQNR (dB) of the quantized weights vs the float weights. */
  weight_sqnr: z.number().nullable(),
  /** Seed 004 debugging: only this layer's weights quantized / only its output activation quantized. */
  weight_only: z.object({ accuracy: z.number(), logits_sqnr: z.number().nullable() }),
  act_only: z.object({ accuracy: z.number(), logits_sqnr: z.number().nullable() }),
  /** Layerwise optimisation and bias correction details. */
  optimisation: z
    .object({
      method: z.string(),
      loss_nearest: z.number(),
      loss_after: z.number(),
      kept: z.boolean(),
      soft_fraction: z.number().optional(),
      /** AdaQuant: fraction of integer weights moved away from nearest rounding. */
      changed_fraction: z.number().optional(),
    })
    .nullable(),
  bias_correction_max_abs: z.number().nullable(),
});
export type PerLayerReport = z.infer<typeof PerLayerReportSchema>;

export const PtqReportSchema = z.object({
  name: z.string(),
  parent: z.string(),
  method: z.string(),
  weights_bits: z.number(),
  acts_bits: z.number(),
  float_accuracy: z.number(),
  /** Test split, integer-exact simulation. */
  accuracy: z.number(),
  fake_quant_accuracy: z.number(),
  /** Fraction of test windows where the integer and fake-quant predictions agree. */
  integer_matches_fake_quant: z.number(),
  agreement_with_float: z.number(),
  per_class: z.array(
    z.object({ class: z.string(), count: z.number(), float_accuracy: z.number(), accuracy: z.number() }),
  ),
  /** Bytes on the device: the exported blob's size when the engine exports it, else the estimate below. */
  model_bytes: z.number(),
  /** The device blob's exact size (null when the engine could not export this model). */
  blob_bytes: z.number().nullable(),
  weight_bytes: z.number(),
  bias_bytes: z.number(),
  metadata_bytes: z.number(),
  float_model_bytes: z.number(),
  bops: z.number(),
  float_bops: z.number(),
  peak_memory_bytes: z.number(),
  float_peak_memory_bytes: z.number(),
  /** The int8 activation arena the firmware allocates: the device blob's arena_min (a layer's input + output, plus the kernels' scratch). */
  arena_bytes: z.number(),
  macs: z.number(),
  params: z.number(),
  per_layer: z.array(PerLayerReportSchema),
  /**
   * The debugging rows' windows (the first `count` of the test split) and the float model's accuracy
   * on them, the figure the weight-only / activation-only accuracies compare with. Absent in reports
   * stored before 2026-12-06.
   */
  debug: z.object({ count: z.number(), float_accuracy: z.number() }).optional(),
  /** The input's debugging row: only the model input quantized. */
  input_act_only: z.object({ accuracy: z.number(), logits_sqnr: z.number().nullable() }),
  calib: z.number(),
  test_count: z.number(),
  seed: z.number(),
  seconds: z.number(),
  backend: z.string(),
  integer_reference: z.string(),
  /** Fraction of int8 logits equal between the engine's host reference and PTQ's own integer simulation. */
  engine_matches_sim: z.number().nullable(),
  /** End-to-end bias tuning (seed 003 step 4): logits MSE vs the float model on the calibration set. */
  bias_tuning: z
    .object({
      loss_before: z.number(),
      loss_after: z.number(),
      kept: z.boolean(),
      skipped: z.string().nullable(),
      /** weight-tuning: the layers whose weight levels it changed (when kept). */
      weights_tuned: z.array(z.string()).default([]),
      /** weight-tuning: logits MSE on the held-out quarter of the calibration windows, at the start and kept. */
      held_out: z.object({ before: z.number(), after: z.number() }).nullable().default(null),
      /** range-tuning: each weighted layer's output step size, at the start and kept (when kept). */
      ranges_tuned: z
        .array(z.object({ layer: z.string(), scale_before: z.number(), scale_after: z.number() }))
        .default([]),
    })
    .nullable()
    .default(null),
  /** reportWarnings at the time the report was made (absent in reports older than the field). */
  warnings: z.array(z.string()).optional(),
  config: PtqConfigSchema,
});
export type PtqReport = z.infer<typeof PtqReportSchema>;

/**
 * A variant at about chance level (below 1.5× 1/classes) whose float model is well above it (2×):
 * stored as a measurement, not worth deploying, and off the scale of the good ones on a chart.
 */
export function isCollapsed(r: Pick<PtqReport, 'accuracy' | 'float_accuracy' | 'per_class'>): boolean {
  const classes = r.per_class.length;
  const chance = classes > 0 ? 1 / classes : 0;
  return classes > 1 && r.accuracy < 1.5 * chance && r.float_accuracy >= 2 * chance;
}

/**
 * What a user should not miss in a quantized model's report, worked out from the report itself (so
 * variants stored before this existed get them too): a model that collapsed to about chance level, a
 * large drop from the float model, and integer outputs that differ from the simulation.
 */
export function reportWarnings(
  r: Pick<
    PtqReport,
    'accuracy' | 'float_accuracy' | 'per_class' | 'integer_matches_fake_quant' | 'test_count' | 'method'
  >,
): string[] {
  const out: string[] = [];
  const classes = r.per_class.length;
  const p = (v: number) => `${(100 * v).toFixed(1)} %`;
  const chance = classes > 0 ? 1 / classes : 0;
  const drop = r.float_accuracy - r.accuracy;
  const advice =
    'try MSE ranges with AdaRound and bias correction (mse+adaround+bias-correction), more bits on the layers the W-only / A-only columns single out, or QAT (method qat-lsq, which also learns the activation step sizes)';
  if (isCollapsed(r))
    out.push(
      `The quantized model collapsed: ${p(r.accuracy)} is about chance for ${classes} classes (${p(chance)}), against ${p(r.float_accuracy)} for the float model. It is stored, but not worth deploying; ${advice}.`,
    );
  else if (drop > 0.05)
    out.push(`It loses ${(100 * drop).toFixed(1)} points against the float model (${r.method}); ${advice}.`);
  const differ = Math.round((1 - r.integer_matches_fake_quant) * r.test_count);
  if (differ > 0)
    out.push(
      `The integer model and the float32 simulation predict differently on ${differ} of ${r.test_count} test windows (near-ties that rounding breaks the other way); the accuracy above is the integer model's, which the board runs.`,
    );
  return out;
}

/**
 * Step 4's end-to-end tuning in one line, as the CLI report and the Quantize page show it: the logits
 * MSE against the float model, the held-out check, and what moved.
 */
export function tuningSummary(t: NonNullable<PtqReport['bias_tuning']>): string {
  if (t.skipped) return `skipped: ${t.skipped}`;
  const p3 = (v: number) => v.toPrecision(3);
  const parts = [
    `logits MSE vs float ${p3(t.loss_before)} → ${p3(t.loss_after)}${t.kept ? '' : ' (not kept: no better)'}`,
  ];
  if (t.held_out) parts.push(`held-out quarter ${p3(t.held_out.before)} → ${p3(t.held_out.after)}`);
  if (t.kept && t.weights_tuned.length) parts.push(`weight levels tuned in ${t.weights_tuned.join(', ')}`);
  if (t.kept && t.ranges_tuned.length)
    parts.push(
      `activation step sizes ${t.ranges_tuned.map((x) => `${x.layer} ×${(x.scale_after / x.scale_before).toFixed(3)}`).join(', ')}`,
    );
  return parts.join(' · ');
}

/** What a quantized variant stores besides its integer model: the simulated-quantization settings. */
export const FakeQuantSettingsSchema = z.object({
  input: AffineEncodingSchema,
  layers: z.array(
    z.object({
      name: z.string(),
      weight: AffineEncodingSchema,
      output: AffineEncodingSchema,
      /** GRU only: the recurrent kernel's encoding. */
      recurrent: AffineEncodingSchema.optional(),
    }),
  ),
});
export type FakeQuantSettings = z.infer<typeof FakeQuantSettingsSchema>;

/**
 * The config fields a quantize request sets itself: every PtqConfig field optional and *without* its
 * default. (Zod 4 fills `.default()`s inside `.partial()`: a request's config would then carry every
 * default — MinMax ranges, no bias correction, … — and override its own method string.)
 */
const overrideShape = Object.fromEntries(
  Object.entries(PtqConfigSchema.shape).map(([key, field]) => [
    key,
    (field instanceof z.ZodDefault ? field.unwrap() : field).optional(),
  ]),
);
export const PtqConfigOverridesSchema = z.object(overrideShape) as unknown as z.ZodType<
  Partial<PtqConfig>,
  Partial<PtqConfigInput>
>;

export const QuantizeInput = z.object({
  /** Float parent model name. */
  model: z.string().min(1).max(80),
  /** Name of the quantized variant to create (a model name: it names files on export). */
  name: ModelName,
  /** Dataset name for calibration (train split) and evaluation (test split); default: the model's own. */
  dataset: z.string().min(1).max(80).optional(),
  method: z.string().max(200).optional(),
  /** Explicit fields over the method string's (see PtqConfigOverridesSchema). */
  config: PtqConfigOverridesSchema.default({}),
  /** Replace an existing variant of the same name. */
  overwrite: z.boolean().default(false),
});
export type QuantizeInput = z.input<typeof QuantizeInput>;

export const VariantSummarySchema = z.object({
  name: z.string(),
  parent: z.string(),
  method: z.string(),
  weights_bits: z.number(),
  acts_bits: z.number(),
  /** A per-layer table was given: some layers have other bits than weights_bits / acts_bits (the defaults). */
  mixed: z.boolean(),
  /** About chance level while its float model is not (isCollapsed): the report's "collapsed" warning. */
  collapsed: z.boolean(),
  accuracy: z.number(),
  float_accuracy: z.number(),
  model_bytes: z.number(),
  bops: z.number(),
  peak_memory_bytes: z.number(),
  created_at: z.string(),
});
export type VariantSummary = z.infer<typeof VariantSummarySchema>;

export const VariantDetailSchema = z.object({
  summary: VariantSummarySchema,
  report: PtqReportSchema,
  settings: FakeQuantSettingsSchema,
  integerModel: IntegerModelSchema,
});
export type VariantDetail = z.infer<typeof VariantDetailSchema>;

export const quantService = {
  /** Validates the request (refusing bad input before any work) and starts a PTQ job. */
  quantize: method(QuantizeInput, z.object({ jobId: z.string() })),
  /** Quantized variants, optionally of one parent. */
  variants: method(z.object({ model: z.string().optional() }).default({}), z.array(VariantSummarySchema)),
  get: method(z.object({ name: z.string().min(1) }), VariantDetailSchema),
  remove: method(z.object({ name: z.string().min(1) }), z.object({ removed: z.boolean() })),
};
