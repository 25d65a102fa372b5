// Sample rate of a text-line stream, from arrival times on the host. Serial adapters deliver lines
// in bursts (USB polls every 1–16 ms), so single inter-arrival times are useless; the count of
// lines over a window of a few seconds is not.

export class RateEstimator {
  private readonly times: number[] = [];
  private head = 0;
  private total = 0;
  private firstMs: number | undefined;
  /** Samples that arrived at `firstMs` (a burst): they mark the start, they do not fill the span. */
  private firstCount = 0;
  private lastMs: number | undefined;

  constructor(private readonly windowMs = 3000) {}

  /** One sample (line) arrived at `nowMs`. */
  add(nowMs: number, count = 1): void {
    for (let i = 0; i < count; i++) this.times.push(nowMs);
    this.total += count;
    if (this.firstMs === undefined || nowMs === this.firstMs) {
      this.firstMs = nowMs;
      this.firstCount += count;
    }
    this.lastMs = nowMs;
    while (this.head < this.times.length && nowMs - this.times[this.head]! > this.windowMs) this.head++;
    if (this.head > 4096) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Rate over the recent window, in Hz; undefined until there is enough to say. */
  recentHz(): number | undefined {
    const n = this.times.length - this.head;
    if (n < 5) return undefined;
    const span = this.times[this.times.length - 1]! - this.times[this.head]!;
    return span < 200 ? undefined : ((n - 1) * 1000) / span;
  }

  /** Rate over everything seen, in Hz. */
  overallHz(): number | undefined {
    if (this.total < 5 || this.firstMs === undefined || this.lastMs === undefined) return undefined;
    const span = this.lastMs - this.firstMs;
    return span < 200 ? undefined : ((this.total - this.firstCount) * 1000) / span;
  }
}

/** A rate for display and storage: 3 significant digits, integers above 100 Hz. */
export function roundRate(hz: number): number {
  if (hz >= 100) return Math.round(hz);
  const mag = Math.pow(10, 2 - Math.floor(Math.log10(hz)));
  return Math.round(hz * mag) / mag;
}
