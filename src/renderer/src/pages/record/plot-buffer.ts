// The live plot's memory: a fixed-capacity window of the most recent points, kept contiguous so
// uPlot can draw straight from typed-array views. Backed by twice the capacity: appends go to the
// end, and when the end is reached the newest `capacity` points move to the front (an amortised
// O(1) ring buffer without wrap-around, which uPlot could not draw from).

export class PlotBuffer {
  private readonly x: Float64Array;
  private readonly ys: Float64Array[];
  private start = 0;
  private end = 0;

  constructor(
    readonly capacity: number,
    readonly nSeries: number,
  ) {
    this.x = new Float64Array(capacity * 2);
    this.ys = Array.from({ length: nSeries }, () => new Float64Array(capacity * 2));
  }

  get length(): number {
    return this.end - this.start;
  }

  get lastX(): number | undefined {
    return this.end > this.start ? this.x[this.end - 1] : undefined;
  }

  push(x: number, values: ArrayLike<number>, offset: number): void {
    if (this.end === this.x.length) {
      const keep = this.capacity - 1;
      const from = this.end - keep;
      this.x.copyWithin(0, from, this.end);
      for (const y of this.ys) y.copyWithin(0, from, this.end);
      this.start = 0;
      this.end = keep;
    }
    this.x[this.end] = x;
    for (let c = 0; c < this.nSeries; c++) this.ys[c]![this.end] = values[offset + c]!;
    this.end++;
    if (this.end - this.start > this.capacity) this.start++;
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }

  /** Views of the current window: [x, ...series], valid until the next push. */
  views(): [Float64Array, ...Float64Array[]] {
    return [this.x.subarray(this.start, this.end), ...this.ys.map((y) => y.subarray(this.start, this.end))];
  }
}
