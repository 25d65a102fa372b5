import type {
  DeployProgress,
  Estimate,
  FlashResult,
  LayerProfile,
  Mismatch,
  ProfileResult,
  RunRecord,
} from '../../shared/api/deploy';
import { BitbenchError } from '../../shared/errors';
import { Hints } from '../../shared/hints';
import type { BoardStats, HelloInfo } from '../../shared/protocol';
import type { AppContext } from '../context';
import type { DatasetTensors } from '../datasets/dataset-reader';
import type { BoardConnection } from '../device/board-connection';
import { BoardClosedError, BoardTimeoutError } from '../device/errors';
import { runReference } from '../engine/reference';
import type { JobContext } from '../jobs/job-runner';
import { quantizeInput } from '../quant/integer-sim';
import { RunsRepo, type WindowRow } from '../store/runs-repo';
import { sha256, type Artifact } from './artifact';
import { costKernel, deviation, FLAG_THRESHOLD } from './cost-model';
import { flashArtifact, flashResult } from './flash';
import { argmax, classStats, latencyOf, wireBytesPerWindow } from './summary';

/**
 * The profile loop: the held-out windows go to the board one INFER at a time; each answer (int8
 * output, total and per-layer counts) is compared byte for byte with the host integer reference,
 * computed while the board works on the same window. Windows are stored as they come (every 25
 * windows or second), so a board that vanishes leaves a partial run that resumes where it stopped.
 */
export interface ProfilePlan {
  runId: number;
  art: Artifact;
  spec: string;
  info: HelloInfo;
  data: DatasetTensors;
  /** Windows 0 .. total-1 of the split are profiled. */
  total: number;
  estimate: Estimate;
  record: RunRecord;
  maxMismatchDetails: number;
  /** Mismatch details found by an earlier (resumed) part of this run. */
  earlierDetails: Mismatch[];
  /** Flash result of an earlier part of the run (shown until a new flash replaces it). */
  earlierFlash: FlashResult | null;
}

const CHECKPOINT_WINDOWS = 25;
const CHECKPOINT_MS = 1000;
const PROGRESS_EVERY_MS = 100;

export function windowInput(art: Artifact, data: DatasetTensors, i: number): Int8Array {
  const per = data.x.length / Math.max(1, data.count);
  return Int8Array.from(quantizeInput(art.detail.integerModel, data.x.subarray(i * per, (i + 1) * per)));
}

const equalBytes = (a: Int8Array, b: Int8Array) => a.length === b.length && a.every((v, k) => v === b[k]);

/** Where device and host first part ways, read back with LAYER_OUTPUT after the mismatching INFER. */
async function layerDiff(
  conn: BoardConnection,
  art: Artifact,
  ref: Int8Array[],
): Promise<Pick<Mismatch, 'first_layer' | 'layer_name' | 'differing_values' | 'max_abs_diff'>> {
  for (let li = 0; li < ref.length; li++) {
    let dev: Uint8Array;
    try {
      dev = await conn.client.layerOutput(li);
    } catch (err) {
      if (err instanceof BoardClosedError) throw err;
      continue; // overwritten by the ping-pong arena: compare the next one
    }
    const d = new Int8Array(dev.buffer, dev.byteOffset, dev.length);
    const want = ref[li]!;
    if (d.length !== want.length)
      return {
        first_layer: li,
        layer_name: art.work[li]?.name ?? null,
        differing_values: null,
        max_abs_diff: null,
      };
    let n = 0;
    let max = 0;
    for (let k = 0; k < d.length; k++)
      if (d[k] !== want[k]) {
        n++;
        max = Math.max(max, Math.abs(d[k]! - want[k]!));
      }
    if (n > 0)
      return {
        first_layer: li,
        layer_name: art.work[li]?.name ?? null,
        differing_values: n,
        max_abs_diff: max,
      };
  }
  return { first_layer: null, layer_name: null, differing_values: null, max_abs_diff: null };
}

export interface ProfileAssembly {
  plan: ProfilePlan;
  windows: WindowRow[];
  details: Mismatch[];
  stats: BoardStats | null;
  flash: FlashResult | null;
  state: ProfileResult['state'];
  note: string | null;
}

/** The ProfileResult of whatever windows the run holds (all of them, or a partial run's). */
export function assembleResult(a: ProfileAssembly): ProfileResult {
  const { plan, windows } = a;
  const { art, info } = plan;
  const n = windows.length;
  const cls = classStats(plan.data.classes, windows);
  const latency = latencyOf(
    windows.map((w) => w.elapsed),
    info,
  );
  const layerSums = art.work.map(() => 0);
  for (const w of windows) w.layerElapsed.forEach((e, i) => (layerSums[i] = (layerSums[i] ?? 0) + e));
  const layerMeans = layerSums.map((s) => (n ? s / n : 0));
  const layersTotal = layerMeans.reduce((s, v) => s + v, 0);
  const perLayer: LayerProfile[] = art.work.map((l, i) => {
    const est = plan.estimate.per_layer[i]!;
    const counts = layerMeans[i] ?? 0;
    const dev = n ? deviation(counts, est.estimate) : null;
    return {
      ...est,
      counts,
      counts_per_mac: l.macs > 0 ? counts / l.macs : null,
      deviation: dev,
      flagged: dev !== null && Math.abs(dev) > FLAG_THRESHOLD,
      share: latency.mean > 0 ? counts / latency.mean : 0,
    };
  });
  const macs = art.work.reduce((s, l) => s + l.macs, 0);
  const fit = plan.estimate.memory;
  const arenaUsed = a.stats && a.stats.arenaUsedLast > 0 ? a.stats.arenaUsedLast : fit.arena_used_bytes;
  const firmwareFlash = info.flashBytes - info.flashFree;
  const wallMs = windows.reduce((s, w) => s + w.wallMs, 0);
  return {
    run_id: plan.runId,
    state: a.state,
    note: a.note,
    model: art.name,
    parent: art.prov.parentName,
    board: plan.spec,
    board_name: info.board,
    cpu: info.cpu,
    firmware_version: info.firmwareVersion,
    build_id: info.buildId,
    dataset: plan.record.dataset.name,
    dataset_version: plan.record.dataset.version,
    split: plan.record.dataset.split,
    windows: n,
    windows_total: plan.total,
    split_windows: plan.data.count,
    host_accuracy: cls.hostAccuracy,
    device_accuracy: cls.deviceAccuracy,
    bit_exact: n > 0 && windows.every((w) => w.exact),
    mismatches: windows.filter((w) => !w.exact).length,
    mismatch_details: a.details,
    classes: plan.data.classes,
    per_class: cls.perClass,
    confusion: cls.confusion,
    latency,
    per_layer: perLayer,
    overhead_counts: latency.mean - layersTotal,
    macs,
    counts_per_mac: macs > 0 && n > 0 ? latency.mean / macs : null,
    layers_flagged: perLayer.filter((l) => l.flagged).length,
    calibration: plan.estimate.calibration,
    ram_bytes: arenaUsed + (a.stats?.stackHwmBytes ?? 0),
    flash_bytes: art.blob.length + firmwareFlash,
    model_bytes: art.blob.length,
    memory: {
      arena_used_bytes: arenaUsed,
      board_arena_bytes: info.arenaBytes,
      stack_hwm_bytes: a.stats?.stackHwmBytes ?? null,
      stack_bytes: a.stats?.stackBytes ?? null,
      firmware_flash_bytes: firmwareFlash,
      ram_total_bytes: info.ramBytes,
      flash_total_bytes: info.flashBytes,
      rx_dropped_frames: a.stats?.rxDroppedFrames ?? null,
      source: a.stats ? 'board-stats' : 'blob-header',
    },
    serial: {
      wall_seconds: wallMs / 1000,
      ms_per_window: n ? wallMs / n : 0,
      wire_bytes_per_window: wireBytesPerWindow(
        art.parsed.inShape[0] * art.parsed.inShape[1] * art.parsed.inShape[2],
        art.parsed.outLen,
        art.parsed.layers.length,
        Math.min(info.maxPayload, 4096),
      ),
    },
    flash: a.flash,
  };
}

/** Host outputs of the profiled windows, hashed in window order (the reproducibility anchor). */
export function hostOutputsSha(windows: readonly WindowRow[]): string {
  const total = windows.reduce((s, w) => s + w.hostOut.length, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const w of windows) {
    buf.set(new Uint8Array(w.hostOut.buffer, w.hostOut.byteOffset, w.hostOut.length), at);
    at += w.hostOut.length;
  }
  return sha256(buf);
}

/** Runs (or continues) a profile; returns the complete result or throws after saving a partial run. */
export async function runProfile(
  ctx: AppContext,
  conn: BoardConnection,
  plan: ProfilePlan,
  job: JobContext,
  opts: { force?: boolean } = {},
): Promise<ProfileResult> {
  const repo = new RunsRepo(ctx.db);
  const { art, runId } = plan;
  // Every window the run holds, earlier parts' and this one's: the results so far are stored with each
  // checkpoint, so a process that dies leaves a partial run whose numbers match its windows.
  const measured = repo.windows(runId);
  const done = new Set(measured.map((w) => w.idx));
  const details = [...plan.earlierDetails];
  let flash: FlashResult | null = plan.earlierFlash;
  let lastEmit = 0;
  const progress = (p: Partial<DeployProgress> & Pick<DeployProgress, 'phase'>, force = false) => {
    const now = Date.now();
    if (!force && now - lastEmit < PROGRESS_EVERY_MS) return;
    lastEmit = now;
    ctx.events.emit('deployProgress', {
      jobId: job.id,
      runId,
      bytesSent: 0,
      bytesTotal: art.blob.length,
      bytesPerSecond: 0,
      windowsDone: done.size,
      windowsTotal: plan.total,
      windowsPerSecond: 0,
      mismatches: 0,
      etaSeconds: null,
      ...p,
    });
  };

  const saveAs = (state: ProfileResult['state'], note: string | null, stats: BoardStats | null) => {
    const windows = repo.windows(runId);
    const result = assembleResult({ plan, windows, details, stats, flash, state, note });
    // Only measured layers calibrate the cost model.
    repo.saveLayers(
      runId,
      windows.length === 0
        ? []
        : art.work.map((l, i) => ({
            layer: i,
            name: l.name,
            kernel: l.kernel,
            weightBits: l.weightBits,
            macs: l.macs,
            work: l.work,
            outputs: l.outputs,
            costKernel: costKernel(plan.info.cpu, l),
            loopWork: l.loopWork,
            outChannels: l.outChannels,
            wideOutputs: l.wideOutputs,
            counts: result.per_layer[i]!.counts,
            estimate: result.per_layer[i]!.estimate,
          })),
    );
    if (state === 'complete')
      repo.setConfig(runId, {
        record: { ...plan.record, host_outputs_sha256: hostOutputsSha(windows) },
        estimate: plan.estimate,
      });
    repo.finish(runId, state, note, result);
    return result;
  };

  const pending: WindowRow[] = [];
  let lastFlush = Date.now();
  const flush = () => {
    if (pending.length > 0)
      repo.appendWindows(
        runId,
        pending.splice(0),
        assembleResult({
          plan,
          windows: measured,
          details,
          stats: null,
          flash,
          state: 'running',
          note: null,
        }),
      );
    lastFlush = Date.now();
  };

  try {
    // 1. Flash, unless the board already runs exactly this blob.
    job.progress(0, `flashing ${art.name} to ${plan.spec}`);
    progress({ phase: 'flash' }, true);
    const t0 = Date.now();
    const f = await flashArtifact(conn, art, {
      force: opts.force ?? false,
      signal: job.signal,
      onProgress: (p) => {
        job.progress(0.05 * (p.sent / Math.max(1, p.total)), `flashing: ${p.sent} / ${p.total} B`);
        progress({
          phase: 'flash',
          bytesSent: p.sent,
          bytesPerSecond: p.bytesPerSecond,
          etaSeconds: p.etaSeconds,
        });
      },
    });
    if (!f.alreadyActive || !flash)
      flash = flashResult(runId, art, { spec: plan.spec, info: conn.info }, f, t0);

    // 2. The windows, skipping those an earlier part of the run measured.
    const started = Date.now();
    let measuredNow = 0;
    let mismatchesNow = 0;
    for (let i = 0; i < plan.total; i++) {
      if (done.has(i)) continue;
      job.throwIfCancelled();
      const input = windowInput(art, plan.data, i);
      const w0 = performance.now();
      const onDevice = conn.client.infer(new Uint8Array(input.buffer, input.byteOffset, input.length));
      onDevice.catch(() => undefined); // handled below; the host reference runs meanwhile
      const ref = runReference(art.parsed, input);
      const r = await onDevice;
      const wallMs = performance.now() - w0;
      const out = new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length);
      const exact = equalBytes(out, ref.output);
      const row: WindowRow = {
        idx: i,
        label: plan.data.y[i]!,
        devicePred: argmax(out),
        hostPred: argmax(ref.output),
        exact,
        elapsed: r.elapsed,
        layerElapsed: r.layerElapsed,
        hostOut: ref.output,
        wallMs,
      };
      if (!exact) {
        mismatchesNow++;
        if (details.length < plan.maxMismatchDetails) {
          const diff = await layerDiff(conn, art, ref.layers);
          details.push({
            window: i,
            label: row.label,
            device_prediction: row.devicePred,
            host_prediction: row.hostPred,
            ...diff,
            detail: `device [${Array.from(out).join(', ')}] vs host [${Array.from(ref.output).join(', ')}]`,
          });
        }
      }
      pending.push(row);
      measured.push(row);
      done.add(i);
      measuredNow++;
      if (pending.length >= CHECKPOINT_WINDOWS || Date.now() - lastFlush >= CHECKPOINT_MS) flush();
      const secs = (Date.now() - started) / 1000;
      const rate = secs > 0 ? measuredNow / secs : 0;
      const eta = rate > 0 ? (plan.total - done.size) / rate : null;
      job.progress(
        0.05 + 0.93 * (done.size / plan.total),
        `window ${done.size} / ${plan.total}${mismatchesNow ? `, ${mismatchesNow} mismatches` : ''}`,
      );
      progress({ phase: 'profile', windowsPerSecond: rate, mismatches: mismatchesNow, etaSeconds: eta });
    }
    flush();

    // 3. Memory the board used over the whole run.
    progress({ phase: 'stats' }, true);
    const stats = await conn.client.boardStats();
    const result = saveAs('complete', null, stats);
    progress({ phase: 'done', windowsDone: plan.total }, true);
    return result;
  } catch (err) {
    try {
      flush();
    } catch {
      // the store failing too: the windows flushed before stay
    }
    const cancelled = err instanceof BitbenchError && err.code === 'cancelled';
    const vanished = err instanceof BoardClosedError || err instanceof BoardTimeoutError;
    const why = err instanceof Error ? err.message : String(err);
    const measured = repo.windows(runId).length;
    const note = cancelled
      ? `cancelled after ${measured} of ${plan.total} windows`
      : vanished
        ? `the board went away after ${measured} of ${plan.total} windows (${why})`
        : why;
    saveAs(measured > 0 || vanished || cancelled ? 'partial' : 'failed', note, null);
    progress({ phase: 'done' }, true);
    if (cancelled) throw err;
    throw new BitbenchError(
      err instanceof BitbenchError ? err.code : 'device',
      `${note}. Run ${runId} is saved as ${measured > 0 || vanished ? 'partial' : 'failed'} with what was measured; ` +
        `reconnect the board and ${Hints.resumeProfile(ctx.audience, runId)}.`,
    );
  }
}
