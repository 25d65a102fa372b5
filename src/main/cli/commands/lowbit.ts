import type { Command } from 'commander';
import {
  sensitivityBasis,
  type LowBitConfigInput,
  type LowBitReport,
  type SensitivityReport,
} from '../../../shared/api/lowbit';
import { parseLayerBits } from '../../../shared/api/quant';
import { startLowBitTraining, startSensitivity } from '../../quant/lowbit-service';
import { proposeTable } from '../../quant/sensitivity/proposal';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

/**
 * Low-bit training from `bitbench quantize --method universal-s1|universal-s2|qat-ste|qat-lsq …`
 * (dispatched from quantize.ts) and `bitbench sensitivity --model … --bits 1,2,4,8 --seeds 5 --json`.
 */
export interface LowBitFlags extends CommonOptions {
  model: string;
  name?: string;
  method: string;
  weights?: string;
  acts?: string;
  layerBits?: string;
  epochs?: string;
  lambda?: string;
  lr?: string;
  lrSchedule?: string;
  distill?: string | boolean;
  roundedEpochs?: string;
  batch?: string;
  seed?: string;
  maxTrain?: string;
  fromScratch?: boolean;
  dataset?: string;
  overwrite?: boolean;
}

function num(
  v: string | undefined,
  flag: string,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) fail(`${flag} must be ${what}, got "${v}".`);
  return n;
}

/**
 * `--distill` (α 0.5, T 4) or `--distill alpha=0.3,t=2` (either key may be left out; `temperature=` too):
 * the distillation settings of the low-bit config.
 */
export function parseDistill(v: string | boolean): { alpha?: number; temperature?: number } {
  if (v === true || v === '') return {};
  const out: { alpha?: number; temperature?: number } = {};
  for (const part of String(v).split(',')) {
    const [k, val, ...rest] = part.split('=').map((x) => x.trim());
    const n = Number(val);
    if (!k || val === undefined || val === '' || rest.length || !Number.isFinite(n))
      fail(`--distill: "${part}" is not key=number (e.g. --distill alpha=0.5,t=4).`);
    if (k === 'alpha') {
      if (n < 0 || n > 1) fail(`--distill: alpha must be in [0, 1], got ${n}.`);
      out.alpha = n;
    } else if (k === 't' || k === 'temperature') {
      if (n <= 0 || n > 100) fail(`--distill: the temperature must be in (0, 100], got ${n}.`);
      out.temperature = n;
    } else fail(`--distill: unknown key "${k}" (alpha, t).`);
  }
  return out;
}

const bits = (v: string | undefined, flag: string) =>
  num(v, flag, (n) => Number.isInteger(n) && n >= 1 && n <= 8, 'a bit width 1..8');
const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(2)} %`);

/** `defaulted`: which bit widths the command left to the low-bit defaults (W1, A8), said so in the text. */
export function renderLowBit(r: LowBitReport, defaulted: { weights?: boolean; acts?: boolean } = {}): string {
  const last = r.epochs[r.epochs.length - 1];
  const bitsText = (n: number) => `${n} bit${n === 1 ? '' : 's'}`;
  return [
    `${r.name ?? '(not stored)'}  (from ${r.parent}, ${r.method}, W${r.weights_bits}A${r.acts_bits}, layers ${Object.entries(
      r.layer_bits,
    )
      .map(([k, b]) => `${k}=${b}`)
      .join(',')})`,
    `accuracy   float ${pct(r.float_accuracy)} → before rounding ${pct(r.accuracy_before_rounding)} → after rounding ${pct(r.accuracy_after_rounding)} → integer ${pct(r.accuracy)}`,
    ...(r.integer_note ? [`           ${r.integer_note}`] : []),
    `bits       weights ${bitsText(r.weights_bits)}${defaulted.weights ? ' (the low-bit default; --weights to change)' : ''}, activations ${bitsText(r.acts_bits)}${defaulted.acts ? ' (default; --acts to change)' : ''}${
      Object.values(r.layer_bits).some((b) => b !== r.weights_bits)
        ? `; per layer ${Object.entries(r.layer_bits)
            .map(([k, b]) => `${k}=${b}`)
            .join(',')}`
        : ''
    }`,
    `weights    ${(100 * r.near_fraction).toFixed(1)} % within ε = ${r.config.epsilon} of a level; ${r.layers.map((l) => `${l.layer}.${l.param} ${l.bits}b ${(100 * l.near_fraction).toFixed(1)} %`).join(', ')}`,
    `size       stored ${r.stored_bytes} B (packed weights + int32 biases; float32 ${r.float_bytes} B)${r.model_bytes !== null ? `, blob estimate ${r.model_bytes} B` : ''}`,
    ...(r.bops !== null
      ? [`compute    ${(r.bops / 1e6).toFixed(2)} MBOPs, peak memory ${r.peak_memory_bytes} B`]
      : []),
    `training   ${r.epochs.length - 1} epochs, last task loss ${last?.task_loss.toFixed(4)}, regulariser ${last?.regulariser.toFixed(4)} (λ ${last?.lambda.toExponential(2)})${r.config.distill ? `, distilled from the parent (α ${r.config.distill.alpha}, T ${r.config.distill.temperature})` : ''}; ${r.seconds.toFixed(1)} s on ${r.backend}`,
    ...(typeof r.kept_epoch === 'number'
      ? [
          `kept       epoch ${r.kept_epoch} (best validation accuracy after rounding, ${pct(r.epochs[r.kept_epoch]?.val_accuracy_rounded ?? null)}${r.kept_epoch === 0 ? ': no epoch beat the PTQ start' : ''})`,
        ]
      : []),
  ].join('\n');
}

/** `bitbench quantize` with a low-bit method. */
export async function runLowBitQuantize(rt: CliRuntime, o: LowBitFlags): Promise<void> {
  const config: LowBitConfigInput = { method: o.method as LowBitConfigInput['method'] };
  const w = bits(o.weights, '--weights');
  const a = bits(o.acts, '--acts');
  if (w !== undefined) config.weightBits = w;
  if (a !== undefined) config.actBits = a;
  const epochs = num(
    o.epochs,
    '--epochs',
    (n) => Number.isInteger(n) && n >= 1 && n <= 1000,
    'a whole number 1..1000',
  );
  const lambda = num(o.lambda, '--lambda', (n) => n > 0, 'a positive number');
  const lr = num(o.lr, '--lr', (n) => n > 0 && n <= 1, 'a learning rate in (0, 1]');
  const batch = num(
    o.batch,
    '--batch',
    (n) => Number.isInteger(n) && n >= 1 && n <= 4096,
    'a batch size 1..4096',
  );
  const seed = num(o.seed, '--seed', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
  const maxTrain = num(o.maxTrain, '--max-train', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
  const roundedEpochs = num(
    o.roundedEpochs,
    '--rounded-epochs',
    (n) => Number.isInteger(n) && n >= 0 && n <= 1000,
    'a whole number 0..1000',
  );
  if (roundedEpochs !== undefined) config.roundedEpochs = roundedEpochs;
  if (epochs !== undefined) config.epochs = epochs;
  if (lambda !== undefined) config.lambda = lambda;
  if (lr !== undefined) config.learningRate = lr;
  if (o.lrSchedule !== undefined) {
    if (o.lrSchedule !== 'constant' && o.lrSchedule !== 'cosine')
      fail(`--lr-schedule: "${o.lrSchedule}" is not constant or cosine.`);
    config.lrSchedule = o.lrSchedule;
  }
  if (o.distill !== undefined && o.distill !== false) config.distill = parseDistill(o.distill);
  if (batch !== undefined) config.batchSize = batch;
  if (seed !== undefined) config.seed = seed;
  if (maxTrain !== undefined) config.maxTrainWindows = maxTrain;
  if (o.fromScratch) config.fromScratch = true;
  if (o.layerBits) {
    try {
      config.layerBits = parseLayerBits(o.layerBits);
    } catch (err) {
      fail(`--layer-bits: ${(err as Error).message}`);
    }
  }
  const { ctx } = await rt.open(o);
  const handle = startLowBitTraining(ctx, {
    model: o.model,
    config,
    overwrite: o.overwrite ?? false,
    ...(o.name ? { name: o.name } : {}),
    ...(o.dataset ? { dataset: o.dataset } : {}),
  });
  const report = await rt.follow(ctx, handle, o);
  rt.print(o, report, (r) => renderLowBit(r, { weights: w === undefined, acts: a === undefined }));
}

function renderSensitivity(r: SensitivityReport & { proposal?: ReturnType<typeof proposeTable> }): string {
  const lines = [
    `${r.model}: layer sensitivity (${r.mode}), float accuracy ${(100 * r.float_accuracy).toFixed(2)} %, ${r.seeds} seeds; drop in points (mean ± std), before → after rounding`,
    ...[sensitivityBasis(r)].filter((l): l is string => l !== undefined),
    `layer        ${r.bits.map((b) => `${b} bit`.padEnd(24)).join('')}`,
    ...r.layers.map(
      (l) =>
        `${l.layer.padEnd(12)} ${r.bits
          .map((b) => {
            const c = r.cells.find((x) => x.layer === l.layer && x.bits === b)!;
            return `${c.drop_before_mean.toFixed(2)} → ${c.drop_after_mean.toFixed(2)} ± ${c.drop_after_std.toFixed(2)}`.padEnd(
              24,
            );
          })
          .join('')}`,
    ),
  ];
  if (r.proposal)
    lines.push(
      '',
      `proposed: ${Object.entries(r.proposal.layer_bits)
        .map(([k, b]) => `${k}=${b}`)
        .join(
          ',',
        )}  (${r.proposal.stored_bytes} B, predicted drop ${r.proposal.predicted_drop.toFixed(2)} points; ${r.proposal.note})`,
    );
  lines.push(`${r.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

export function registerLowBitCommands(program: Command, rt: CliRuntime): void {
  command(
    program,
    'sensitivity',
    'layer sensitivity: one layer at a time at each bit width, accuracy drop over seeds (seed 000 Fig. 3)',
  )
    .requiredOption('--model <name>', 'float model')
    .option('--bits <list>', 'bit widths, e.g. 1,2,4,8', '1,2,4,8')
    .option('--seeds <n>', 'repetitions per cell', '5')
    .option(
      '--mode <mode>',
      'universal (fine-tune that layer with S1, then round) or ptq (round only)',
      'universal',
    )
    .option('--epochs <n>', 'fine-tuning epochs per cell (universal mode)', '3')
    .option('--max-train <n>', 'training windows used per run (0 = all)', '2000')
    .option('--max-drop <points>', 'propose a per-layer table with at most this predicted accuracy drop')
    .option('--max-bytes <n>', 'propose a per-layer table of at most this many stored bytes')
    .option('--dataset <name>', 'dataset (default: the one the model was trained on)')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<
        CommonOptions & {
          model: string;
          bits: string;
          seeds: string;
          mode: string;
          epochs: string;
          maxTrain: string;
          maxDrop?: string;
          maxBytes?: string;
          dataset?: string;
        }
      >(cmd);
      const list = o.bits.split(',').map((s) => s.trim());
      const bitList = list.map((b) => bits(b, '--bits')!);
      const seeds = num(
        o.seeds,
        '--seeds',
        (n) => Number.isInteger(n) && n >= 1 && n <= 20,
        'a whole number 1..20',
      )!;
      const epochs = num(
        o.epochs,
        '--epochs',
        (n) => Number.isInteger(n) && n >= 1 && n <= 100,
        'a whole number 1..100',
      )!;
      const maxTrain = num(
        o.maxTrain,
        '--max-train',
        (n) => Number.isInteger(n) && n >= 0,
        'a whole number ≥ 0',
      )!;
      if (o.mode !== 'universal' && o.mode !== 'ptq')
        fail(`--mode must be universal or ptq, got "${o.mode}".`);
      // PTQ mode rounds the float weights, no training: the training flags would be ignored.
      const training = [
        ['epochs', '--epochs'],
        ['maxTrain', '--max-train'],
      ].filter(([key]) => cmd.getOptionValueSource(key!) === 'cli');
      if (o.mode === 'ptq' && training.length > 0)
        fail(
          `${training.map(([, flag]) => flag).join(', ')}: --mode ptq rounds the float weights without training and would ignore ${training.length === 1 ? 'it' : 'them'}; use --mode universal to fine-tune.`,
        );
      const maxDrop = num(o.maxDrop, '--max-drop', (n) => n >= 0, 'a number of points ≥ 0');
      const maxBytes = num(o.maxBytes, '--max-bytes', (n) => n > 0, 'a positive number of bytes');
      const { ctx } = await rt.open(o);
      const handle = startSensitivity(ctx, {
        model: o.model,
        bits: bitList,
        seeds,
        mode: o.mode as 'universal' | 'ptq',
        epochs,
        maxTrainWindows: maxTrain,
        ...(o.dataset ? { dataset: o.dataset } : {}),
      });
      const report = await rt.follow(ctx, handle, o);
      const proposal =
        maxDrop !== undefined || maxBytes !== undefined
          ? proposeTable(report, {
              ...(maxDrop !== undefined ? { maxDrop } : {}),
              ...(maxBytes !== undefined ? { maxBytes } : {}),
            })
          : undefined;
      rt.print(o, proposal ? { ...report, proposal } : report, renderSensitivity);
    });
}
