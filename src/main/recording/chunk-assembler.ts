// Groups incoming samples into storage chunks: contiguous runs of samples at the session's rate,
// each stored as one Float32 BLOB with the time of its first sample. A gap in the stream closes the
// chunk, so every chunk's timestamps are exactly t0 + i / rate.

export interface Chunk {
  /** Index of the chunk's first sample within the session. */
  firstSample: number;
  /** Time of the first sample, µs since the session's first sample (board clock when it has one). */
  t0Us: number;
  nSamples: number;
  /** Interleaved by sample: data[s * nChannels + c]. */
  data: Float32Array;
}

export class ChunkAssembler {
  private buf: Float32Array;
  private n = 0;
  private t0Us = 0;
  private nextSample = 0;
  private readonly closed: Chunk[] = [];
  private readonly periodUs: number;

  constructor(
    private readonly nChannels: number,
    rateHz: number,
    private readonly maxSamples = 1024,
  ) {
    this.buf = new Float32Array(maxSamples * nChannels);
    this.periodUs = 1e6 / rateHz;
  }

  /** Samples appended so far (closed and open chunks). */
  get totalSamples(): number {
    return this.nextSample;
  }

  /**
   * Appends `nSamples` interleaved samples whose first one was taken at `tUs`. `gap` says the stream
   * is discontinuous before them.
   */
  append(data: Float32Array, nSamples: number, tUs: number, gap = false): void {
    if (gap) this.close();
    let off = 0;
    while (off < nSamples) {
      if (this.n === 0) this.t0Us = tUs + off * this.periodUs;
      const take = Math.min(nSamples - off, this.maxSamples - this.n);
      this.buf.set(
        data.subarray(off * this.nChannels, (off + take) * this.nChannels),
        this.n * this.nChannels,
      );
      this.n += take;
      off += take;
      this.nextSample += take;
      if (this.n === this.maxSamples) this.close();
    }
  }

  /** Closes the open chunk and hands over every closed chunk (the caller commits them). */
  drain(): Chunk[] {
    this.close();
    return this.closed.splice(0, this.closed.length);
  }

  private close(): void {
    if (this.n === 0) return;
    this.closed.push({
      firstSample: this.nextSample - this.n,
      t0Us: Math.round(this.t0Us),
      nSamples: this.n,
      data: this.buf.slice(0, this.n * this.nChannels),
    });
    this.n = 0;
  }
}
