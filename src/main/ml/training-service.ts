import type { ServiceImpl } from '../../shared/api/contract';
import {
  TrainRequestSchema,
  type ModelDetail,
  type ModelSummary,
  type TrainRequest,
  type TrainSummary,
} from '../../shared/api/models';
import { BitbenchError } from '../../shared/errors';
import { inferShapes } from '../../shared/model/shapes';
import type { ModelSpec } from '../../shared/model/spec';
import type { EpochMetrics, Evaluation, TrainProgress } from '../../shared/model/training';
import type { AppContext } from '../context';
import { loadDatasetTensors, resolveDataset, type DatasetTensors } from '../datasets/dataset-reader';
import { sampleWindows } from '../datasets/window-sample';
import type { JobHandle } from '../jobs/job-runner';
import { refuseIfModelsInUse } from '../jobs/jobs-in-use';
import { JobsRepo } from '../store/jobs-repo';
import { seededRandom } from '../quant/rng';
import { ModelsRepo, type ModelRow } from '../store/models-repo';
import { evaluateLoaded } from './evaluate';
import { buildModel } from './model-builder';
import { loadTf } from './tf-loader';
import { runTrainingInWorker } from './train-client';
import { validateTrainingInput, type SplitData } from './trainer';
import { isZooArch, parseCustomSpec, ZOO, ZOO_ARCHS, zooSpec } from './zoo';

/**
 * Training jobs and the models they produce. A training job loads the dataset version in the
 * main process (one indexed read), refuses bad input before anything starts, trains in a
 * worker_thread (progress → the job and the `trainProgress` event), then stores the model,
 * its training record and locks the dataset version, in one transaction.
 */

const asSplit = (t: DatasetTensors): SplitData => ({ x: t.x, y: t.y, count: t.count });

/** The spec for a request: a zoo model sized to the data, or the validated custom spec. */
export function resolveSpec(
  arch: string,
  customSpec: unknown,
  data: { inputShape: number[]; numClasses: number },
): ModelSpec {
  if (arch === 'custom') {
    if (customSpec === undefined)
      throw new BitbenchError('bad_request', 'arch "custom" needs a spec (JSON).');
    return parseCustomSpec(customSpec);
  }
  if (!isZooArch(arch)) return zooSpec(arch); // throws with the list of known archs
  // A zoo model keeps its paper's input shape (a different window shape is refused before
  // training, with both shapes); only the class count follows the data.
  return zooSpec(arch, { numClasses: data.numClasses });
}

function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}

/** Starts a training job; the handle's promise resolves with the stored model's summary. */
export function startTraining(ctx: AppContext, request: TrainRequest): JobHandle<TrainSummary> {
  const req = TrainRequestSchema.parse(request);
  const repo = new ModelsRepo(ctx.db);
  if (req.spec !== undefined && req.arch !== 'custom')
    throw new BitbenchError(
      'bad_request',
      `A spec is only for arch "custom"; ${req.arch} is a zoo architecture with its own layers.`,
    );
  // The name is refused before the job starts: taken by a model, or by a training still making one
  // (in this process or another on the same database), which would fail only when it stores it.
  if (repo.exists(req.name))
    throw new BitbenchError('conflict', `A model named "${req.name}" already exists.`);
  const making = new JobsRepo(ctx.db).activeNaming(['train'], req.name);
  if (making)
    throw new BitbenchError(
      'conflict',
      `Job ${making} is already training a model named "${req.name}"; wait for it, cancel it, or choose another name.`,
    );
  const handle = ctx.jobs.start('train', req, async (job) => {
    const t0 = Date.now();
    const emit = (p: Omit<TrainProgress, 'jobId' | 'elapsedSeconds'>) =>
      ctx.events.emit('trainProgress', { ...p, jobId: job.id, elapsedSeconds: (Date.now() - t0) / 1000 });
    const o = req.options;
    const curves: EpochMetrics[] = [];
    const base = {
      epoch: 0,
      epochs: o.epochs,
      batch: 0,
      batches: 0,
      loss: null,
      accuracy: null,
      etaSeconds: null,
    };
    job.progress(0, 'loading the dataset');
    emit({ ...base, phase: 'loading', backend: null, curves });

    const row = resolveDataset(ctx.db, req.dataset);
    const train = loadDatasetTensors(ctx.db, row.name, 'train', { version: row.version });
    const val = loadDatasetTensors(ctx.db, row.name, 'val', { version: row.version });
    const test = loadDatasetTensors(ctx.db, row.name, 'test', { version: row.version });
    const spec = resolveSpec(req.arch, req.spec, {
      inputShape: train.shape,
      numClasses: train.classes.length,
    });
    const trainSet = sampleWindows(train, o.maxTrainWindows, seededRandom(o.seed ^ 0x7a11));
    if (trainSet.count < train.count)
      job.progress(
        0.01,
        `training on a seeded sample of ${trainSet.count.toLocaleString('en-US')} of the ${train.count.toLocaleString('en-US')} training windows`,
      );
    const input = {
      spec,
      windowShape: train.shape,
      classes: train.classes,
      train: trainSet,
      val: val.count > 0 ? asSplit(val) : undefined,
      test: test.count > 0 ? asSplit(test) : undefined,
      options: o,
    };
    // Refuse bad input here, before a worker starts (the worker checks again).
    validateTrainingInput(input);
    job.throwIfCancelled();

    let backend: string | null = null;
    let batchesPerEpoch = Math.ceil(train.count / o.batchSize);
    const result = await runTrainingInWorker(input, {
      backend: req.backend,
      signal: job.signal,
      onReady: (b) => {
        backend = b;
        emit({ ...base, phase: 'training', backend, curves });
      },
      onBatch: (tick, elapsed) => {
        batchesPerEpoch = tick.batches;
        const done = (tick.epoch - 1) * tick.batches + tick.batch;
        const total = tick.epochs * tick.batches;
        const fraction = done / total;
        const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : null;
        const last = curves[curves.length - 1];
        job.progress(
          0.02 + 0.93 * fraction,
          `epoch ${tick.epoch}/${tick.epochs} · batch ${tick.batch}/${tick.batches} · loss ${tick.loss.toFixed(4)} · acc ${fmtPct(tick.accuracy)}` +
            (last?.val_accuracy != null ? ` · val ${fmtPct(last.val_accuracy)}` : ''),
        );
        emit({
          phase: 'training',
          epoch: tick.epoch,
          epochs: tick.epochs,
          batch: tick.batch,
          batches: tick.batches,
          loss: tick.loss,
          accuracy: tick.accuracy,
          etaSeconds: eta,
          backend,
          curves,
        });
      },
      onEpoch: (m) => curves.push(m),
    });
    const out = result.output;
    if (out.cancelled)
      throw new BitbenchError(
        'cancelled',
        `Cancelled by the user after ${curves.length} epoch(s); no model was saved.`,
      );
    job.progress(0.97, 'saving the model');
    emit({
      ...base,
      phase: 'saving',
      epoch: out.epochsRun,
      batches: batchesPerEpoch,
      backend: result.backend,
      curves: out.curves,
    });
    const shapes = inferShapes(spec);
    const evaluations = out.evaluations;
    const stored = repo.insertTrained({
      name: req.name,
      datasetId: row.id,
      spec,
      weights: out.weights,
      metrics: {
        train_accuracy: evaluations.train?.accuracy ?? null,
        val_accuracy: evaluations.val?.accuracy ?? null,
        test_accuracy: evaluations.test?.accuracy ?? null,
      },
      training: {
        datasetName: row.name,
        datasetVersion: row.version,
        classes: train.classes,
        inputShape: train.shape,
        norm: train.norm,
        options: o,
        seed: o.seed,
        backend: result.backend,
        backendNote: result.note,
        trainSeconds: out.trainSeconds,
        epochsRun: out.epochsRun,
        bestEpoch: out.bestEpoch,
        stoppedEarly: out.stoppedEarly,
        params: shapes.params,
        curves: out.curves,
        evaluations,
        jobId: job.id,
      },
    });
    job.progress(
      1,
      `saved ${stored.name}: val ${fmtPct(evaluations.val?.accuracy)}, test ${fmtPct(evaluations.test?.accuracy)}`,
    );
    return summaryOfTraining(stored, o.epochs);
  });
  return handle;
}

function summaryOfTraining(m: ModelRow, epochsRequested: number): TrainSummary {
  const t = m.training!;
  return {
    name: m.name,
    arch: m.arch,
    params: t.params,
    size_bytes: t.params * 4,
    epochs: t.epochsRun,
    epochs_requested: epochsRequested,
    stopped_early: t.stoppedEarly,
    seconds: round(t.trainSeconds, 2),
    seconds_per_epoch: round(t.trainSeconds / Math.max(1, t.epochsRun), 2),
    backend: t.backend as TrainSummary['backend'],
    seed: t.seed,
    dataset: t.datasetName,
    dataset_version: t.datasetVersion,
    train_accuracy: t.evaluations.train?.accuracy ?? null,
    val_accuracy: t.evaluations.val?.accuracy ?? null,
    test_accuracy: t.evaluations.test?.accuracy ?? null,
    train_windows: t.evaluations.train?.count ?? null,
  };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * One row of `models list`. A quantized variant has no training record: its size is the report's
 * `model_bytes` (weights packed at their bit width, biases, metadata), its test accuracy the
 * report's integer-exact `accuracy`, and its dataset the one that report was measured on.
 */
function summaryOf(m: ModelRow): ModelSummary {
  const t = m.training;
  const params = t?.params ?? safeParams(m.spec);
  const metric = (key: string): number | undefined =>
    typeof m.metrics[key] === 'number' ? (m.metrics[key] as number) : undefined;
  const quantized = m.kind === 'quantized';
  return {
    id: m.id,
    name: m.name,
    kind: m.kind,
    arch: m.arch,
    params,
    size_bytes: quantized ? (metric('model_bytes') ?? m.weightBytes) : params * 4,
    dataset: t?.datasetName ?? m.variantDataset?.name ?? null,
    dataset_version: t?.datasetVersion ?? m.variantDataset?.version ?? null,
    backend: t?.backend ?? null,
    seconds: t ? round(t.trainSeconds, 2) : null,
    epochs: t?.epochsRun ?? null,
    seed: t?.seed ?? null,
    val_accuracy: t?.evaluations.val?.accuracy ?? metric('val_accuracy') ?? null,
    test_accuracy:
      t?.evaluations.test?.accuracy ??
      metric('test_accuracy') ??
      (quantized ? metric('accuracy') : undefined) ??
      null,
    created_at: m.createdAt,
  };
}

function safeParams(spec: ModelSpec): number {
  try {
    return inferShapes(spec).params;
  } catch {
    return 0;
  }
}

function detailOf(m: ModelRow, parent?: ModelRow): ModelDetail {
  const shapes = inferShapes(m.spec);
  const t = m.training;
  // A quantized variant keeps its float parent's classes and input normalisation.
  const pt = parent?.training;
  const evaluations: Record<string, Evaluation> = {};
  for (const [k, v] of Object.entries(t?.evaluations ?? {})) if (v) evaluations[k] = v;
  return {
    ...summaryOf(m),
    spec: m.spec,
    layers: shapes.layers.map((l) => ({
      name: l.name,
      type: l.type,
      in_shape: l.inShape,
      out_shape: l.outShape,
      params: l.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
      macs: l.macs,
    })),
    macs: shapes.macs,
    classes: t?.classes ?? pt?.classes ?? [],
    input_shape: t?.inputShape ?? m.spec.inputShape,
    norm: t?.norm ?? pt?.norm ?? null,
    options: (t?.options as unknown as Record<string, unknown>) ?? null,
    backend_note: t?.backendNote ?? null,
    stopped_early: t?.stoppedEarly ?? null,
    best_epoch: t?.bestEpoch ?? null,
    curves: t?.curves ?? [],
    train_accuracy: t?.evaluations.train?.accuracy ?? null,
    evaluations,
  };
}

function modelOrThrow(ctx: AppContext, name: string): ModelRow {
  const m = new ModelsRepo(ctx.db).byName(name);
  if (!m) throw new BitbenchError('not_found', `No model named "${name}". See \`bitbench models list\`.`);
  return m;
}

export interface ModelEvaluation extends Evaluation {
  model: string;
  dataset: string;
  dataset_version: number;
  backend: string;
}

/**
 * Evaluates a stored float model on a split of the dataset version it was trained on, in this
 * process (a few seconds at most for the zoo models). Other features (quantization, compare)
 * call this for the float baseline.
 */
export async function evaluateModel(
  ctx: AppContext,
  modelName: string,
  split: 'train' | 'val' | 'test',
): Promise<ModelEvaluation> {
  const m = modelOrThrow(ctx, modelName);
  const t = m.training;
  if (!t)
    throw new BitbenchError('bad_request', `Model "${modelName}" has no training record (dataset unknown).`);
  const data = loadDatasetTensors(ctx.db, t.datasetName, split, { version: t.datasetVersion });
  if (data.count === 0)
    throw new BitbenchError(
      'bad_request',
      `The ${split} split of ${t.datasetName}@${t.datasetVersion} is empty.`,
    );
  const weights = new ModelsRepo(ctx.db).weights(m.id);
  const { tf, backend } = await loadTf();
  const model = buildModel(tf, m.spec, weights);
  try {
    const ev = evaluateLoaded(tf, model, m.spec, data, data.classes, split);
    return { ...ev, model: m.name, dataset: t.datasetName, dataset_version: t.datasetVersion, backend };
  } finally {
    model.dispose();
  }
}

export function createTrainingService(ctx: AppContext): ServiceImpl['training'] {
  return {
    start: (input) => ({ jobId: startTraining(ctx, input).id }),
    archs: () =>
      ZOO_ARCHS.map((arch) => {
        const spec = zooSpec(arch);
        return {
          arch,
          description: ZOO[arch].description,
          input_shape: spec.inputShape,
          num_classes: spec.numClasses,
          params: inferShapes(spec).params,
          spec,
        };
      }),
    checkSpec: ({ spec, inputShape, numClasses }) => {
      const parsed = parseCustomSpec(spec);
      const s = {
        ...parsed,
        ...(inputShape ? { inputShape } : {}),
        ...(numClasses ? { numClasses } : {}),
      };
      const shapes = inferShapes(s);
      return { spec: s, params: shapes.params, size_bytes: shapes.floatBytes };
    },
  };
}

export function createModelsService(ctx: AppContext): ServiceImpl['models'] {
  const repo = new ModelsRepo(ctx.db);
  return {
    list: () => repo.list().map(summaryOf),
    show: ({ name }) => {
      const m = modelOrThrow(ctx, name);
      const parent = m.parentId === null ? undefined : new ModelsRepo(ctx.db).byId(m.parentId);
      return detailOf(m, parent);
    },
    evaluate: ({ model, split }) => evaluateModel(ctx, model, split),
    delete: ({ name, withVariants }) => {
      // A quantize, low-bit, flash or profile job still reading it (or a variant going with it) would
      // otherwise lose its work at the end.
      refuseIfModelsInUse(ctx.db, [name, ...(withVariants ? repo.variantNames(name) : [])]);
      return repo.delete(name, { withVariants: withVariants ?? false });
    },
  };
}
