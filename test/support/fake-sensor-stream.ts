// An in-memory SensorStream for recording tests and the benchmark: frames are produced on demand
// (`emit`) or by a timer at the configured rate, with values that depend only on the sample index
// and channel, so a test can check every stored value.
import type {
  SampleFrame,
  SensorStream,
  SensorStreamConfig,
  SensorStreamStarted,
} from '../../src/main/device/sensor-stream';
import { CHANNEL_NAMES } from '../../src/main/device/sensor-stream';

/** The raw int16 value of sample `s`, channel `c`. */
export function rawValue(s: number, c: number): number {
  return ((s * 37 + c * 1111) % 20001) - 10000;
}

export const FAKE_SCALE = 0.001;

export class FakeSensorStream implements SensorStream {
  private readonly sampleListeners = new Set<(f: SampleFrame) => void>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private timer: NodeJS.Timeout | undefined;
  cfg: SensorStreamConfig | undefined;
  channels: string[] = [];
  frameNo = 0;
  nextSample = 0;
  framesSent = 0;
  framesDropped = 0;
  startCalls = 0;
  stopCalls = 0;
  /** Makes start() fail with this message. */
  failStart: string | undefined;
  /** Frames sent before start() resolves, as when they share a read with the STREAM_START answer. */
  framesDuringStart = 0;

  constructor(private readonly opts: { samplesPerFrame?: number; autoRun?: boolean; tickMs?: number } = {}) {}

  get samplesPerFrame(): number {
    return this.opts.samplesPerFrame ?? 10;
  }

  async start(cfg: SensorStreamConfig): Promise<SensorStreamStarted> {
    this.startCalls++;
    if (this.failStart) throw new Error(this.failStart);
    this.cfg = cfg;
    this.channels = CHANNEL_NAMES.filter((_, i) => cfg.channelMask & (1 << i));
    for (let i = 0; i < this.framesDuringStart; i++) this.emit();
    if (this.opts.autoRun) {
      const tickMs = this.opts.tickMs ?? 10;
      const began = performance.now();
      this.timer = setInterval(() => {
        const due = Math.floor(((performance.now() - began) / 1000) * cfg.rateHz);
        while (this.nextSample + this.samplesPerFrame <= due) this.emit();
      }, tickMs);
    }
    return { rateHz: cfg.rateHz, channels: [...this.channels], scales: this.channels.map(() => FAKE_SCALE) };
  }

  /**
   * Sends one SAMPLES frame. `skipFrames` / `skipSamples` simulate frames lost on the way and a
   * board clock that jumped.
   */
  emit(opts: { skipFrames?: number; skipSamples?: number; nSamples?: number; t0Us?: number } = {}): void {
    const cfg = this.cfg;
    if (!cfg) throw new Error('emit before start');
    const n = opts.nSamples ?? this.samplesPerFrame;
    // Skipped frames were sent by the board and lost on the way.
    this.frameNo += opts.skipFrames ?? 0;
    this.framesSent += opts.skipFrames ?? 0;
    this.nextSample += (opts.skipFrames ?? 0) * this.samplesPerFrame + (opts.skipSamples ?? 0);
    const nch = this.channels.length;
    const data = new Int16Array(n * nch);
    for (let s = 0; s < n; s++) {
      for (let c = 0; c < nch; c++) data[s * nch + c] = rawValue(this.nextSample + s, c);
    }
    const t0Us = opts.t0Us ?? Math.round((this.nextSample * 1e6) / cfg.rateHz) % 0x1_0000_0000;
    const f: SampleFrame = { frameNo: this.frameNo >>> 0, t0Us, nSamples: n, nChannels: nch, data };
    this.frameNo++;
    this.nextSample += n;
    this.framesSent++;
    for (const l of this.sampleListeners) l(f);
  }

  async stop(): Promise<{ framesSent: number; framesDropped: number }> {
    this.stopCalls++;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return { framesSent: this.framesSent, framesDropped: this.framesDropped };
  }

  /** The board went away. */
  lose(err?: Error): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const l of this.closeListeners) l(err);
  }

  onSamples(listener: (f: SampleFrame) => void): () => void {
    this.sampleListeners.add(listener);
    return () => this.sampleListeners.delete(listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }
}
