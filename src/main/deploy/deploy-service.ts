import type { ServiceImpl } from '../../shared/api/contract';
import {
  EstimateSchema,
  FlashResultSchema,
  ProfileResultSchema,
  RunRecordSchema,
  type Estimate,
  type Mismatch,
  type ProfileResult,
  type ReproduceResult,
  type RunDetail,
  type RunRecord,
  type RunSummary,
} from '../../shared/api/deploy';
import { parseBoardSpec } from '../../shared/api/boards';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import { loadDatasetTensors, type DatasetTensors } from '../datasets/dataset-reader';
import { liveConnection } from '../device/board-manager';
import { boardClaims, type BoardReservation } from '../device/board-claims';
import type { BoardConnection } from '../device/board-connection';
import { runReference } from '../engine/reference';
import { RunsRepo, type RunRow } from '../store/runs-repo';
import { loadArtifact, type Artifact } from './artifact';
import { boardInfoFor, boardRef } from './board-info';
import { compareModel } from './compare';
import { checkData } from './data-fit';
import { buildEstimate } from './estimate';
import { flashArtifact, flashResult } from './flash';
import { fitMessage } from './memory-fit';
import { hostOutputsSha, runProfile, windowInput, type ProfilePlan } from './profiler';
import { buildRecord, datasetSha } from './run-record';
import { argmax } from './summary';

interface ProfileConfig {
  record: RunRecord;
  estimate: Estimate;
}

function refuseIfTooBig(est: Estimate): void {
  if (!est.memory.fits) throw new BitbenchError('bad_request', fitMessage(est.memory), est.memory);
}

/** The split of the dataset version the variant was quantized on, or of `ref` ("har", "har@2"). */
function loadData(
  art: Artifact,
  ref: string | undefined,
  split: 'train' | 'val' | 'test',
  db: AppContext['db'],
): { name: string; data: DatasetTensors } {
  const name = ref ?? art.prov.datasetName;
  if (!name)
    throw new BitbenchError(
      'bad_request',
      `Model ${art.name}: no dataset is recorded for it or its parent; pass --dataset.`,
    );
  const v = ref ? undefined : (art.prov.datasetVersion ?? undefined);
  const data = loadDatasetTensors(db, name, split, v !== undefined ? { version: v } : {});
  checkData(art.name, art.parsed, name, split, data);
  return { name: name.replace(/@\d+$/, ''), data };
}

function summaryOf(r: RunRow): RunSummary {
  const res = (r.results ?? {}) as Partial<ProfileResult>;
  const profiled = r.kind === 'profile' && typeof res.device_accuracy === 'number' && (res.windows ?? 0) > 0;
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    model: r.model,
    board: r.board,
    board_name: r.boardName,
    firmware_version: r.firmwareVersion,
    dataset: r.datasetName,
    dataset_version: r.datasetVersion,
    split: r.split,
    windows: r.windowsDone,
    windows_total: r.windowsTotal,
    device_accuracy: profiled ? res.device_accuracy! : null,
    host_accuracy: profiled ? (res.host_accuracy ?? null) : null,
    bit_exact: profiled ? (res.bit_exact ?? null) : null,
    latency_mean: profiled ? (res.latency?.mean ?? null) : null,
    unit: profiled ? (res.latency?.unit ?? null) : null,
    latency:
      profiled && res.latency
        ? { unit: res.latency.unit, mean: res.latency.mean, p50: res.latency.p50, p99: res.latency.p99 }
        : null,
    note: r.note,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** What a flash or profile run records of the model and the board it ran on. */
function runOn(art: Artifact, conn: BoardConnection) {
  return {
    modelId: art.prov.modelId,
    board: conn.spec,
    boardName: conn.info.board,
    cpu: conn.info.cpu,
    counterKind: conn.info.counterKind,
    firmwareVersion: conn.info.firmwareVersion,
    buildId: conn.info.buildId,
    modelHash: art.parsed.hash,
  };
}

/** A flash result stored before `model_bytes` was added beside `bytes`: given it, same number. */
function storedFlash<T>(f: T): T {
  const o = f as Record<string, unknown>;
  return (
    o['model_bytes'] === undefined && typeof o['bytes'] === 'number' ? { ...o, model_bytes: o['bytes'] } : f
  ) as T;
}

export function createDeployService(ctx: AppContext): ServiceImpl['deploy'] {
  const runs = () => new RunsRepo(ctx.db);
  const claims = boardClaims(ctx);

  /** Starts the profile job on a board `reservation` holds (the caller releases it if this throws). */
  function startProfile(
    plan: ProfilePlan,
    resume: boolean,
    conn: BoardConnection,
    reservation: BoardReservation,
  ): { jobId: string; runId: number } {
    const handle = ctx.jobs.start(
      'profile',
      { model: plan.art.name, board: plan.spec, run: plan.runId, resume },
      reservation.holding((job) => runProfile(ctx, conn, plan, job)),
    );
    if (resume) runs().reopen(plan.runId, handle.id);
    else runs().setJob(plan.runId, handle.id);
    return { jobId: handle.id, runId: plan.runId };
  }

  return {
    async estimate(input) {
      const art = loadArtifact(ctx.db, input.model);
      const b = await boardInfoFor(ctx, input.board);
      return buildEstimate(ctx.db, art, b.spec, b.info, b.source);
    },

    async flash(input) {
      const art = loadArtifact(ctx.db, input.model);
      return claims.reserving(input.board, async (reservation) => {
        const conn = await liveConnection(ctx, input.board);
        const est = buildEstimate(ctx.db, art, conn.spec, conn.info, 'connected');
        refuseIfTooBig(est);
        const repo = runs();
        const runId = repo.create({
          kind: 'flash',
          ...runOn(art, conn),
          config: {
            model: {
              name: art.name,
              blob: { bytes: art.blob.length, crc32: art.crc32Hex, hash: art.parsed.hash },
            },
            board: boardRef(conn.spec, conn.info),
            estimate: est,
          },
        });
        const handle = ctx.jobs.start(
          'flash',
          { model: art.name, board: conn.spec, run: runId },
          reservation.holding(async (job) => {
            const t0 = Date.now();
            try {
              const f = await flashArtifact(conn, art, {
                force: input.force,
                signal: job.signal,
                onProgress: (p) => {
                  job.progress(p.sent / Math.max(1, p.total), `${p.sent} / ${p.total} B`);
                  ctx.events.emit('deployProgress', {
                    jobId: job.id,
                    runId,
                    phase: 'flash',
                    bytesSent: p.sent,
                    bytesTotal: p.total,
                    bytesPerSecond: p.bytesPerSecond,
                    windowsDone: 0,
                    windowsTotal: 0,
                    windowsPerSecond: 0,
                    mismatches: 0,
                    etaSeconds: p.etaSeconds,
                  });
                },
              });
              const result = flashResult(runId, art, conn, f, t0);
              runs().finish(runId, 'complete', null, result);
              job.progress(1, f.alreadyActive ? 'already running on the board' : 'flashed and verified');
              return result;
            } catch (err) {
              runs().finish(runId, 'failed', err instanceof Error ? err.message : String(err));
              throw err;
            }
          }),
        );
        runs().setJob(runId, handle.id);
        return { jobId: handle.id };
      });
    },

    async profile(input) {
      const repo = runs();
      repo.markStale();
      if (input.resume !== undefined) {
        const run = repo.get(input.resume);
        if (run.kind !== 'profile')
          throw new BitbenchError('bad_request', `Run ${run.id} is a ${run.kind} run, not a profile.`);
        if (run.state === 'complete')
          throw new BitbenchError(
            'conflict',
            `Run ${run.id} is already complete; start a new profile instead.`,
          );
        if (run.state === 'running')
          throw new BitbenchError('conflict', `Run ${run.id} is still running (job ${run.jobId ?? '?'}).`);
        if (!run.model) throw new BitbenchError('not_found', `The model of run ${run.id} was deleted.`);
        const cfg = run.config as ProfileConfig;
        const record = RunRecordSchema.parse(cfg.record);
        const estimate = EstimateSchema.parse(cfg.estimate);
        const art = loadArtifact(ctx.db, run.model);
        if (art.parsed.hash !== run.modelHash)
          throw new BitbenchError(
            'conflict',
            `Model ${run.model} changed since run ${run.id} started (hash ${run.modelHash} → ${art.parsed.hash}); start a new profile.`,
          );
        const exact = loadDatasetTensors(ctx.db, record.dataset.name, record.dataset.split, {
          version: record.dataset.version,
        });
        checkData(art.name, art.parsed, record.dataset.name, record.dataset.split, exact);
        if (datasetSha(exact, record.dataset.windows) !== record.dataset.sha256)
          throw new BitbenchError(
            'conflict',
            `The windows of ${record.dataset.name}@${record.dataset.version} (${record.dataset.split}) differ from those run ${run.id} started on.`,
          );
        const spec = input.board ?? run.board!;
        return claims.reserving(spec, async (reservation) => {
          const conn = await liveConnection(ctx, spec);
          if (conn.info.board !== run.boardName || conn.info.buildId !== run.buildId)
            throw new BitbenchError(
              'conflict',
              `Run ${run.id} was measured on ${run.boardName} firmware ${run.firmwareVersion} (build ${run.buildId}); ${spec} is ${conn.info.board} build ${conn.info.buildId}. Mixing them would mix two measurements: start a new profile.`,
            );
          const earlier = (run.results ?? {}) as Partial<ProfileResult>;
          return startProfile(
            {
              runId: run.id,
              art,
              spec: conn.spec,
              info: conn.info,
              data: exact,
              total: record.dataset.windows,
              estimate,
              record,
              maxMismatchDetails: input.maxMismatchDetails,
              earlierDetails: (earlier.mismatch_details ?? []) as Mismatch[],
              earlierFlash: earlier.flash ? storedFlash(earlier.flash) : null,
            },
            true,
            conn,
            reservation,
          );
        });
      }
      if (!input.model || !input.board)
        throw new BitbenchError(
          'bad_request',
          'Say which model and board (--model, --board), or --resume <run id>.',
        );
      const art = loadArtifact(ctx.db, input.model);
      const { name, data } = loadData(art, input.dataset, input.split, ctx.db);
      const total = Math.min(input.limit ?? data.count, data.count);
      const board = input.board;
      return claims.reserving(board, async (reservation) => {
        const conn = await liveConnection(ctx, board);
        const estimate = buildEstimate(ctx.db, art, conn.spec, conn.info, 'connected');
        refuseIfTooBig(estimate);
        const record = buildRecord(art, data, { name, split: input.split }, total, conn.spec, conn.info);
        const runId = repo.create({
          kind: 'profile',
          ...runOn(art, conn),
          datasetName: name,
          datasetVersion: data.version,
          split: input.split,
          windowsTotal: total,
          config: { record, estimate } satisfies ProfileConfig,
        });
        return startProfile(
          {
            runId,
            art,
            spec: conn.spec,
            info: conn.info,
            data,
            total,
            estimate,
            record,
            maxMismatchDetails: input.maxMismatchDetails,
            earlierDetails: [],
            earlierFlash: null,
          },
          false,
          conn,
          reservation,
        );
      });
    },

    runs(input) {
      const repo = runs();
      repo.markStale();
      return repo.list({ model: input.model, kind: input.kind, limit: input.limit }).map(summaryOf);
    },

    run(input): RunDetail {
      const r = runs().get(input.id);
      const cfg = (r.config ?? {}) as Partial<ProfileConfig>;
      const record = cfg.record ? RunRecordSchema.safeParse(cfg.record) : null;
      const estimate = cfg.estimate ? EstimateSchema.safeParse(cfg.estimate) : null;
      const res = r.results as Record<string, unknown> | null;
      let result: RunDetail['result'] = null;
      if (res && Object.keys(res).length > 0) {
        const parsed =
          r.kind === 'profile'
            ? ProfileResultSchema.safeParse(
                res['flash'] && typeof res['flash'] === 'object'
                  ? { ...res, flash: storedFlash(res['flash']) }
                  : res,
              )
            : FlashResultSchema.safeParse(storedFlash(res));
        result = parsed.success ? parsed.data : null;
      }
      return {
        summary: summaryOf(r),
        record: record?.success ? record.data : null,
        result,
        estimate: estimate?.success ? estimate.data : null,
      };
    },

    reproduce(input): ReproduceResult {
      const repo = runs();
      const r = repo.get(input.id);
      if (r.kind !== 'profile' || !r.model)
        throw new BitbenchError(
          'bad_request',
          `Run ${r.id} is not a profile run of a model that still exists.`,
        );
      const cfg = r.config as ProfileConfig;
      const record = RunRecordSchema.parse(cfg.record);
      const art = loadArtifact(ctx.db, r.model);
      const data = loadDatasetTensors(ctx.db, record.dataset.name, record.dataset.split, {
        version: record.dataset.version,
      });
      const stored = repo.windows(r.id);
      const checks: ReproduceResult['checks'] = [];
      const check = (what: string, a: string, b: string) =>
        checks.push({ what, stored: a, now: b, same: a === b });
      check('model blob hash', record.model.blob.hash, art.parsed.hash);
      check('model blob crc32', record.model.blob.crc32, art.crc32Hex);
      check('integer model sha256', record.model.integer_model_sha256, art.integerModelSha256);
      check(
        'float weights sha256',
        String(record.model.float_weights_sha256),
        String(art.floatWeightsSha256),
      );
      check(
        `dataset ${record.dataset.name}@${record.dataset.version} ${record.dataset.split} sha256`,
        record.dataset.sha256,
        datasetSha(data, record.dataset.windows),
      );
      const redone = stored.map((w) => {
        const ref = runReference(art.parsed, windowInput(art, data, w.idx));
        return { ...w, hostOut: ref.output, hostPred: argmax(ref.output) };
      });
      const storedOut = hostOutputsSha(stored);
      const nowOut = hostOutputsSha(redone);
      check(`host reference outputs of ${stored.length} windows (sha256)`, storedOut, nowOut);
      if (record.host_outputs_sha256)
        check('host outputs sha256 in the record', record.host_outputs_sha256, nowOut);
      const res = r.results as Partial<ProfileResult>;
      if (typeof res.host_accuracy === 'number') {
        const ok = redone.filter((w) => w.hostPred === w.label).length;
        check('host accuracy', String(res.host_accuracy), String(redone.length ? ok / redone.length : 0));
      }
      return { run_id: r.id, identical: checks.every((c) => c.same), checks };
    },

    compare(input) {
      // The spec as flash and profile store it (`virtual:M4` is `virtual:m4`); a typo is refused, not
      // shown as a board nothing was profiled on.
      let board: string | null = null;
      if (input.board) {
        const parsed = parseBoardSpec(input.board);
        if ('error' in parsed) throw new BitbenchError('bad_request', parsed.error);
        board = parsed.spec;
      }
      return compareModel(ctx.db, input.model, board);
    },
  };
}
