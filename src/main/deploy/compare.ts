import {
  paretoFront,
  rankingAccuracy,
  type CompareResult,
  type CompareRow,
  type ProfileResult,
} from '../../shared/api/deploy';
import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import { ModelsRepo } from '../store/models-repo';
import { RunsRepo } from '../store/runs-repo';
import { VariantsRepo } from '../store/variants-repo';
import { readableRows } from '../store/json-column';
import { writeBlob } from '../engine/blob-writer';
import type { VariantDetail } from '../../shared/api/quant';

/**
 * The float model and every quantized variant of it, one row each, with the newest profile run of
 * each variant (on `board` if given). Rows are ranked by the device's accuracy where a run covered
 * its whole split, else the host's (rankingAccuracy); the Pareto fronts are over the rows shown.
 */
export function compareModel(db: Db, name: string, board: string | null): CompareResult {
  const models = new ModelsRepo(db);
  let float = models.byName(name);
  if (!float)
    throw new BitbenchError(
      'not_found',
      `No model named "${name}". List models with \`bitbench models list\`.`,
    );
  if (float.kind === 'quantized') {
    const parent = float.parentId !== null ? models.byId(float.parentId) : undefined;
    if (!parent)
      throw new BitbenchError('not_found', `Variant "${name}" has no float parent left to compare against.`);
    float = parent;
  }
  const variantsRepo = new VariantsRepo(db);
  const runs = new RunsRepo(db);
  const summaries = variantsRepo.list(float.name);
  // A variant (or its newest run) with a damaged value is left out and reported, not the whole table.
  const details: VariantDetail[] = readableRows(db, summaries, (s) => variantsRepo.get(s.name));
  const anyReport = details[0]?.report;
  const params = float.training?.params ?? 0;
  const rows: CompareRow[] = [
    {
      name: float.name,
      kind: 'float',
      family: 'float',
      method: 'float32',
      weights_bits: 32,
      acts_bits: 32,
      layer_bits: [],
      host_accuracy: float.training?.evaluations.test?.accuracy ?? null,
      device_accuracy: null,
      device_windows: null,
      device_windows_total: null,
      device_split: null,
      bit_exact: null,
      size_bytes: anyReport?.float_model_bytes ?? params * 4,
      model_bytes: anyReport?.float_model_bytes ?? params * 4,
      bops: anyReport?.float_bops ?? (anyReport ? anyReport.macs * 1024 : 0),
      peak_memory_bytes: anyReport?.float_peak_memory_bytes ?? null,
      mismatches: null,
      latency: null,
      latency_us: null,
      counts_per_mac: null,
      ram_bytes: null,
      flash_bytes: null,
      board: null,
      firmware_version: null,
      run_id: null,
      run_state: null,
      pareto_latency: false,
      pareto_size: false,
    },
  ];
  const ids: number[] = [];
  const variantRow = (d: VariantDetail): void => {
    const m = models.byName(d.summary.name);
    if (!m) return;
    let size = d.report.model_bytes;
    try {
      size = writeBlob(d.integerModel).length;
    } catch {
      // a variant the exporter refuses keeps the report's estimate
    }
    const run = runs.latestProfile(m.id, board);
    const res =
      run && run.results && typeof run.results === 'object' && 'device_accuracy' in run.results
        ? (run.results as ProfileResult)
        : null;
    rows.push({
      name: d.summary.name,
      kind: 'quantized',
      family: runs.provenance(d.summary.name).family,
      method: d.summary.method,
      weights_bits: d.summary.weights_bits,
      acts_bits: d.summary.acts_bits,
      layer_bits: d.report.per_layer.map((l) => ({
        name: l.name,
        weights: l.bits.weights,
        acts: l.bits.acts,
      })),
      host_accuracy: d.report.accuracy,
      device_accuracy: res && res.windows > 0 ? res.device_accuracy : null,
      device_windows: res && res.windows > 0 ? res.windows : null,
      device_windows_total: res && res.windows > 0 ? splitWindows(db, res) : null,
      device_split: res && res.windows > 0 ? res.split : null,
      bit_exact: res && res.windows > 0 ? res.bit_exact : null,
      size_bytes: size,
      model_bytes: size,
      bops: d.report.bops,
      peak_memory_bytes: d.report.peak_memory_bytes,
      mismatches: res && res.windows > 0 ? res.mismatches : null,
      latency:
        res && res.windows > 0
          ? { unit: res.latency.unit, mean: res.latency.mean, p50: res.latency.p50, p99: res.latency.p99 }
          : null,
      latency_us: res?.latency.us?.mean ?? null,
      counts_per_mac: res?.counts_per_mac ?? null,
      ram_bytes: res?.ram_bytes ?? null,
      flash_bytes: res?.flash_bytes ?? null,
      board: res?.board ?? null,
      firmware_version: res?.firmware_version ?? null,
      run_id: run?.id ?? null,
      run_state: run?.state ?? null,
      pareto_latency: false,
      pareto_size: false,
    });
    ids.push(m.id);
  };
  readableRows(db, details, variantRow);
  const acc = rankingAccuracy;
  // Latencies are compared only within one board: a count on the M0 is not a count on the M4 (and
  // instructions are not cycles), so with results from several boards each board has its own front.
  const byLatency = new Set<CompareRow>();
  for (const b of new Set(rows.map((r) => r.board)))
    if (b !== null)
      for (const r of paretoFront(
        rows.filter((x) => x.board === b),
        acc,
        (x) => x.latency?.mean ?? null,
      ))
        byLatency.add(r);
  const bySize = paretoFront(rows, acc, (r) => r.size_bytes);
  for (const r of rows) {
    r.pareto_latency = byLatency.has(r);
    r.pareto_size = bySize.has(r);
  }
  return { model: float.name, board, boards: runs.boardsOf(ids), rows };
}

/**
 * Windows in the split a profile ran on: recorded since `split_windows`, else counted in the dataset
 * version (runs from before); `windows_total` (what the run asked for) when the version is gone.
 */
function splitWindows(db: Db, res: ProfileResult): number {
  if (res.split_windows !== undefined) return res.split_windows;
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM dataset_windows w JOIN datasets d ON d.id = w.dataset_id
        WHERE d.name = ? AND d.version = ? AND w.split = ?`,
    )
    .get(res.dataset, res.dataset_version, res.split) as { n: number };
  return row.n > 0 ? Math.max(row.n, res.windows_total) : res.windows_total;
}
