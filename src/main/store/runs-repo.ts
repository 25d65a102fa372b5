import { BitbenchError } from '../../shared/errors';
import type { Db } from './database';
import { parseJsonColumn, readableRows } from './json-column';

/**
 * Deploy & profile runs (`runs` of 0001 as extended by 0010, `run_windows`, `run_layers`).
 * A profile run is written as it goes: the run row first, then windows in small transactions, then
 * the per-layer means and the results. Whatever happens to the board, what was measured stays.
 */
export type RunKind = 'flash' | 'profile';
export type RunState = 'running' | 'complete' | 'partial' | 'failed';

export interface RunRow {
  id: number;
  kind: RunKind;
  modelId: number | null;
  model: string | null;
  board: string | null;
  state: RunState;
  config: unknown;
  results: unknown;
  createdAt: string;
  updatedAt: string | null;
  jobId: string | null;
  boardName: string | null;
  cpu: string | null;
  counterKind: string | null;
  firmwareVersion: string | null;
  buildId: string | null;
  datasetName: string | null;
  datasetVersion: number | null;
  split: string | null;
  modelHash: string | null;
  windowsDone: number;
  windowsTotal: number;
  note: string | null;
}

interface RawRun {
  id: number;
  kind: string;
  model_id: number | null;
  model: string | null;
  board: string | null;
  state: string;
  config: string;
  results: string;
  created_at: string;
  updated_at: string | null;
  job_id: string | null;
  board_name: string | null;
  cpu: string | null;
  counter_kind: string | null;
  firmware_version: string | null;
  build_id: string | null;
  dataset_name: string | null;
  dataset_version: number | null;
  split: string | null;
  model_hash: string | null;
  windows_done: number;
  windows_total: number;
  note: string | null;
}

const SELECT = `SELECT r.*, m.name AS model FROM runs r LEFT JOIN models m ON m.id = r.model_id`;

function runRow(r: RawRun): string {
  return `${r.kind} run ${r.id}${r.model ? ` of "${r.model}"` : ''}`;
}

function toRow(r: RawRun): RunRow {
  return {
    id: r.id,
    kind: r.kind as RunKind,
    modelId: r.model_id,
    model: r.model,
    board: r.board,
    state: r.state as RunState,
    config: parseJsonColumn(r.config, { table: 'runs', column: 'config', row: runRow(r) }),
    results: parseJsonColumn(r.results, { table: 'runs', column: 'results', row: runRow(r) }),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    jobId: r.job_id,
    boardName: r.board_name,
    cpu: r.cpu,
    counterKind: r.counter_kind,
    firmwareVersion: r.firmware_version,
    buildId: r.build_id,
    datasetName: r.dataset_name,
    datasetVersion: r.dataset_version,
    split: r.split,
    modelHash: r.model_hash,
    windowsDone: r.windows_done,
    windowsTotal: r.windows_total,
    note: r.note,
  };
}

export interface NewRun {
  kind: RunKind;
  modelId: number;
  board: string;
  boardName: string;
  cpu: string;
  counterKind: string;
  firmwareVersion: string;
  buildId: string;
  modelHash: string;
  datasetName?: string | null;
  datasetVersion?: number | null;
  split?: string | null;
  windowsTotal?: number;
  jobId?: string | null;
  config: unknown;
}

export interface WindowRow {
  idx: number;
  label: number;
  devicePred: number;
  hostPred: number;
  exact: boolean;
  elapsed: number;
  layerElapsed: number[];
  hostOut: Int8Array;
  wallMs: number;
}

export interface LayerRow {
  layer: number;
  name: string;
  kernel: string;
  weightBits: number | null;
  macs: number;
  work: number;
  outputs: number;
  counts: number;
  estimate: number | null;
  /** The cost model's kernel (cost-model.ts costKernel) on this board; null on rows from before 0014. */
  costKernel?: string | null;
  /** The layer's loop work (layer-work.ts LayerWork.loopWork); null on rows from before 0015. */
  loopWork?: number | null;
  /** LayerWork.outChannels and .wideOutputs; null on rows from before 0016. */
  outChannels?: number | null;
  wideOutputs?: number | null;
}

/** What a profile needs to know about a quantized variant beyond VariantsRepo.get. */
export interface VariantProvenance {
  modelId: number;
  parentName: string | null;
  parentSpec: unknown;
  family: string;
  method: string;
  weightBits: number;
  actBits: number;
  datasetName: string | null;
  datasetVersion: number | null;
  config: unknown;
  settings: unknown;
  floatWeights: Uint8Array | null;
  integerModelJson: string;
}

const now = () => new Date().toISOString();

function packU32(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
}

function unpackU32(b: Uint8Array): number[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.byteLength / 4 }, (_, i) => buf.readUInt32LE(i * 4));
}

export class RunsRepo {
  constructor(private readonly db: Db) {}

  create(r: NewRun): number {
    const t = now();
    return Number(
      this.db
        .prepare(
          `INSERT INTO runs (kind, model_id, board, state, config, results, created_at, updated_at, job_id, board_name, cpu,
             counter_kind, firmware_version, build_id, dataset_name, dataset_version, split, model_hash, windows_total)
           VALUES (?, ?, ?, 'running', ?, '{}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          r.kind,
          r.modelId,
          r.board,
          JSON.stringify(r.config),
          t,
          t,
          r.jobId ?? null,
          r.boardName,
          r.cpu,
          r.counterKind,
          r.firmwareVersion,
          r.buildId,
          r.datasetName ?? null,
          r.datasetVersion ?? null,
          r.split ?? null,
          r.modelHash,
          r.windowsTotal ?? 0,
        ).lastInsertRowid,
    );
  }

  get(id: number): RunRow {
    const r = this.db.prepare(`${SELECT} WHERE r.id = ?`).get(id) as RawRun | undefined;
    if (!r)
      throw new BitbenchError('not_found', `No run with id ${id}. List runs with \`bitbench runs list\`.`);
    return toRow(r);
  }

  list(opts: { model?: string; kind?: RunKind; limit: number }): RunRow[] {
    const rows = this.db
      .prepare(
        `${SELECT} WHERE (? IS NULL OR m.name = ?) AND (? IS NULL OR r.kind = ?) AND r.kind IN ('flash', 'profile')
         ORDER BY r.id DESC LIMIT ?`,
      )
      .all(
        opts.model ?? null,
        opts.model ?? null,
        opts.kind ?? null,
        opts.kind ?? null,
        opts.limit,
      ) as RawRun[];
    return readableRows(this.db, rows, toRow);
  }

  /** The newest profile run of a model (complete preferred over partial), optionally on one board. */
  latestProfile(modelId: number, board?: string | null): RunRow | undefined {
    const r = this.db
      .prepare(
        `${SELECT} WHERE r.model_id = ? AND r.kind = 'profile' AND r.state IN ('complete', 'partial')
           AND (? IS NULL OR r.board = ?)
         ORDER BY r.state = 'complete' DESC, r.id DESC LIMIT 1`,
      )
      .get(modelId, board ?? null, board ?? null) as RawRun | undefined;
    return r && toRow(r);
  }

  /** Boards any of these models was profiled on. */
  boardsOf(modelIds: readonly number[]): string[] {
    if (modelIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT DISTINCT board FROM runs WHERE kind = 'profile' AND state IN ('complete', 'partial') AND board IS NOT NULL
           AND model_id IN (${modelIds.map(() => '?').join(',')}) ORDER BY board`,
      )
      .all(...modelIds) as Array<{ board: string }>;
    return rows.map((r) => r.board);
  }

  setJob(id: number, jobId: string): void {
    this.db.prepare('UPDATE runs SET job_id = ?, updated_at = ? WHERE id = ?').run(jobId, now(), id);
  }

  /** Sets state, note and (when given) the results and config, in one statement. */
  finish(id: number, state: RunState, note: string | null, results?: unknown): void {
    if (results === undefined)
      this.db
        .prepare('UPDATE runs SET state = ?, note = ?, updated_at = ? WHERE id = ?')
        .run(state, note, now(), id);
    else
      this.db
        .prepare('UPDATE runs SET state = ?, note = ?, results = ?, updated_at = ? WHERE id = ?')
        .run(state, note, JSON.stringify(results), now(), id);
  }

  setConfig(id: number, config: unknown): void {
    this.db
      .prepare('UPDATE runs SET config = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(config), now(), id);
  }

  /** Back to running for a resume, under a new job. */
  reopen(id: number, jobId: string): void {
    this.db
      .prepare(`UPDATE runs SET state = 'running', note = NULL, job_id = ?, updated_at = ? WHERE id = ?`)
      .run(jobId, now(), id);
  }

  /** Appends profiled windows and advances the progress counter, atomically. */
  /**
   * Stores measured windows and, with them in the same transaction, the run's results so far: a run
   * whose process dies keeps numbers that match its windows.
   */
  appendWindows(runId: number, rows: readonly WindowRow[], results?: unknown): void {
    if (rows.length === 0) return;
    const ins = this.db.prepare(
      `INSERT OR REPLACE INTO run_windows (run_id, idx, label, device_pred, host_pred, exact, elapsed, layer_elapsed, host_out, wall_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const w of rows)
        ins.run(
          runId,
          w.idx,
          w.label,
          w.devicePred,
          w.hostPred,
          w.exact ? 1 : 0,
          w.elapsed,
          packU32(w.layerElapsed),
          Buffer.from(w.hostOut.buffer, w.hostOut.byteOffset, w.hostOut.byteLength),
          w.wallMs,
        );
      this.db
        .prepare(
          'UPDATE runs SET windows_done = (SELECT COUNT(*) FROM run_windows WHERE run_id = ?), updated_at = ? WHERE id = ?',
        )
        .run(runId, now(), runId);
      if (results !== undefined)
        this.db.prepare('UPDATE runs SET results = ? WHERE id = ?').run(JSON.stringify(results), runId);
    })();
  }

  windows(runId: number): WindowRow[] {
    const rows = this.db
      .prepare(
        `SELECT idx, label, device_pred, host_pred, exact, elapsed, layer_elapsed, host_out, wall_ms FROM run_windows
         WHERE run_id = ? ORDER BY idx`,
      )
      .all(runId) as Array<{
      idx: number;
      label: number;
      device_pred: number;
      host_pred: number;
      exact: number;
      elapsed: number;
      layer_elapsed: Uint8Array;
      host_out: Uint8Array;
      wall_ms: number;
    }>;
    return rows.map((r) => ({
      idx: r.idx,
      label: r.label,
      devicePred: r.device_pred,
      hostPred: r.host_pred,
      exact: r.exact === 1,
      elapsed: r.elapsed,
      layerElapsed: unpackU32(r.layer_elapsed),
      hostOut: new Int8Array(r.host_out.buffer, r.host_out.byteOffset, r.host_out.byteLength).slice(),
      wallMs: r.wall_ms,
    }));
  }

  saveLayers(runId: number, layers: readonly LayerRow[]): void {
    const ins = this.db.prepare(
      `INSERT INTO run_layers (run_id, layer, name, kernel, weight_bits, macs, work, outputs, counts, estimate, cost_kernel, loop_work,
                               out_channels, wide_outputs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM run_layers WHERE run_id = ?').run(runId);
      for (const l of layers)
        ins.run(
          runId,
          l.layer,
          l.name,
          l.kernel,
          l.weightBits,
          l.macs,
          l.work,
          l.outputs,
          l.counts,
          l.estimate,
          l.costKernel ?? null,
          l.loopWork ?? null,
          l.outChannels ?? null,
          l.wideOutputs ?? null,
        );
    })();
  }

  /** Per-layer means of the board's earlier profiles (same board name and counter): calibration data. */
  layerHistory(
    boardName: string,
    counterKind: string,
    opts: { excludeRun?: number; maxRuns?: number } = {},
  ): Array<LayerRow & { runId: number }> {
    const rows = this.db
      .prepare(
        `SELECT l.run_id, l.layer, l.name, l.kernel, l.weight_bits, l.macs, l.work, l.outputs, l.counts, l.estimate, l.cost_kernel, l.loop_work,
                l.out_channels, l.wide_outputs
           FROM run_layers l
          WHERE l.run_id IN (SELECT id FROM runs WHERE kind = 'profile' AND board_name = ? AND counter_kind = ?
                               AND state IN ('complete', 'partial') AND id != ? ORDER BY id DESC LIMIT ?)`,
      )
      .all(boardName, counterKind, opts.excludeRun ?? -1, opts.maxRuns ?? 50) as Array<{
      run_id: number;
      layer: number;
      name: string;
      kernel: string;
      weight_bits: number | null;
      macs: number;
      work: number;
      outputs: number;
      counts: number;
      estimate: number | null;
      cost_kernel: string | null;
      loop_work: number | null;
      out_channels: number | null;
      wide_outputs: number | null;
    }>;
    return rows.map((r) => ({
      runId: r.run_id,
      layer: r.layer,
      name: r.name,
      kernel: r.kernel,
      weightBits: r.weight_bits,
      macs: r.macs,
      work: r.work,
      outputs: r.outputs,
      counts: r.counts,
      estimate: r.estimate,
      costKernel: r.cost_kernel,
      loopWork: r.loop_work,
      outChannels: r.out_channels,
      wideOutputs: r.wide_outputs,
    }));
  }

  /**
   * Runs left 'running' by a process that is gone (its job is no longer running) become partial:
   * what they measured is kept and they can be resumed.
   */
  markStale(): number {
    return this.db
      .prepare(
        `UPDATE runs SET state = 'partial', note = COALESCE(note, 'the process running it stopped'),
                results = CASE WHEN json_valid(results) AND json_type(results, '$.state') IS NOT NULL
                  THEN json_set(results, '$.state', 'partial', '$.note', COALESCE(note, 'the process running it stopped'))
                  ELSE results END,
                updated_at = ?
          WHERE kind IN ('flash', 'profile') AND state = 'running'
            AND (job_id IS NULL OR job_id NOT IN (SELECT id FROM jobs WHERE state IN ('running', 'queued')))`,
      )
      .run(now()).changes;
  }

  provenance(name: string): VariantProvenance {
    const r = this.db
      .prepare(
        `SELECT m.id AS model_id, p.name AS parent_name, p.spec AS parent_spec, p.weights AS float_weights, q.family, q.method,
                q.weight_bits, q.act_bits, q.dataset_name, q.dataset_version, q.config, q.settings, q.integer_model,
                t.dataset_name AS t_dataset, t.dataset_version AS t_version
           FROM models m JOIN quant_variants q ON q.model_id = m.id
           LEFT JOIN models p ON p.id = q.parent_id
           LEFT JOIN model_training t ON t.model_id = q.parent_id
          WHERE m.name = ?`,
      )
      .get(name) as
      | {
          model_id: number;
          parent_name: string | null;
          parent_spec: string | null;
          float_weights: Uint8Array | null;
          family: string;
          method: string;
          weight_bits: number;
          act_bits: number;
          dataset_name: string | null;
          dataset_version: number | null;
          config: string;
          settings: string;
          integer_model: string;
          t_dataset: string | null;
          t_version: number | null;
        }
      | undefined;
    if (!r) {
      const isFloat = this.db.prepare(`SELECT 1 FROM models WHERE name = ? AND kind = 'float'`).get(name);
      throw new BitbenchError(
        'not_found',
        isFloat
          ? `"${name}" is a float model: quantize it first (\`bitbench quantize --model ${name} …\`); only integer variants run on a board.`
          : `No quantized variant named "${name}". List them with \`bitbench variants list\`.`,
      );
    }
    const row = `variant "${name}"`;
    const config = parseJsonColumn<Record<string, unknown>>(r.config, {
      table: 'quant_variants',
      column: 'config',
      row,
    });
    // A low-bit variant keeps its whole training report (curves, histograms) in config: not a setting.
    if (config && typeof config === 'object' && 'report' in config) delete config.report;
    return {
      modelId: r.model_id,
      parentName: r.parent_name,
      parentSpec: r.parent_spec
        ? parseJsonColumn(r.parent_spec, { table: 'models', column: 'spec', row: `model "${r.parent_name}"` })
        : null,
      family: r.family,
      method: r.method,
      weightBits: r.weight_bits,
      actBits: r.act_bits,
      datasetName: r.dataset_name ?? r.t_dataset,
      datasetVersion: r.dataset_name ? r.dataset_version : r.t_version,
      config,
      settings: parseJsonColumn(r.settings, { table: 'quant_variants', column: 'settings', row }),
      floatWeights: r.float_weights,
      integerModelJson: r.integer_model,
    };
  }
}
