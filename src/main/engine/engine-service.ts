import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceImpl } from '../../shared/api/contract';
import {
  SEED000_BUDGET_BYTES,
  type ExportResult,
  type FootprintRequest,
  type FootprintResult,
  type VerifyRequest,
  type VerifyResult,
} from '../../shared/api/engine';
import { BitbenchError } from '../../shared/errors';
import { inputLevelsOf, type IntegerModel } from '../../shared/quant/integer-model';
import type { AppContext } from '../context';
import type { JobContext } from '../jobs/job-runner';
import { loadDatasetTensors, type DatasetTensors } from '../datasets/dataset-reader';
import { boardClaims } from '../device/board-claims';
import { liveConnection } from '../device/board-manager';
import type { BoardConnection } from '../device/board-connection';
import { checkData } from '../deploy/data-fit';
import { fitMessage, memoryFit } from '../deploy/memory-fit';
import { loadModel } from '../device/model-load';
import { firmwareRoot } from '../device/virtual-boards';
import { quantizeInput, runIntegerModel } from '../quant/integer-sim';
import { ModelsRepo } from '../store/models-repo';
import { VariantsRepo } from '../store/variants-repo';
import { writeFilesAtomic } from '../write-file-atomic';
import { userDataDir } from '../paths';
import { readBlob } from './blob-reader';
import { BlobExportError, writeBlob } from './blob-writer';
import { exportC } from './c-export';
import { runReference } from './reference';
import {
  buildStandalone,
  footprintOf,
  runStandalone,
  StandaloneBuildError,
  standaloneUnavailable,
  StandaloneTooLargeError,
  type StandaloneBoard,
} from './standalone-image';

function blobOf(name: string, model: IntegerModel, modelId: number): Uint8Array {
  try {
    return writeBlob(model, { modelId });
  } catch (err) {
    if (err instanceof BlobExportError)
      throw new BitbenchError('bad_request', `model ${name}: ${err.message}`);
    throw err;
  }
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
};

/** A verify checked and ready to run: the request, the integer model, its blob, the split. */
interface VerifyPlan {
  input: VerifyRequest;
  model: IntegerModel;
  blob: Uint8Array;
  parsed: ReturnType<typeof readBlob>;
  data: DatasetTensors;
}

/** What the work takes from its job: a plain call (the CLI's, a script's) passes nothing. */
type JobHooks = Partial<Pick<JobContext, 'signal' | 'progress' | 'throwIfCancelled'>>;

function refuseWithoutToolchain(): void {
  const why = standaloneUnavailable(true);
  if (why) throw new BitbenchError('unavailable', `The standalone image cannot be built here: ${why}.`);
}

export function createEngineService(ctx: AppContext): ServiceImpl['engine'] {
  /** A quantized variant; a float model's name is refused as flash and profile refuse it, not as unknown. */
  const variant = (name: string) => {
    const float = new ModelsRepo(ctx.db).byName(name);
    if (float?.kind === 'float')
      throw new BitbenchError(
        'not_found',
        `"${name}" is a float model: quantize it first (\`bitbench quantize --model ${name} …\`); only integer variants are exported or run on a board.`,
      );
    return new VariantsRepo(ctx.db).get(name);
  };
  const claims = boardClaims(ctx);
  const service: ServiceImpl['engine'] = {
    export(input): ExportResult {
      const v = variant(input.model);
      const blob = blobOf(input.model, v.integerModel, 0);
      const parsed = readBlob(blob, input.model);
      const files: string[] = [];
      // A file name from the model's name; names made before names were checked may hold "/" or spaces.
      const base = input.model.replace(/[^A-Za-z0-9._-]/g, '_');
      // Default: exports/ beside the database file (the data folder for an in-memory one).
      const exportsDir = path.join(
        ctx.store.path === ':memory:' ? userDataDir() : path.dirname(path.resolve(ctx.store.path)),
        'exports',
      );
      const out = input.out ?? path.join(exportsDir, input.format === 'blob' ? `${base}.bbm` : `${base}-c`);
      // A path that cannot be written (a file where a folder is needed, no permission) is the user's to
      // fix: say which path and why, not a bare EEXIST from the file system.
      const refuse = (err: unknown): never => {
        const e = err as NodeJS.ErrnoException;
        const why =
          e.code === 'EEXIST' || e.code === 'ENOTDIR'
            ? `a file is in the way where a folder is needed (${e.path ?? out})`
            : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
              ? `no permission to write ${e.path ?? out}`
              : e.code === 'EISDIR'
                ? `${e.path ?? out} is a folder`
                : e.code === 'ENOSPC' || e.code === 'EDQUOT'
                  ? `the disk is full (${blob.length} B to write); nothing was written`
                  : (e.message ?? String(err));
        throw new BitbenchError(
          'bad_request',
          `Cannot export ${input.model} to ${out}: ${why}. ${input.format === 'blob' ? '--out takes a file or an existing folder' : '--out takes a folder (created if missing)'}.`,
        );
      };
      // Each file is written beside its target and renamed over it once all are complete
      // (writeFilesAtomic): a full disk or a killed process leaves no truncated blob (or a header
      // without its source) that looks like an export, and an earlier good export stays as it was.
      const writeExport = (): void => {
        const pairs: Array<[file: string, data: Uint8Array | string]> = [];
        if (input.format === 'blob') {
          const file = isDir(out) ? path.join(out, `${base}.bbm`) : out;
          mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
          pairs.push([file, blob]);
        } else {
          if (existsSync(out) && !isDir(out))
            throw Object.assign(new Error(out), { code: 'EEXIST', path: out });
          mkdirSync(out, { recursive: true });
          const c = exportC(blob, input.model, inputLevelsOf(v.integerModel));
          pairs.push([path.join(out, c.headerName), c.header], [path.join(out, c.sourceName), c.source]);
        }
        for (const [file] of pairs)
          if (isDir(file)) throw Object.assign(new Error(file), { code: 'EISDIR', path: file });
        writeFilesAtomic(pairs);
        files.push(...pairs.map(([file]) => file));
      };
      try {
        writeExport();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code) refuse(err);
        throw err;
      }
      return {
        model: input.model,
        format: input.format,
        files,
        bytes: blob.length,
        crc32: parsed.crc32.toString(16).padStart(8, '0'),
        hash: parsed.hash,
        arena_bytes: parsed.arenaMin,
        layers: parsed.layers.length,
      };
    },

    async footprint(input) {
      refuseWithoutToolchain();
      return runFootprint(input, {});
    },

    async footprintJob(input) {
      // A missing toolchain or an unknown model fails here, before a job exists.
      refuseWithoutToolchain();
      variant(input.model);
      const handle = ctx.jobs.start('footprint', input, (job) => runFootprint(input, job));
      return { jobId: handle.id };
    },

    async verify(input) {
      const plan = planVerify(input);
      if (!input.board) return runVerify(plan, null, {});
      // Not a job, but it holds the board while it runs all the same: a flash cannot cut in.
      const r = claims.reserve(input.board);
      try {
        return await runVerify(plan, await verifyBoard(plan, input.board), {});
      } finally {
        r.release();
      }
    },

    async verifyJob(input) {
      // An unknown model, a dataset that does not fit it or an empty split fails here, before a job exists.
      const plan = planVerify(input);
      if (!input.board)
        return { jobId: ctx.jobs.start('verify', input, (job) => runVerify(plan, null, job)).id };
      const board = input.board;
      // On a board, the job holds it like a flash or a profile: no model load can cut in. A model the
      // board cannot hold is refused here, with the numbers, before anything is sent.
      return claims.reserving(board, async (r) => {
        const conn = await verifyBoard(plan, board);
        return {
          jobId: ctx.jobs.start(
            'verify',
            input,
            r.holding((job) => runVerify(plan, conn, job)),
          ).id,
        };
      });
    },
  };

  /** `bitbench footprint`'s work, and the Deploy page's footprint job (progress by phase, cancel). */
  async function runFootprint(input: FootprintRequest, hooks: JobHooks): Promise<FootprintResult> {
    const progress = hooks.progress ?? (() => undefined);
    const v = variant(input.model);
    const blob = blobOf(input.model, v.integerModel, 0);
    const parsed = readBlob(blob, input.model);
    // The first window of the parent's test split when there is one, else zeros: either way the
    // device output is compared with the host reference.
    let x = new Int8Array(parsed.inShape.reduce((a, b) => a * b, 1));
    let inputNote = 'zeros (no test split)';
    const ds = new VariantsRepo(ctx.db).parent(v.summary.parent).dataset?.name;
    if (ds) {
      const test = loadDatasetTensors(ctx.db, ds, 'test');
      if (test.count > 0) {
        x = Int8Array.from(quantizeInput(v.integerModel, test.x.subarray(0, test.x.length / test.count)));
        inputNote = `${ds} test window 0`;
      }
    }
    const board: StandaloneBoard = input.board === 'virtual:m4' ? 'mps2-an386' : 'microbit';
    const dir = input.keep ? path.resolve(input.keep) : mkdtempSync(path.join(os.tmpdir(), 'bb-footprint-'));
    try {
      let build: Awaited<ReturnType<typeof buildStandalone>>;
      progress(0.05, `building the ${input.build} image for ${input.board} (make)`);
      try {
        build = await buildStandalone(
          firmwareRoot(),
          dir,
          blob,
          x,
          board,
          input.build,
          input.check,
          hooks.signal,
        );
      } catch (err) {
        if (err instanceof BitbenchError) throw err;
        const user = err instanceof StandaloneTooLargeError || err instanceof StandaloneBuildError;
        const code = user ? 'bad_request' : 'internal';
        throw new BitbenchError(code, `model ${input.model}: ${(err as Error).message}`);
      }
      const fp = footprintOf(build, board);
      progress(0.7, `one inference on ${input.board} (QEMU)`);
      const run = await runStandalone(build.elf, board, path.join(dir, 'uart.txt'), 60_000, hooks.signal);
      const expected = runReference(parsed, x).output;
      return {
        model: input.model,
        board: input.board,
        build: input.build,
        check: input.check,
        kernel_mask: fp.kernel_mask,
        weight_bits_mask: fp.weight_bits_mask,
        engine: fp.engine,
        model_bytes: fp.model_bytes,
        arena_bytes: fp.arena_bytes,
        model_total_bytes: fp.model_total_bytes,
        budget_bytes: SEED000_BUDGET_BYTES,
        fits_budget: fp.model_total_bytes <= SEED000_BUDGET_BYTES,
        board_support: fp.board_support,
        app: fp.app,
        image: fp.image,
        run: {
          input: inputNote,
          bit_exact: run.out.length === expected.length && run.out.every((b, i) => b === expected[i]),
          elapsed: run.elapsed,
          unit: 'instructions',
          stack_bytes: run.stack_bytes,
        },
        files: input.keep ? [build.elf, build.map, path.join(dir, 'model.c'), path.join(dir, 'model.h')] : [],
      };
    } finally {
      if (!input.keep) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** What a verify needs before it starts: the blob, and the split it runs (not empty, shaped for the model). */
  function planVerify(input: VerifyRequest): VerifyPlan {
    const v = variant(input.model);
    const blob = blobOf(input.model, v.integerModel, 0);
    const parsed = readBlob(blob, input.model);
    const repo = new VariantsRepo(ctx.db);
    const datasetName = input.dataset ?? repo.parent(v.summary.parent).dataset?.name;
    if (!datasetName)
      throw new BitbenchError(
        'bad_request',
        `model ${input.model}: no dataset recorded for its parent; pass --dataset`,
      );
    const data = loadDatasetTensors(ctx.db, datasetName, input.split);
    checkData(input.model, parsed, datasetName.replace(/@\d+$/, ''), input.split, data);
    return { input, model: v.integerModel, blob, parsed, data };
  }

  /** A live connection to `board`, refused (with each number) when the model does not fit it. */
  async function verifyBoard(plan: VerifyPlan, board: string): Promise<BoardConnection> {
    const conn = await liveConnection(ctx, board);
    const fit = memoryFit(plan.input.model, plan.blob, plan.parsed, conn.spec, conn.info);
    if (!fit.fits) throw new BitbenchError('bad_request', fitMessage(fit), fit);
    return conn;
  }

  /** `bitbench verify`, and the Deploy page's verify job (progress, cancel between windows). */
  async function runVerify(
    plan: VerifyPlan,
    conn: BoardConnection | null,
    hooks: JobHooks,
  ): Promise<VerifyResult> {
    const progress = hooks.progress ?? (() => undefined);
    const checkStop = () => hooks.throwIfCancelled?.();
    const { input, model, blob, parsed, data } = plan;
    const per = data.x.length / Math.max(1, data.y.length);
    const count = Math.min(input.limit, data.y.length);
    const result: VerifyResult = {
      model: input.model,
      board: input.board ?? null,
      split: input.split,
      compared: 0,
      mismatches: 0,
      bit_exact: false,
      reference_vs_integer_sim: { compared: count, prediction_mismatches: 0, logit_mismatches: 0 },
      latency: null,
      first_mismatch: null,
      device_note: null,
    };
    const sim = result.reference_vs_integer_sim;
    if (conn) {
      checkStop();
      progress(0, `loading the model onto ${input.board}`);
      await loadModel(conn.client, blob);
    }
    const lat: number[] = [];
    const perLayer = new Array<number>(parsed.layers.length).fill(0);
    // The board's own counter (instructions on QEMU -icount), also when a window reports none.
    let unit = conn?.info.counterKind ?? 'cycles';
    // One window at a time: the board runs it while the host computes its reference, so the first
    // comparison comes after one window, not after the host has done the whole split.
    for (let i = 0; i < count; i++) {
      checkStop();
      if (conn)
        progress(
          0.05 + (0.95 * i) / count,
          `${input.board}: window ${i} / ${count}, ${result.mismatches} mismatch${result.mismatches === 1 ? '' : 'es'}`,
        );
      else if (i % 16 === 0) {
        progress(i / count, `host reference ${i} / ${count}`);
        // Let the job's id reach the caller and a cancel reach us.
        await new Promise((resolve) => setImmediate(resolve));
        checkStop();
      }
      const window = data.x.subarray(i * per, (i + 1) * per);
      const q = Int8Array.from(quantizeInput(model, window));
      const onDevice = conn?.client.infer(new Uint8Array(q.buffer, q.byteOffset, q.length));
      onDevice?.catch(() => undefined); // awaited below; the host reference runs meanwhile
      const ref = runReference(parsed, q);
      const simOut = runIntegerModel(model, window);
      if (simOut.length !== ref.output.length || simOut.some((s, k) => s !== ref.output[k]))
        sim.logit_mismatches++;
      if (argmax(simOut) !== argmax(ref.output)) sim.prediction_mismatches++;
      if (!conn || !onDevice) continue;
      const r = await onDevice;
      unit = r.counterKind;
      lat.push(r.elapsed);
      r.layerElapsed.forEach((e, k) => (perLayer[k] = (perLayer[k] ?? 0) + e));
      const want = ref.output;
      const got = new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length);
      result.compared++;
      if (got.length !== want.length || got.some((g, k) => g !== want[k])) {
        result.mismatches++;
        if (!result.first_mismatch) {
          let layer: number | null = null;
          for (let li = 0; li < parsed.layers.length && layer === null; li++) {
            const dev = await conn.client.layerOutput(li).catch(() => null);
            const exp = ref.layers[li]!;
            if (dev && (dev.length !== exp.length || dev.some((d, k) => (d << 24) >> 24 !== exp[k])))
              layer = li;
          }
          result.first_mismatch = {
            window: i,
            layer,
            detail: `device [${Array.from(got).slice(0, 8)}] vs host [${Array.from(want).slice(0, 8)}]`,
          };
        }
      }
    }
    if (!conn) {
      result.compared = count;
      result.mismatches = sim.logit_mismatches;
      result.bit_exact = sim.logit_mismatches === 0;
      result.device_note = 'no --board: host reference compared with the PTQ integer simulation only';
      return result;
    }
    result.bit_exact = result.mismatches === 0 && result.compared > 0;
    result.latency = {
      unit,
      mean: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length),
      min: Math.min(...lat),
      max: Math.max(...lat),
      per_layer_mean: perLayer.map((s) => s / Math.max(1, lat.length)),
    };
    return result;
  }

  return service;
}
