// The bitbench firmware's binary SAMPLES frames as a SampleSource: int16 → physical units with the
// scales the board announced at STREAM_START, board timestamps unwrapped, frame and time gaps found.

import { BitbenchError } from '../../shared/errors';
import type { SampleFrame, SensorStream } from '../device/sensor-stream';
import { CHANNEL_NAMES } from '../device/sensor-stream';
import { FrameGapDetector } from './gap-detector';
import {
  Listeners,
  type SampleBlock,
  type SampleSource,
  type SourceCounters,
  type SourceInfo,
} from './sample-source';

export const CHANNEL_UNITS: Record<string, string> = {
  acc_x: 'm/s²',
  acc_y: 'm/s²',
  acc_z: 'm/s²',
  gyro_x: 'rad/s',
  gyro_y: 'rad/s',
  gyro_z: 'rad/s',
};

/** Channel names → the protocol's channel mask; unknown names throw with the list of known ones. */
export function channelMaskOf(names: readonly string[]): number {
  let mask = 0;
  for (const n of names) {
    const bit = (CHANNEL_NAMES as readonly string[]).indexOf(n);
    if (bit < 0) throw new Error(`Unknown channel "${n}"; the board streams ${CHANNEL_NAMES.join(', ')}.`);
    mask |= 1 << bit;
  }
  return mask;
}

export class SensorStreamSource implements SampleSource {
  private readonly blocks = new Listeners<[SampleBlock]>();
  private readonly closes = new Listeners<[Error | undefined]>();
  private detector: FrameGapDetector | undefined;
  private scales: Float32Array = new Float32Array(0);
  private nChannels = 0;
  private lastWarning: string | null = null;
  private unsubs: Array<() => void> = [];
  private leadingDropped = 0;
  private backlog: SampleFrame[] = [];
  private blockListeners = 0;
  /** What the board reported at STREAM_STOP (kept in the session's meta). */
  private boardStats: { framesSent: number; framesDropped: number } | undefined;
  private framesReceived = 0;

  constructor(
    private readonly stream: SensorStream,
    private readonly cfg: { rateHz: number; channels: readonly string[] },
    readonly origin: string,
    private readonly release: () => Promise<void> = async () => undefined,
  ) {}

  async start(): Promise<SourceInfo> {
    const mask = channelMaskOf(this.cfg.channels);
    // The first SAMPLES frames can arrive in the same read as the STREAM_START answer, before
    // our await resumes and before anyone listens for blocks: they wait in the backlog.
    this.unsubs.push(
      this.stream.onSamples((f) =>
        this.detector && this.blockListeners > 0 ? this.onFrame(f) : this.backlog.push(f),
      ),
      this.stream.onClose((err) => this.closes.emit(err)),
    );
    const started = await this.stream.start({ rateHz: this.cfg.rateHz, channelMask: mask });
    if (started.scales.length !== started.channels.length) {
      await this.stream.stop().catch(() => undefined); // it is streaming: stop it on the board
      throw new Error(
        `${this.origin}: STREAM_START answered ${started.channels.length} channels but ${started.scales.length} scales.`,
      );
    }
    // Every sample is raw × scale, and the gap detector counts time from the rate: a NaN, infinite or
    // zero scale or rate (a board's own firmware with a bug) would store a whole session of NaN or
    // zeros that looks like a recording. Refused before anything is stored.
    const bad = started.scales.findIndex((v) => !Number.isFinite(v) || v === 0);
    if (bad >= 0 || !(Number.isFinite(started.rateHz) && started.rateHz > 0)) {
      const what =
        bad >= 0
          ? `channel ${started.channels[bad]} a scale of ${started.scales[bad]}`
          : `a sample rate of ${started.rateHz} Hz`;
      await this.stream.stop().catch(() => undefined);
      throw new BitbenchError(
        'device',
        `${this.origin}: the board's STREAM_START answer gives ${what}; samples cannot be made from it. ` +
          'Check the firmware (docs/use-your-own-board.md). Nothing was recorded.',
      );
    }
    this.scales = Float32Array.from(started.scales);
    this.nChannels = started.channels.length;
    this.detector = new FrameGapDetector(started.rateHz);
    return {
      kind: 'bitbench',
      rateHz: started.rateHz,
      channels: started.channels.map((name) => ({ name, unit: CHANNEL_UNITS[name] ?? '' })),
      clock: 'board',
    };
  }

  private onFrame(f: SampleFrame): void {
    const det = this.detector!;
    if (f.nChannels !== this.nChannels || f.data.length < f.nSamples * f.nChannels) {
      // Not counted here: the next good frame_no shows the jump, so it is counted as dropped there.
      this.lastWarning = `${this.origin}: frame ${f.frameNo} has ${f.nChannels} channels × ${f.nSamples} samples in ${f.data.length} values; expected ${this.nChannels} channels. Dropped.`;
      return;
    }
    const first = this.framesReceived === 0;
    const check = det.check(f.frameNo, f.t0Us, f.nSamples);
    if (check.duplicate) return;
    // frame_no counts from 0 at STREAM_START: a first frame numbered n means the board skipped n.
    if (first && f.frameNo >>> 0 < 0x8000_0000) this.leadingDropped = f.frameNo >>> 0;
    this.framesReceived++;
    const n = f.nSamples * f.nChannels;
    const out = new Float32Array(n);
    const nch = this.nChannels;
    for (let i = 0; i < n; i++) out[i] = f.data[i]! * this.scales[i % nch]!;
    this.blocks.emit({ data: out, nSamples: f.nSamples, tUs: check.tUs, gap: check.gap });
  }

  async stop(): Promise<void> {
    try {
      this.boardStats = await this.stream.stop();
    } finally {
      for (const u of this.unsubs.splice(0)) u();
    }
  }

  onBlock(listener: (b: SampleBlock) => void): () => void {
    const off = this.blocks.add(listener);
    this.blockListeners++;
    if (this.detector) for (const f of this.backlog.splice(0)) this.onFrame(f);
    return () => {
      off();
      this.blockListeners--;
    };
  }

  onClose(listener: (err?: Error) => void): () => void {
    return this.closes.add(listener);
  }

  counters(): SourceCounters {
    const d = this.detector;
    return {
      gaps: d?.gaps ?? 0,
      droppedFrames: d?.droppedFrames ?? 0,
      missingSamples: d?.missingSamples ?? 0,
      badLines: 0,
      detectedRateHz: null,
      lastWarning: this.lastWarning,
    };
  }

  facts(): Record<string, unknown> {
    return {
      ...(this.boardStats
        ? {
            board_frames_sent: this.boardStats.framesSent,
            board_frames_dropped: this.boardStats.framesDropped,
          }
        : {}),
      // Frames the board skipped before the first one we received: the session starts at that
      // first frame, so they are not a gap in it, but the board's count above includes them.
      ...(this.leadingDropped ? { frames_skipped_before_start: this.leadingDropped } : {}),
    };
  }

  async dispose(): Promise<void> {
    for (const u of this.unsubs.splice(0)) u();
    await this.release();
  }
}
