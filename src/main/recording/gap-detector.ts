// Continuity of the board's SAMPLES frames. frame_no counts frames since STREAM_START, so a jump
// means frames were lost (on the board or on the wire); t0_us is the board's clock, so a jump there
// means samples are missing even when no frame was. Both counters wrap at 2^32.

const WRAP = 0x1_0000_0000;

export interface FrameCheck {
  /** Board time of the frame's first sample in µs since the first frame, unwrapped. */
  tUs: number;
  /** Frames missing before this one (frame_no jump). */
  droppedFrames: number;
  /** Samples missing before this one, from the timestamps (0 when contiguous). */
  missingSamples: number;
  /** True when the stream is discontinuous before this frame (a new storage chunk must start). */
  gap: boolean;
  /** A repeated or out-of-order frame: ignore it. */
  duplicate: boolean;
}

export class FrameGapDetector {
  private prevFrameNo: number | undefined;
  private prevRawT0 = 0;
  private prevT = 0;
  private prevN = 0;
  private readonly periodUs: number;
  gaps = 0;
  droppedFrames = 0;
  missingSamples = 0;
  duplicates = 0;

  constructor(rateHz: number) {
    this.periodUs = 1e6 / rateHz;
  }

  check(frameNo: number, t0Us: number, nSamples: number): FrameCheck {
    if (this.prevFrameNo === undefined) {
      this.prevFrameNo = frameNo >>> 0;
      this.prevRawT0 = t0Us >>> 0;
      this.prevT = 0;
      this.prevN = nSamples;
      return { tUs: 0, droppedFrames: 0, missingSamples: 0, gap: false, duplicate: false };
    }
    const dFrame = ((frameNo >>> 0) - this.prevFrameNo + WRAP) % WRAP;
    if (dFrame === 0 || dFrame >= WRAP / 2) {
      this.duplicates++;
      return { tUs: this.prevT, droppedFrames: 0, missingSamples: 0, gap: false, duplicate: true };
    }
    const dT = ((t0Us >>> 0) - this.prevRawT0 + WRAP) % WRAP;
    const tUs = this.prevT + dT;
    const expectedUs = this.prevN * this.periodUs;
    const droppedFrames = dFrame - 1;
    // Half a period of slack each way absorbs timer jitter and rounding of t0 to whole µs.
    const late = dT - expectedUs;
    const missingSamples = late > this.periodUs / 2 ? Math.round(late / this.periodUs) : 0;
    const early = late < -this.periodUs / 2;
    const gap = droppedFrames > 0 || missingSamples > 0 || early;
    if (gap) this.gaps++;
    this.droppedFrames += droppedFrames;
    this.missingSamples += missingSamples;
    this.prevFrameNo = frameNo >>> 0;
    this.prevRawT0 = t0Us >>> 0;
    this.prevT = tUs;
    this.prevN = nSamples;
    return { tUs, droppedFrames, missingSamples, gap, duplicate: false };
  }
}
