/** Percentile by nearest rank on a sorted copy (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    count: s.length,
    p50Ms: percentile(s, 50),
    p99Ms: percentile(s, 99),
    meanMs: mean,
    minMs: s[0] ?? NaN,
    maxMs: s[s.length - 1] ?? NaN,
  };
}
