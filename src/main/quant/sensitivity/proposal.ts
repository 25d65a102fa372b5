import type { Proposal, SensitivityReport } from '../../../shared/api/lowbit';

/**
 * From measured per-layer sensitivities to a per-layer bit table. The accuracy drop of a mixed table is
 * predicted as the sum of the single-layer drops (after rounding, mean over seeds; negative drops count
 * as 0) — the usual additivity assumption of sensitivity-based mixed precision; the size is exact:
 * packed weights at their bits (whole bytes per tensor) + int32 biases. With ≤ 20,000 combinations every table is scored and
 * the Pareto front (size vs predicted drop) is exact; beyond that a greedy descent from the widest
 * table lowers, at each step, the layer with the most bytes saved per point of predicted drop.
 * The proposal is the smallest table whose drop ≤ maxDrop (or, with only maxBytes, the most accurate
 * one that fits); with both, the smallest meeting both.
 */
interface Candidate {
  table: Record<string, number>;
  bytes: number;
  drop: number;
}

export function proposeTable(
  report: SensitivityReport,
  target: { maxDrop?: number; maxBytes?: number },
): Proposal {
  const layers = report.layers;
  const bitsSet = [...new Set(report.bits)].sort((a, b) => b - a);
  const dropOf = (layer: string, bits: number): number => {
    const c = report.cells.find((x) => x.layer === layer && x.bits === bits);
    return c ? Math.max(0, c.drop_after_mean) : Number.POSITIVE_INFINITY;
  };
  // Whole bytes per packed tensor, as the variant's stored_bytes counts them (storedBytes).
  const bytesOf = (table: Record<string, number>) =>
    layers.reduce(
      (s, l) =>
        s +
        (l.weight_tensors ?? [l.weights]).reduce((t, n) => t + Math.ceil((n * table[l.layer]!) / 8), 0) +
        4 * l.biases,
      0,
    );
  const score = (table: Record<string, number>): Candidate => ({
    table,
    bytes: bytesOf(table),
    drop: layers.reduce((s, l) => s + dropOf(l.layer, table[l.layer]!), 0),
  });

  let candidates: Candidate[] = [];
  const combos = bitsSet.length ** layers.length;
  if (combos <= 20_000) {
    const idx = layers.map(() => 0);
    for (let k = 0; k < combos; k++) {
      const table: Record<string, number> = {};
      layers.forEach((l, i) => (table[l.layer] = bitsSet[idx[i]!]!));
      candidates.push(score(table));
      for (let i = 0; i < idx.length; i++) {
        idx[i]!++;
        if (idx[i]! < bitsSet.length) break;
        idx[i] = 0;
      }
    }
  } else {
    let cur: Record<string, number> = Object.fromEntries(layers.map((l) => [l.layer, bitsSet[0]!]));
    candidates.push(score(cur));
    for (;;) {
      let best: Candidate | undefined;
      let bestRatio = -1;
      for (const l of layers) {
        const i = bitsSet.indexOf(cur[l.layer]!);
        if (i + 1 >= bitsSet.length) continue;
        const c = score({ ...cur, [l.layer]: bitsSet[i + 1]! });
        const here = score(cur);
        const ratio = (here.bytes - c.bytes) / Math.max(1e-6, c.drop - here.drop);
        if (ratio > bestRatio) {
          bestRatio = ratio;
          best = c;
        }
      }
      if (!best) break;
      candidates.push(best);
      cur = best.table;
    }
  }
  candidates = candidates.filter((c) => Number.isFinite(c.drop));
  const pareto = candidates
    .filter(
      (c) =>
        !candidates.some(
          (o) => o.bytes <= c.bytes && o.drop <= c.drop && (o.bytes < c.bytes || o.drop < c.drop),
        ),
    )
    .sort((a, b) => a.bytes - b.bytes);
  const fits = (c: Candidate) =>
    (target.maxDrop === undefined || c.drop <= target.maxDrop) &&
    (target.maxBytes === undefined || c.bytes <= target.maxBytes);
  const ok = pareto.filter(fits);
  let pick: Candidate | undefined;
  let note: string;
  if (ok.length) {
    pick = target.maxDrop !== undefined ? ok[0] : ok.reduce((a, b) => (b.drop < a.drop ? b : a));
    note =
      target.maxDrop !== undefined
        ? `smallest table with a predicted drop ≤ ${target.maxDrop} points${target.maxBytes !== undefined ? ` and ≤ ${target.maxBytes} B` : ''}`
        : `most accurate table within ${target.maxBytes} B`;
  } else {
    pick = pareto.reduce((a, b) => (b.drop < a.drop ? b : a), pareto[0]!);
    note = 'no measured table meets the target; showing the most accurate one';
  }
  return {
    layer_bits: pick?.table ?? {},
    predicted_drop: pick?.drop ?? 0,
    stored_bytes: pick?.bytes ?? 0,
    meets_target: ok.length > 0,
    pareto: pareto.map((c) => ({ layer_bits: c.table, stored_bytes: c.bytes, predicted_drop: c.drop })),
    note,
  };
}
