// Samples for the live plot. The renderer cannot take one IPC message per frame at 1 kHz, so the
// main process gathers samples and sends one batch at most every `intervalMs` (~30 per second).
// A batch larger than `maxSamples` is thinned to every k-th sample: the plot shows a few thousand
// points across its width anyway, and the stored session keeps every sample.

export interface SampleBatch {
  /** Index (in the session's sample numbering) of the first sample in `data`. */
  firstIndex: number;
  /** Every `stride`-th sample was kept. */
  stride: number;
  nSamples: number;
  nChannels: number;
  /** Interleaved by sample, rounded to 6 significant digits (plenty for a plot, half the JSON). */
  data: number[];
}

export class UiBatcher {
  private pending: Float32Array;
  private n = 0;
  private firstIndex = 0;
  private nextIndex = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nChannels: number,
    private readonly emit: (b: SampleBatch) => void,
    private readonly opts: { intervalMs?: number; maxSamples?: number } = {},
  ) {
    this.pending = new Float32Array(4096 * nChannels);
  }

  get maxSamples(): number {
    return this.opts.maxSamples ?? 512;
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.opts.intervalMs ?? 33);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  push(data: Float32Array, nSamples: number): void {
    if (this.n === 0) this.firstIndex = this.nextIndex;
    const need = (this.n + nSamples) * this.nChannels;
    if (need > this.pending.length) {
      const grown = new Float32Array(Math.max(need, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.n * this.nChannels));
      this.pending = grown;
    }
    this.pending.set(data.subarray(0, nSamples * this.nChannels), this.n * this.nChannels);
    this.n += nSamples;
    this.nextIndex += nSamples;
  }

  flush(): void {
    if (this.n === 0) return;
    const stride = Math.max(1, Math.ceil(this.n / this.maxSamples));
    const kept = Math.ceil(this.n / stride);
    const out = new Array<number>(kept * this.nChannels);
    for (let k = 0; k < kept; k++) {
      const s = k * stride;
      for (let c = 0; c < this.nChannels; c++) {
        out[k * this.nChannels + c] = Number(this.pending[s * this.nChannels + c]!.toPrecision(6));
      }
    }
    const batch: SampleBatch = {
      firstIndex: this.firstIndex,
      stride,
      nSamples: kept,
      nChannels: this.nChannels,
      data: out,
    };
    this.n = 0;
    // Large pending buffers after a burst shrink back, so a long session does not hold them.
    if (this.pending.length > 65536 * this.nChannels) this.pending = new Float32Array(4096 * this.nChannels);
    this.emit(batch);
  }
}
