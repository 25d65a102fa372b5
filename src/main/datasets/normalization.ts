/** Per-channel statistics for standardising windows (computed on the train split only). */

export interface ChannelStats {
  mean: number[];
  std: number[];
}

/**
 * Mean and standard deviation per channel over every sample of the given windows (time-major,
 * channel last). Welford's update in float64 so 10⁷ samples do not lose precision. A channel
 * that never varies gets std 1, so standardising leaves it at 0 rather than dividing by zero.
 */
export class ChannelStatsAccumulator {
  private readonly n: number[];
  private readonly mean: number[];
  private readonly m2: number[];

  constructor(readonly channels: number) {
    this.n = new Array<number>(channels).fill(0);
    this.mean = new Array<number>(channels).fill(0);
    this.m2 = new Array<number>(channels).fill(0);
  }

  /** Adds a block of interleaved samples (`values.length` a multiple of the channel count). */
  add(values: ArrayLike<number>, scale = 1): void {
    const c = this.channels;
    for (let i = 0; i < values.length; i++) {
      const ch = i % c;
      const x = values[i]! * scale;
      const n = ++this.n[ch]!;
      const d = x - this.mean[ch]!;
      this.mean[ch]! += d / n;
      this.m2[ch]! += d * (x - this.mean[ch]!);
    }
  }

  result(): ChannelStats {
    return {
      mean: this.mean.map((m) => m),
      std: this.m2.map((m2, i) => {
        const n = this.n[i]!;
        const s = n > 0 ? Math.sqrt(m2 / n) : 0;
        return s > 1e-12 ? s : 1;
      }),
    };
  }
}
