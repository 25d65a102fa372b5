import { seededRandom } from './rng';

/**
 * Collects the statistics of one activation tensor over calibration batches (seed 004's
 * "observers"): exact min/max, running mean/variance, and a uniform reservoir sample that the MSE and
 * percentile range setters search over. Memory stays bounded however much data flows through.
 */
export class ActivationObserver {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  count = 0;
  private sum = 0;
  private sumSq = 0;
  private readonly reservoir: Float32Array;
  private filled = 0;
  private readonly rand: () => number;

  constructor(
    readonly name: string,
    capacity = 65536,
    seed = 1,
  ) {
    this.reservoir = new Float32Array(capacity);
    this.rand = seededRandom(seed);
  }

  observe(values: ArrayLike<number>): void {
    const cap = this.reservoir.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      this.sum += v;
      this.sumSq += v * v;
      this.count++;
      if (this.filled < cap) this.reservoir[this.filled++] = v;
      else {
        const j = Math.floor(this.rand() * this.count);
        if (j < cap) this.reservoir[j] = v;
      }
    }
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  get std(): number {
    if (!this.count) return 0;
    return Math.sqrt(Math.max(0, this.sumSq / this.count - this.mean ** 2));
  }

  /** The reservoir: a uniform sample of everything observed. */
  sample(): Float32Array {
    return this.reservoir.subarray(0, this.filled);
  }
}

/**
 * Per-channel statistics of a channels-last tensor (last axis = channel): min, mean, std per
 * channel. Bias absorption and empirical bias correction need them.
 */
export function channelStats(
  values: Float32Array,
  channels: number,
): { min: Float64Array; mean: Float64Array; std: Float64Array } {
  const min = new Float64Array(channels).fill(Number.POSITIVE_INFINITY);
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const rows = values.length / channels;
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const v = values[o + c]!;
      if (v < min[c]!) min[c] = v;
      sum[c]! += v;
      sumSq[c]! += v * v;
    }
  }
  const mean = new Float64Array(channels);
  const std = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    mean[c] = sum[c]! / rows;
    std[c] = Math.sqrt(Math.max(0, sumSq[c]! / rows - mean[c]! ** 2));
  }
  return { min, mean, std };
}

/** p-th percentile (0..100) of a sample, by sorting a copy. */
export function percentile(sample: Float32Array, p: number): number {
  if (sample.length === 0) return 0;
  const s = Float32Array.from(sample).sort();
  const pos = Math.min(s.length - 1, Math.max(0, (p / 100) * (s.length - 1)));
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
