import {
  parseMethod,
  PtqConfigSchema,
  resolveLayerAliases,
  type LayerBitsEntry,
  type PtqConfig,
  type PtqReport,
  type QuantizeInput,
} from '../../shared/api/quant';
import type { ServiceImpl } from '../../shared/api/contract';
import type { ModelSpec } from '../../shared/model/spec';
import { BitbenchError } from '../../shared/errors';
import { Hints } from '../../shared/hints';
import type { AppContext } from '../context';
import type { JobContext, JobHandle } from '../jobs/job-runner';
import { refuseIfModelsInUse } from '../jobs/jobs-in-use';
import { loadDatasetTensors, type DatasetTensors } from '../datasets/dataset-reader';
import { VariantsRepo, type ParentModel } from '../store/variants-repo';
import { checkDatasetFitsModel } from './dataset-fit';
import { buildPtqGraph } from './ptq-graph';
import { resolveLayerBits } from './ptq-pipeline';
import { runInQuantWorker } from './quant-worker-client';
import { sampleIndices, seededRandom } from './rng';

/**
 * The Quantize service: validates a request completely (model, layers, bits, table, method, name,
 * calibration size) before starting any work, then runs PTQ → evaluation → storage as one job with
 * per-layer progress. The CLI and the Quantize page both call this.
 */
export interface PreparedRequest {
  parent: ParentModel;
  config: PtqConfig;
  dataset: { name: string; version?: number };
  train: DatasetTensors;
}

/** The CLI flag of each config field a user sets directly, named in refusals. */
const CLI_FLAGS: Record<string, string> = {
  weightBits: '--weights',
  actBits: '--acts',
  inputBits: '--input-bits',
  calibSize: '--calib',
  seed: '--seed',
  iterations: '--iterations',
  biasTuningIterations: '--tuning-iterations',
  logitRange: '--logit-range',
  layerBits: '--layer-bits',
};

/** Method string, then explicit fields, over the defaults. */
export function resolveConfig(method: string | undefined, explicit: Partial<PtqConfig>): PtqConfig {
  let fromMethod: Partial<PtqConfig> = {};
  if (method !== undefined) {
    try {
      fromMethod = parseMethod(method);
    } catch (err) {
      throw new BitbenchError('bad_request', (err as Error).message);
    }
  }
  const parsed = PtqConfigSchema.safeParse({ ...fromMethod, ...explicit });
  if (!parsed.success) {
    throw new BitbenchError(
      'bad_request',
      parsed.error.issues
        .map((i) => {
          const field = i.path.join('.') || 'config';
          const flag = CLI_FLAGS[field];
          return `${field}${flag ? ` (${flag})` : ''}: ${i.message}`;
        })
        .join('; '),
    );
  }
  return parsed.data;
}

/**
 * The per-layer table with family words (`conv1`, `dense`, `gru`) replaced by the model's layer
 * names, so `--layer-bits conv1=1,gru=8,dense=8` works on the gesture model (conv, gru, fc) as on
 * any other. PTQ and low-bit training both store the resolved table.
 */
export function layerTableOf(
  spec: ModelSpec,
  table: Record<string, LayerBitsEntry>,
): Record<string, LayerBitsEntry> {
  try {
    return resolveLayerAliases(spec.layers, table);
  } catch (err) {
    throw new BitbenchError('bad_request', `Per-layer bit table: ${(err as Error).message}.`);
  }
}

/** Draws the calibration windows (seeded) from the train split. */
export function calibrationSet(train: DatasetTensors, size: number, seed: number): Float32Array {
  const per = train.x.length / Math.max(1, train.count);
  const idx = sampleIndices(train.count, size, seededRandom(seed ^ 0x5eed));
  const out = new Float32Array(idx.length * per);
  idx.forEach((w, i) => out.set(train.x.subarray(w * per, (w + 1) * per), i * per));
  return out;
}

export function prepareRequest(
  ctx: AppContext,
  input: QuantizeInput & { config?: Partial<PtqConfig> },
): PreparedRequest {
  const config = resolveConfig(input.method, input.config ?? {});
  const repo = new VariantsRepo(ctx.db);
  const parent = repo.parent(input.model);
  config.layerBits = layerTableOf(parent.spec, config.layerBits);
  // Unsupported layers, BN folding and the per-layer table are checked on the graph itself.
  const graph = buildPtqGraph(parent.spec, parent.weights, { foldBatchNorm: config.foldBatchNorm });
  const bits = resolveLayerBits(parent.spec, graph, config);
  // An entry giving a layer the bits it has anyway (conv1=4/4 under --weights 4 --acts 4) changes
  // nothing: dropped, so that "mixed" means some layer's bits differ from the defaults.
  const plain = resolveLayerBits(parent.spec, graph, { ...config, layerBits: {} });
  config.layerBits = Object.fromEntries(
    Object.entries(config.layerBits).filter(([layer]) => {
      const [a, b] = [bits.get(layer)!, plain.get(layer)!];
      return a.weights !== b.weights || a.acts !== b.acts;
    }),
  );
  if (input.name === input.model)
    throw new BitbenchError('bad_request', "The variant needs its own name, not the parent model's.");
  repo.checkNewName(input.name, input.overwrite ?? false);
  const ref = input.dataset ?? parent.dataset?.name;
  if (!ref)
    throw new BitbenchError(
      'bad_request',
      `Model "${parent.name}" records no training dataset; pass --dataset.`,
    );
  const version = input.dataset ? undefined : parent.dataset?.version;
  const train = loadDatasetTensors(ctx.db, ref, 'train', version !== undefined ? { version } : {});
  checkDatasetFitsModel(parent, ref, train);
  // The default (seed 003's 1024) takes the whole train split when that is smaller; a size the
  // user asked for is refused instead.
  if (input.config?.calibSize === undefined && train.count < config.calibSize)
    config.calibSize = Math.max(1, train.count);
  if (train.count < config.calibSize) {
    throw new BitbenchError(
      'bad_request',
      `Calibration set smaller than asked: the train split of ${ref} has ${train.count} windows, ${config.calibSize} were asked (${Hints.calibSize(ctx.audience)}).`,
    );
  }
  return { parent, config, dataset: version !== undefined ? { name: ref, version } : { name: ref }, train };
}

/**
 * The job: PTQ and its evaluation in the quantization worker (the main process stays responsive:
 * progress reaches the UI, Cancel terminates the worker), then the variant stored here.
 */
export async function runQuantizeJob(
  ctx: AppContext,
  name: string,
  req: PreparedRequest,
  overwrite: boolean,
  job: Pick<JobContext, 'id' | 'progress' | 'signal'>,
): Promise<PtqReport> {
  const { parent, config, train } = req;
  const test = loadDatasetTensors(
    ctx.db,
    req.dataset.name,
    'test',
    req.dataset.version !== undefined ? { version: req.dataset.version } : {},
  );
  if (test.count === 0)
    throw new BitbenchError('bad_request', `Dataset ${req.dataset.name} has no test windows to evaluate on.`);
  const out = await runInQuantWorker(
    {
      kind: 'ptq',
      input: {
        name,
        parent: parent.name,
        spec: parent.spec,
        weights: parent.weights,
        config,
        calibX: calibrationSet(train, config.calibSize, config.seed),
        test: { x: test.x, y: test.y, count: test.count, classes: test.classes },
      },
    },
    {
      signal: job.signal,
      onMessage: (m) => m.type === 'progress' && job.progress(m.fraction, m.message, m.stages),
    },
    (m) => (m.type === 'ptq-done' ? m : undefined),
  );
  job.progress(0.99, 'storing the variant');
  new VariantsRepo(ctx.db).insert(
    {
      name,
      parentId: parent.id,
      method: out.report.method,
      weightBits: config.weightBits,
      actBits: config.actBits,
      dataset: { name: req.dataset.name, version: req.dataset.version ?? test.version },
      config,
      settings: out.settings,
      integerModel: out.integerModel,
      report: out.report,
      jobId: job.id,
    },
    overwrite,
  );
  return out.report;
}

/** Validates, then starts the job; the CLI follows the handle, the UI the job id. */
export function startQuantize(
  ctx: AppContext,
  input: QuantizeInput & { config?: Partial<PtqConfig> },
): JobHandle<PtqReport> {
  const req = prepareRequest(ctx, input);
  return ctx.jobs.start(
    'quantize',
    {
      model: input.model,
      name: input.name,
      method: input.method ?? null,
      // What the job reads, so the dataset cannot be deleted under it (src/main/jobs/jobs-in-use.ts).
      dataset:
        req.dataset.version !== undefined ? `${req.dataset.name}@${req.dataset.version}` : req.dataset.name,
      config: req.config,
    },
    (job) => runQuantizeJob(ctx, input.name, req, input.overwrite ?? false, job),
  );
}

export function createQuantService(ctx: AppContext): ServiceImpl['quant'] {
  return {
    quantize: (input) => ({ jobId: startQuantize(ctx, input).id }),
    variants: ({ model }) => {
      const repo = new VariantsRepo(ctx.db);
      if (model !== undefined && !repo.exists(model))
        throw new BitbenchError('not_found', `No model named "${model}". See \`bitbench models list\`.`);
      return repo.list(model);
    },
    get: ({ name }) => new VariantsRepo(ctx.db).get(name),
    remove: ({ name }) => {
      // A flash or profile job reading it would fail at its next write, its run deleted under it
      // (as `models delete` refuses the same).
      refuseIfModelsInUse(ctx.db, [name]);
      return { removed: new VariantsRepo(ctx.db).remove(name) };
    },
  };
}
