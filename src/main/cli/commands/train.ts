import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  TrainRequestSchema,
  type ModelDetail,
  type ModelSummary,
  type TrainSummary,
} from '../../../shared/api/models';
import { TfBackendName } from '../../../shared/api/status';
import type { Evaluation, TrainOptionsInput } from '../../../shared/model/training';
import type { ModelEvaluation } from '../../ml/training-service';
import { ZOO_ARCHS } from '../../ml/zoo';
import { command, fail, optionsOf, type CliRuntime, type CommonOptions } from '../runtime';

/**
 * `bitbench train`, `bitbench models list|show|delete`, `bitbench evaluate`. The JSON field
 * names (`name`, `arch`, `params`, `epochs`, `seconds`, `backend`, `val_accuracy`,
 * `test_accuracy`, …) are a public interface.
 */

interface TrainFlags extends CommonOptions {
  dataset: string;
  arch: string;
  spec?: string;
  name: string;
  epochs: string;
  batchSize: string;
  optimizer: string;
  lr: string;
  schedule: string;
  earlyStopping?: string;
  classWeights: string;
  seed: string;
  augment?: string;
  backend?: string;
  maxTrain?: string;
}

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(2)} %`;

function num(flag: string, v: string, int = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)))
    fail(`--${flag} must be ${int ? 'an integer' : 'a number'}, got "${v}".`);
  return n;
}

function parseClassWeights(v: string): TrainOptionsInput['classWeights'] {
  if (v === 'none' || v === 'balanced') return v;
  return v.split(',').map((x) => num('class-weights', x.trim()));
}

/** "jitter=0.05,scaling=0.1,shift=4" (any subset) → augment options. */
function parseAugment(v: string): NonNullable<TrainOptionsInput['augment']> {
  const out: { jitter?: number; scaling?: number; timeShift?: number } = {};
  for (const part of v.split(',')) {
    const [k, val] = part.split('=').map((s) => s.trim());
    if (!k || val === undefined)
      fail(`--augment takes key=value pairs (jitter, scaling, shift), got "${part}".`);
    if (k === 'jitter') out.jitter = num('augment jitter', val);
    else if (k === 'scaling') out.scaling = num('augment scaling', val);
    else if (k === 'shift' || k === 'timeShift') out.timeShift = num('augment shift', val, true);
    else fail(`--augment: unknown key "${k}" (jitter, scaling, shift).`);
  }
  return out;
}

function humanTrain(s: TrainSummary): string {
  return [
    `model ${s.name} (${s.arch}, ${s.params.toLocaleString('en')} params, ${(s.size_bytes / 1024).toFixed(1)} KiB float32)`,
    `  trained ${s.epochs}/${s.epochs_requested} epochs${s.stopped_early ? ' (early stop)' : ''} in ${s.seconds.toFixed(1)} s (${s.seconds_per_epoch.toFixed(2)} s/epoch, ${s.backend}, seed ${s.seed})`,
    `  on ${s.dataset}@${s.dataset_version}${s.train_windows != null ? ` (${s.train_windows.toLocaleString('en')} training windows)` : ''}: train ${pct(s.train_accuracy)}, val ${pct(s.val_accuracy)}, test ${pct(s.test_accuracy)}`,
  ].join('\n');
}

function humanEval(e: Evaluation & { model?: string }): string {
  const w = Math.max(5, ...e.confusion.classes.map((c) => c.length));
  const lines = [
    `${e.model ?? ''} on ${e.split} (${e.count} windows): accuracy ${pct(e.accuracy)}, loss ${e.loss.toFixed(4)}`,
    `  ${'class'.padEnd(w)}  count  precision  recall     f1`,
    ...e.per_class.map(
      (c) =>
        `  ${c.class.padEnd(w)}  ${String(c.count).padStart(5)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(8)}  ${c.f1.toFixed(3)}`,
    ),
    '  confusion (rows true, columns predicted):',
    ...e.confusion.matrix.map(
      (r, i) => `  ${e.confusion.classes[i]!.padEnd(w)}  ${r.map((v) => String(v).padStart(5)).join(' ')}`,
    ),
  ];
  return lines.join('\n');
}

function humanList(list: ModelSummary[]): string {
  if (list.length === 0)
    return 'No models yet. Train one: bitbench train --dataset <name> --arch har-cnn --name <model>';
  return list
    .map(
      (m) =>
        `${m.name.padEnd(24)} ${m.kind.padEnd(9)} ${m.arch.padEnd(16)} ${String(m.params).padStart(7)} params  val ${pct(m.val_accuracy).padStart(8)}  test ${pct(m.test_accuracy).padStart(8)}  ${m.dataset ? `${m.dataset}@${m.dataset_version}` : ''}  ${m.backend ?? ''}`,
    )
    .join('\n');
}

function humanDetail(m: ModelDetail): string {
  const quantized = m.kind === 'quantized';
  return [
    `${m.name}: ${m.arch}, ${m.params.toLocaleString('en')} params (${(m.size_bytes / 1024).toFixed(1)} KiB ${quantized ? 'as stored on the device' : 'float32'}), ${m.macs.toLocaleString('en')} MACs/window`,
    `  dataset ${m.dataset ?? '–'}@${m.dataset_version ?? '–'}, input [${m.input_shape.join(', ')}], classes ${m.classes.join(', ') || '–'}`,
    quantized
      ? `  quantized variant: its report with \`bitbench variants show ${m.name}\``
      : `  trained ${m.epochs ?? '–'} epochs in ${m.seconds ?? '–'} s on ${m.backend ?? '–'} (seed ${m.seed ?? '–'})`,
    `  accuracy: train ${pct(m.train_accuracy)}, val ${pct(m.val_accuracy)}, test ${pct(m.test_accuracy)}`,
    '  layers:',
    ...m.layers.map(
      (l) =>
        `    ${l.name.padEnd(12)} ${l.type.padEnd(16)} [${l.in_shape.join(', ')}] → [${l.out_shape.join(', ')}]  ${l.params} params`,
    ),
  ].join('\n');
}

export function registerTrainCommands(program: Command, rt: CliRuntime): void {
  command(program, 'train', 'train a model on a dataset in a worker thread (progress on stderr)')
    .requiredOption('--dataset <name>', 'dataset name, optionally name@version')
    .requiredOption('--arch <arch>', `${ZOO_ARCHS.join(', ')}, or custom (with --spec)`)
    .option('--spec <file>', 'custom model spec (JSON file); only with --arch custom')
    .requiredOption('--name <name>', 'name of the new model')
    .option('--epochs <n>', 'epochs', '30')
    .option('--batch-size <n>', 'batch size', '32')
    .option('--optimizer <adam|sgd>', 'optimizer (sgd uses momentum 0.9)', 'adam')
    .option('--lr <rate>', 'learning rate', '0.001')
    .option('--schedule <constant|cosine|step>', 'learning-rate schedule', 'constant')
    .option('--early-stopping <patience>', 'stop when val loss has not improved for this many epochs')
    .option('--class-weights <none|balanced|w1,w2,…>', 'per-class loss weights', 'none')
    .option('--seed <n>', 'seed for initialisation, shuffling and augmentation', '1')
    .option('--augment <spec>', 'IMU augmentation, e.g. jitter=0.05,scaling=0.1,shift=4 (off by default)')
    .option('--backend <tensorflow|wasm|cpu>', 'force a TensorFlow.js backend')
    .option(
      '--max-train <n>',
      'train on a seeded sample of n training windows (a quick first model on a big data set); default all',
    )
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<TrainFlags>(cmd);
      let spec: unknown;
      if (o.spec !== undefined && o.arch !== 'custom')
        fail(
          `--spec is for --arch custom; ${o.arch} is a zoo architecture with its own layers. Drop --spec, or use --arch custom.`,
        );
      if (o.spec) {
        try {
          spec = readFileSync(o.spec, 'utf8');
        } catch (err) {
          fail(`Cannot read the spec file ${o.spec}: ${(err as Error).message}`);
        }
      } else if (o.arch === 'custom') fail('--arch custom needs --spec <file.json>.');
      const backend = o.backend === undefined ? undefined : TfBackendName.safeParse(o.backend);
      if (backend && !backend.success) fail(`--backend must be tensorflow, wasm or cpu, got "${o.backend}".`);
      if (!['adam', 'sgd'].includes(o.optimizer))
        fail(`--optimizer must be adam or sgd, got "${o.optimizer}".`);
      if (!['constant', 'cosine', 'step'].includes(o.schedule))
        fail(`--schedule must be constant, cosine or step, got "${o.schedule}".`);
      const options: TrainOptionsInput = {
        epochs: num('epochs', o.epochs, true),
        batchSize: num('batch-size', o.batchSize, true),
        optimizer: o.optimizer as 'adam' | 'sgd',
        learningRate: num('lr', o.lr),
        schedule: o.schedule as 'constant' | 'cosine' | 'step',
        earlyStopping: o.earlyStopping ? { patience: num('early-stopping', o.earlyStopping, true) } : null,
        classWeights: parseClassWeights(o.classWeights),
        seed: num('seed', o.seed, true),
        augment: o.augment ? parseAugment(o.augment) : null,
        ...(o.maxTrain !== undefined ? { maxTrainWindows: num('max-train', o.maxTrain, true) } : {}),
      };
      const { ctx, services } = await rt.open(o);
      const request = TrainRequestSchema.safeParse({
        dataset: o.dataset,
        arch: o.arch,
        ...(spec !== undefined ? { spec } : {}),
        name: o.name,
        options,
        ...(backend?.success ? { backend: backend.data } : {}),
      });
      if (!request.success) {
        const issue = request.error.issues[0]!;
        fail(`Invalid option ${issue.path.join('.')}: ${issue.message}`);
      }
      const { jobId } = await services.training.start(request.data);
      const summary = await rt.follow<TrainSummary>(ctx, jobId, o);
      rt.print(o, summary, humanTrain);
    });

  const models = program.command('models').description('trained models: list, show (model card), delete');
  command(models, 'list', 'every model, newest first').action(async (_o, cmd: Command) => {
    const o = optionsOf<CommonOptions>(cmd);
    const { services } = await rt.open(o);
    rt.print(o, await services.models.list({}), humanList);
  });
  command(models, 'show <name>', 'the model card: spec, layers, params, metrics, backend, time').action(
    async (name: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions>(cmd);
      const { services } = await rt.open(o);
      rt.print(o, await services.models.show({ name }), humanDetail);
    },
  );
  command(models, 'delete <name>', 'delete a model (a float model with variants needs --with-variants)')
    .option('--with-variants', 'also delete the quantized variants of this model (and their device runs)')
    .action(async (name: string, _o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { withVariants?: boolean }>(cmd);
      const { services } = await rt.open(o);
      const r = await services.models.delete({ name, withVariants: o.withVariants ?? false });
      if (!r.deleted) fail(`No model named "${name}".`);
      rt.print(o, r, (v) =>
        v.variants.length > 0
          ? `deleted ${name} and its variant(s) ${v.variants.join(', ')}`
          : `deleted ${name}`,
      );
    });

  command(program, 'evaluate', 'accuracy, per-class metrics and confusion matrix of a model on a split')
    .requiredOption('--model <name>', 'model name')
    .option('--split <train|val|test>', 'split of the dataset version the model was trained on', 'test')
    .action(async (_o, cmd: Command) => {
      const o = optionsOf<CommonOptions & { model: string; split: string }>(cmd);
      if (!['train', 'val', 'test'].includes(o.split))
        fail(`--split must be train, val or test, got "${o.split}".`);
      const { services } = await rt.open(o);
      const ev: ModelEvaluation = await services.models.evaluate({
        model: o.model,
        split: o.split as 'train' | 'val' | 'test',
      });
      rt.print(o, ev, humanEval);
    });
}
