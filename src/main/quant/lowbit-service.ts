import type { ServiceImpl } from '../../shared/api/contract';
import {
  LowBitConfigSchema,
  type LowBitConfig,
  type LowBitReport,
  type LowBitTrainInput,
  type SensitivityInput,
  type SensitivityReport,
} from '../../shared/api/lowbit';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import { loadDatasetTensors, type DatasetTensors } from '../datasets/dataset-reader';
import { sampleWindows, windowsAt } from '../datasets/window-sample';
import type { JobHandle } from '../jobs/job-runner';
import { LowBitRepo } from '../store/lowbit-repo';
import { VariantsRepo, type ParentModel } from '../store/variants-repo';
import { checkDatasetFitsModel } from './dataset-fit';
import { runInQuantWorker } from './quant-worker-client';
import { resolveLayerBits, type TrainData } from './lowbit-trainer';
import { calibrationSet, layerTableOf } from './quant-service';
import { sampleIndices, seededRandom } from './rng';
import { proposeTable } from './sensitivity/proposal';

/**
 * The low-bit service: validates everything (parent model, bit table, bits, name, data) before any
 * work, then runs training or the sensitivity sweep in the quantization worker as a job with per-epoch
 * progress and cancel. A finished training with an integer model is stored as a quantized variant of
 * its float parent (same table, same export path as PTQ); the float parent is only ever read.
 */
interface Data {
  parent: ParentModel;
  dataset: { name: string; version?: number };
  train: DatasetTensors;
  val: TrainData;
  test: DatasetTensors;
}

function loadData(ctx: AppContext, model: string, dataset: string | undefined): Data {
  const parent = new VariantsRepo(ctx.db).parent(model);
  const ref = dataset ?? parent.dataset?.name;
  if (!ref)
    throw new BitbenchError(
      'bad_request',
      `Model "${parent.name}" records no training dataset; pass --dataset.`,
    );
  const version = dataset ? undefined : parent.dataset?.version;
  const opt = version !== undefined ? { version } : {};
  const train = loadDatasetTensors(ctx.db, ref, 'train', opt);
  checkDatasetFitsModel(parent, ref, train);
  if (train.count === 0) throw new BitbenchError('bad_request', `Dataset ${ref} has no training windows.`);
  const test = loadDatasetTensors(ctx.db, ref, 'test', opt);
  if (test.count === 0)
    throw new BitbenchError('bad_request', `Dataset ${ref} has no test windows to evaluate on.`);
  const valT = loadDatasetTensors(ctx.db, ref, 'val', opt);
  const val =
    valT.count > 0
      ? { x: valT.x, y: valT.y, count: valT.count }
      : windowsAt(
          train,
          sampleIndices(train.count, Math.max(1, Math.round(train.count / 10)), seededRandom(11)),
        );
  return {
    parent,
    dataset: version !== undefined ? { name: ref, version } : { name: ref },
    train,
    val,
    test,
  };
}

function trainingSubset(train: DatasetTensors, max: number, seed: number): TrainData {
  return sampleWindows(train, max, seededRandom(seed ^ 0x1b17));
}

export function defaultVariantName(model: string, cfg: Pick<LowBitConfig, 'method' | 'weightBits'>): string {
  return `${model}-${cfg.method}-w${cfg.weightBits}`.slice(0, 80);
}

export function startLowBitTraining(ctx: AppContext, input: LowBitTrainInput): JobHandle<LowBitReport> {
  const parsed = LowBitConfigSchema.safeParse(input.config);
  if (!parsed.success)
    throw new BitbenchError(
      'bad_request',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '),
    );
  const cfg = parsed.data;
  const data = loadData(ctx, input.model, input.dataset);
  cfg.layerBits = layerTableOf(data.parent.spec, cfg.layerBits);
  resolveLayerBits(data.parent.spec, cfg);
  const name = input.name ?? defaultVariantName(input.model, cfg);
  if (name === input.model)
    throw new BitbenchError('bad_request', "The variant needs its own name, not the parent model's.");
  const repo = new VariantsRepo(ctx.db);
  repo.checkNewName(name, input.overwrite ?? false);
  // The dataset named here (else the parent's, which its model holds) cannot go while the job runs.
  const params = {
    model: input.model,
    name,
    config: cfg,
    ...(input.dataset ? { dataset: input.dataset } : {}),
  };
  return ctx.jobs.start('lowbit-train', params, async (job) => {
    const calibCount = Math.min(1024, data.train.count);
    const output = await runInQuantWorker(
      {
        kind: 'train',
        input: {
          parent: data.parent.name,
          name,
          spec: data.parent.spec,
          weights: data.parent.weights,
          config: cfg,
          train: trainingSubset(data.train, cfg.maxTrainWindows, cfg.seed),
          val: data.val,
          test: { x: data.test.x, y: data.test.y, count: data.test.count, classes: data.test.classes },
          calib: { x: calibrationSet(data.train, calibCount, cfg.seed), count: calibCount },
        },
      },
      {
        signal: job.signal,
        onMessage: (m) => m.type === 'progress' && job.progress(0.98 * m.fraction, m.message),
      },
      (m) => (m.type === 'train-done' ? m.output : undefined),
    );
    const report = output.report;
    if (output.integer) {
      job.progress(0.99, 'storing the variant');
      repo.insert(
        {
          name,
          parentId: data.parent.id,
          method: cfg.method,
          weightBits: cfg.weightBits,
          actBits: cfg.actBits,
          dataset: { name: data.dataset.name, version: data.dataset.version ?? data.test.version },
          config: { lowbit: cfg, report },
          settings: output.integer.settings,
          integerModel: output.integer.model,
          report: output.integer.ptq,
          jobId: job.id,
          family: cfg.method.startsWith('universal') ? 'universal' : 'qat',
        },
        input.overwrite ?? false,
      );
    } else {
      report.name = null;
    }
    return report;
  });
}

export function startSensitivity(ctx: AppContext, input: SensitivityInput): JobHandle<SensitivityReport> {
  const data = loadData(ctx, input.model, input.dataset);
  const opts = {
    bits: input.bits ?? [1, 2, 4, 8],
    seeds: input.seeds ?? 5,
    mode: input.mode ?? 'universal',
    epochs: input.epochs ?? 3,
    regulariser: input.regulariser ?? 's1',
  };
  for (const b of opts.bits)
    if (!Number.isInteger(b) || b < 1 || b > 8)
      throw new BitbenchError('bad_request', `bits must be 1..8, got ${b}.`);
  // A width listed twice would be measured twice over and shown as two columns of one name.
  const twice = opts.bits.find((b, i) => opts.bits.indexOf(b) !== i);
  if (twice !== undefined)
    throw new BitbenchError('bad_request', `bits: ${twice} is listed twice (${opts.bits.join(',')}).`);
  const params = { model: input.model, ...opts, ...(input.dataset ? { dataset: input.dataset } : {}) };
  return ctx.jobs.start('lowbit-sensitivity', params, (job) =>
    runInQuantWorker(
      {
        kind: 'sensitivity',
        model: input.model,
        spec: data.parent.spec,
        weights: data.parent.weights,
        train: trainingSubset(data.train, input.maxTrainWindows ?? 2000, 1),
        evalSet: data.val,
        opts,
      },
      { signal: job.signal, onMessage: (m) => m.type === 'progress' && job.progress(m.fraction, m.message) },
      (m) => (m.type === 'sensitivity-done' ? m.report : undefined),
    ),
  );
}

export function createLowBitService(ctx: AppContext): ServiceImpl['lowbit'] {
  return {
    train: (input) => ({ jobId: startLowBitTraining(ctx, input).id }),
    sensitivity: (input) => ({ jobId: startSensitivity(ctx, input).id }),
    propose: ({ report, maxDrop, maxBytes }) =>
      proposeTable(report, {
        ...(maxDrop !== undefined ? { maxDrop } : {}),
        ...(maxBytes !== undefined ? { maxBytes } : {}),
      }),
    report: ({ name }) => new LowBitRepo(ctx.db).report(name),
  };
}
