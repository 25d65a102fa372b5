import type { Command } from 'commander';
import {
  hasLayerTable,
  parseLayerBits,
  parseMethod,
  PTQ_STEPS,
  reportWarnings,
  tuningSummary,
  type PtqConfig,
  type PtqReport,
  type VariantSummary,
} from '../../../shared/api/quant';
import { BitbenchError } from '../../../shared/errors';
import { isLowBitMethod, LOWBIT_METHODS } from '../../../shared/api/lowbit';
import { runLowBitQuantize, type LowBitFlags } from './lowbit';
import { startQuantize } from '../../quant/quant-service';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

/**
 * `bitbench quantize --model har-fp --weights 4 --acts 4 --method cle+mse+adaround+bias-correction
 *   --calib 1024 --seed 1 --name har-w4a4 [--layer-bits conv1=4,fc=8/8] --json`
 * and `bitbench variants list|show`.
 */
interface QuantizeFlags extends CommonOptions {
  model: string;
  name?: string;
  weights?: string;
  acts?: string;
  inputBits?: string;
  method?: string;
  calib?: string;
  seed?: string;
  layerBits?: string;
  iterations?: string;
  tuningIterations?: string;
  qdropProb?: string;
  logitRange?: string;
  dataset?: string;
  overwrite?: boolean;
}

function bitsFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 8)
    fail(`${flag} must be a bit width 1..8, got "${v}".`);
  return Number(v);
}

function intFlag(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) fail(`${flag} must be a whole number ≥ ${min}, got "${v}".`);
  return Number(v);
}

const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
const db = (v: number | null) => (v === null ? 'exact' : `${v.toFixed(1)} dB`);

const int = (v: number) => v.toLocaleString('en-US');

/** Columns padded to their widest cell (header included); the last column is left ragged. */
function table(rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) =>
        c === r.length - 1 ? cell : right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!),
      )
      .join('  ')
      .trimEnd(),
  );
}

export function renderReport(r: PtqReport): string {
  const mixed = hasLayerTable(r.config);
  const containers = r.per_layer.some(
    (l) => l.bits.weights === 3 || (l.bits.weights > 4 && l.bits.weights < 8),
  );
  const layerRows = [
    ['layer', 'W/A/in', 'MACs', 'BOPs', 'SQNR out', 'W-only acc', 'A-only acc', 'optimisation'],
    ...r.per_layer.map((l) => [
      l.name,
      `${l.bits.weights}/${l.bits.acts}/${l.bits.input}`,
      int(l.macs),
      int(l.bops),
      db(l.sqnr),
      pct(l.weight_only.accuracy),
      pct(l.act_only.accuracy),
      l.optimisation ? `${l.optimisation.method} ${l.optimisation.kept ? 'kept' : 'nearest kept'}` : '-',
    ]),
    ['input', `-/${r.config.inputBits}`, '', '', '', '', pct(r.input_act_only.accuracy), ''],
  ];
  const lines = [
    `${r.name}  (from ${r.parent}, ${r.method}, W${r.weights_bits}A${r.acts_bits}${mixed ? ' with a per-layer table' : ''}, ${r.calib} calibration windows, seed ${r.seed})`,
    `accuracy   ${pct(r.accuracy)} integer   (float ${pct(r.float_accuracy)}, fake-quant ${pct(r.fake_quant_accuracy)}; agrees with float on ${pct(r.agreement_with_float)}; integer = fake-quant on ${pct(r.integer_matches_fake_quant)})`,
    ...reportWarnings(r).map((w) => `warning    ${w}`),
    `size       ${int(r.model_bytes)} B  (weights ${int(r.weight_bytes)} B packed${containers ? ' in 1/2/4/8-bit containers' : ''} + biases ${int(r.bias_bytes)} B + metadata ${int(r.metadata_bytes)} B; float32 ${int(r.float_model_bytes)} B)`,
    `compute    ${(r.bops / 1e6).toFixed(1)} MBOPs  (float ${(r.float_bops / 1e6).toFixed(1)} MBOPs; ${int(r.macs)} MACs)`,
    `memory     peak ${int(r.peak_memory_bytes)} B (weights at their bits + largest activation; float ${int(r.float_peak_memory_bytes)} B), firmware arena at least ${int(r.arena_bytes)} B (one layer's input + output + scratch; a board with room uses more: deploy estimate)`,
    '',
    ...table(layerRows, new Set([2, 3, 4, 5, 6])),
    ...(r.debug
      ? [
          `(W-only / A-only: one layer quantized at a time, on the first ${r.debug.count} test windows; float there ${pct(r.debug.float_accuracy)})`,
        ]
      : []),
    ...(r.bias_tuning ? ['', `tuning     ${tuningSummary(r.bias_tuning)}`] : []),
    '',
    `per class: ${r.per_class.map((c) => `${c.class} ${pct(c.accuracy)} (float ${pct(c.float_accuracy)})`).join(', ')}`,
    `integer accuracy from: ${r.integer_reference}${r.engine_matches_sim !== null ? ` (engine = PTQ simulation on ${pct(r.engine_matches_sim)} of logits)` : ''}`,
    `${r.seconds.toFixed(1)} s on ${r.backend}`,
  ];
  return lines.join('\n');
}

function renderVariants(v: VariantSummary[]): string {
  if (v.length === 0)
    return 'No quantized variants yet. Make one with `bitbench quantize --model <float model> --name <variant>`.';
  return table(
    [
      ['variant', 'parent', 'W/A', 'accuracy', 'size', 'method'],
      ...v.map((s) => [
        s.name,
        s.parent,
        `W${s.weights_bits}A${s.acts_bits}${s.mixed ? ' mixed' : ''}`,
        `${pct(s.accuracy)}${s.collapsed ? ' collapsed' : ''}`,
        `${int(s.model_bytes)} B`,
        s.method,
      ]),
    ],
    new Set([3, 4]),
  ).join('\n');
}

/**
 * A method the CLI can run: PTQ steps joined by +, or one low-bit training method alone. Checked before
 * anything else, so a typo is named first, with every method there is.
 */
function checkMethod(method: string): void {
  if (isLowBitMethod(method)) return;
  const steps = method
    .split('+')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const known = `PTQ steps joined by + (${PTQ_STEPS.join(', ')}) or one low-bit training method alone (${LOWBIT_METHODS.join(', ')})`;
  const lowBit = steps.filter((s) => isLowBitMethod(s));
  if (lowBit.length > 0 && steps.length > 1)
    fail(`--method: the low-bit training method ${lowBit[0]} is used alone, not joined to other steps by +.`);
  const unknown = steps.filter((s) => !isLowBitMethod(s) && !(PTQ_STEPS as readonly string[]).includes(s));
  if (steps.length === 0 || unknown.length > 0)
    fail(
      `--method: ${steps.length === 0 ? 'empty' : `unknown method ${unknown.map((s) => `"${s}"`).join(', ')}`}; known: ${known}.`,
    );
  // Known steps in a combination that cannot be (two range setters, two optimisers…).
  try {
    parseMethod(method);
  } catch (err) {
    fail(`--method: ${(err as Error).message}.`);
  }
}

/** Flags only PTQ reads (option key → flag). */
const PTQ_ONLY_FLAGS: Record<string, string> = {
  calib: '--calib',
  iterations: '--iterations',
  tuningIterations: '--tuning-iterations',
  qdropProb: '--qdrop-prob',
  logitRange: '--logit-range',
  inputBits: '--input-bits',
};
/** Flags only low-bit training reads. */
const LOW_BIT_ONLY_FLAGS: Record<string, string> = {
  epochs: '--epochs',
  lambda: '--lambda',
  lr: '--lr',
  lrSchedule: '--lr-schedule',
  distill: '--distill',
  roundedEpochs: '--rounded-epochs',
  batch: '--batch',
  maxTrain: '--max-train',
  fromScratch: '--from-scratch',
};

export function registerQuantizeCommands(program: Command, rt: CliRuntime): void {
  command(
    program,
    'quantize',
    'post-training quantization of a float model (the PTQ pipeline of Zhuo et al., tinyML 2022) into a quantized variant',
  )
    .requiredOption('--model <name>', 'float model to quantize')
    .option(
      '--name <name>',
      'name of the quantized variant (required for PTQ; low-bit methods default to <model>-<method>-w<bits>)',
    )
    .option(
      '--weights <bits>',
      'weight bits 1..8 (default 8 for PTQ methods; 1 for the low-bit methods qat-ste, qat-lsq, universal-s1, universal-s2)',
    )
    .option('--acts <bits>', 'activation bits 1..8 (default 8, PTQ and low-bit methods)')
    .option(
      '--input-bits <bits>',
      "the model input's bits 1..8, or acts for the activation bits (seed 003's W/A quantizes the input too); default 8",
    )
    .option(
      '--method <steps>',
      'PTQ steps joined by +: minmax|mse|percentile, cle, bias-absorption, adaround|adaquant|lsq, bias-correction, bias-tuning|weight-tuning|range-tuning, qdrop; or one low-bit training method: universal-s1|universal-s2|qat-ste|qat-lsq',
      'minmax',
    )
    .option('--calib <n>', 'calibration windows drawn from the train split (default 1024)')
    .option('--seed <n>', 'seed of the calibration draw and of AdaRound/LSQ batches (default 1)')
    .option(
      '--layer-bits <table>',
      'per-layer bits: conv1=4 (weights), conv1=4/8 (weights/acts) or fc=/8 (acts), comma-separated; a layer by its name, or as conv, dense, gru (the only one) or conv1, dense2 (the Nth)',
    )
    .option('--iterations <n>', 'AdaRound iterations per layer (default 1000; LSQ uses half)')
    .option(
      '--logit-range <r>',
      "the logits' output grid: argmax (where the runner-up logits live; default) or acts (the activations' range setter)",
    )
    .option('--tuning-iterations <n>', 'bias-/weight-/range-tuning steps of 64 windows (default 400)')
    .option(
      '--qdrop-prob <p>',
      'with qdrop: the probability an activation value skips its quantizer while the steps learn (default 0.5)',
    )
    .option(
      '--dataset <name>',
      'dataset to calibrate/evaluate on (default: the one the model was trained on)',
    )
    .option('--overwrite', 'replace an existing variant of the same name')
    // Low-bit training methods (universal-s1|universal-s2|qat-ste|qat-lsq): see commands/lowbit.ts.
    .option('--epochs <n>', 'low-bit methods: training epochs (default 20)')
    .option('--lambda <x>', 'universal methods: maximum regulariser strength λ (default 1)')
    .option('--lr <x>', 'low-bit methods: learning rate (default 0.002; qat-ste/qat-lsq 0.0005)')
    .option(
      '--lr-schedule <s>',
      'low-bit methods: constant or cosine (decayed to 0 at the end); default constant, qat-ste/qat-lsq cosine',
    )
    .option(
      '--distill [settings]',
      'low-bit methods: distil from the float parent, α·CE + (1−α)·T²·KL; alone α 0.5, T 4, or alpha=0.3,t=2',
    )
    .option(
      '--rounded-epochs <n>',
      'universal methods: epochs after rounding training only biases and scales α, levels frozen (default 0)',
    )
    .option('--batch <n>', 'low-bit methods: batch size (default 64)')
    .option('--max-train <n>', 'low-bit methods: training windows used (default all)')
    .option(
      '--from-scratch',
      'low-bit methods: train from a fresh initialisation instead of the float weights',
    )
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<QuantizeFlags>(cmd);
      if (o.method !== undefined) checkMethod(o.method);
      const lowBit = !!o.method && isLowBitMethod(o.method);
      // A flag of the other family would be silently ignored: refuse it, naming the family it belongs to.
      const given = (flags: Record<string, string>) =>
        Object.entries(flags)
          .filter(([key]) => cmd.getOptionValueSource(key) === 'cli')
          .map(([, flag]) => flag);
      const stray = lowBit ? given(PTQ_ONLY_FLAGS) : given(LOW_BIT_ONLY_FLAGS);
      if (stray.length > 0)
        fail(
          `${stray.join(', ')} ${stray.length === 1 ? 'applies' : 'apply'} to ${lowBit ? 'post-training methods (minmax, mse, adaround, …)' : 'low-bit training methods (qat-ste, qat-lsq, universal-s1, universal-s2)'} only; method "${o.method ?? 'minmax'}" would ignore ${stray.length === 1 ? 'it' : 'them'}.`,
        );
      if (lowBit) return runLowBitQuantize(rt, o as LowBitFlags);
      // Within PTQ too: the steps a flag tunes must be in the method, or it would be ignored.
      const steps = parseMethod(o.method ?? 'minmax');
      const fromCli = (key: string) => cmd.getOptionValueSource(key) === 'cli';
      if (fromCli('iterations') && steps.optimizer === undefined)
        fail(
          `--iterations sets the steps of a layerwise optimiser (adaround, adaquant, lsq); method "${o.method ?? 'minmax'}" has none and would ignore it.`,
        );
      if (fromCli('tuningIterations') && !steps.biasTuning)
        fail(
          `--tuning-iterations sets the steps of bias-tuning, weight-tuning or range-tuning; method "${o.method ?? 'minmax'}" has none of them and would ignore it.`,
        );
      if (fromCli('qdropProb') && !steps.qdrop)
        fail(
          `--qdrop-prob sets QDrop's drop probability; method "${o.method ?? 'minmax'}" has no qdrop step and would ignore it.`,
        );
      if (!o.name) fail('--name is required: the name of the quantized variant to create.');
      const config: Partial<PtqConfig> = {};
      const w = bitsFlag(o.weights, '--weights');
      const a = bitsFlag(o.acts, '--acts');
      const calib = intFlag(o.calib, '--calib', 1);
      const seed = intFlag(o.seed, '--seed', 0);
      const iterations = intFlag(o.iterations, '--iterations', 1);
      const tuningIterations = intFlag(o.tuningIterations, '--tuning-iterations', 1);
      if (w !== undefined) config.weightBits = w;
      if (a !== undefined) config.actBits = a;
      if (o.inputBits !== undefined)
        config.inputBits = o.inputBits === 'acts' ? (a ?? 8) : bitsFlag(o.inputBits, '--input-bits');
      if (calib !== undefined) config.calibSize = calib;
      if (seed !== undefined) config.seed = seed;
      if (iterations !== undefined) config.iterations = iterations;
      if (tuningIterations !== undefined) config.biasTuningIterations = tuningIterations;
      if (o.qdropProb !== undefined) {
        const p = Number(o.qdropProb);
        if (o.qdropProb.trim() === '' || !Number.isFinite(p) || p <= 0 || p >= 1)
          fail(`--qdrop-prob: "${o.qdropProb}" is not a probability between 0 and 1 (exclusive), e.g. 0.5.`);
        config.qdropProb = p;
      }
      if (o.logitRange !== undefined) {
        if (o.logitRange !== 'argmax' && o.logitRange !== 'acts')
          fail(`--logit-range: "${o.logitRange}" is not argmax or acts.`);
        config.logitRange = o.logitRange;
      }
      if (o.layerBits !== undefined) {
        try {
          config.layerBits = parseLayerBits(o.layerBits);
        } catch (err) {
          fail(`--layer-bits: ${(err as Error).message}`);
        }
      }
      const { ctx } = await rt.open(o);
      const handle = startQuantize(ctx, {
        model: o.model,
        name: o.name,
        method: o.method,
        config,
        overwrite: o.overwrite ?? false,
        ...(o.dataset ? { dataset: o.dataset } : {}),
      });
      const report = await rt.follow(ctx, handle, o);
      rt.print(o, report, renderReport);
    });

  const variants = program.command('variants').description('quantized variants of float models');
  command(variants, 'list', 'quantized variants, newest first')
    .option('--model <name>', 'only variants of this float model')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { model?: string }>(cmd);
      const { services } = await rt.open(o);
      rt.print(o, await services.quant.variants(o.model ? { model: o.model } : {}), renderVariants);
    });
  command(variants, 'show <name>', 'the report of one quantized variant')
    .option('--integer-model', 'with --json: include the integer model')
    .action(async (name: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { integerModel?: boolean }>(cmd);
      if (o.integerModel && !o.json)
        fail('--integer-model goes with --json (the text report has no place for the integer model).');
      const { services } = await rt.open(o);
      const d = await services.quant.get({ name });
      // The report as `quantize --json` printed it, plus what `variants list` says of the variant.
      const { mixed, collapsed, created_at } = d.summary;
      if (o.json)
        rt.print(
          o,
          o.integerModel ? d : { ...d.report, mixed, collapsed, created_at, settings: d.settings },
          () => '',
        );
      else rt.print(o, d.report, renderReport);
    });
  command(variants, 'remove <name>', 'delete a quantized variant, with its device runs').action(
    async (name: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions>(cmd);
      const { services } = await rt.open(o);
      const r = await services.quant.remove({ name });
      if (!r.removed)
        throw new BitbenchError(
          'not_found',
          `No quantized variant named "${name}". See \`bitbench variants list\`.`,
        );
      rt.print(o, r, () => `removed ${name}`);
    },
  );
}
