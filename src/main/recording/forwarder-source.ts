// The "data forwarder": boards that run any firmware and print one sample per text line. The
// columns come from a header line or the first data line; the rate is not announced, so it is
// measured from arrival times during a short pre-roll (or given by the user) and kept being
// measured while recording. Bad lines are skipped, counted, and reported with port and line number.

import type { BytePort } from './byte-port';
import { ForwarderLineParser, LineSplitter } from './line-parser';
import { RateEstimator, roundRate } from './rate-estimator';
import {
  Listeners,
  type SampleBlock,
  type SampleSource,
  type SourceCounters,
  type SourceInfo,
} from './sample-source';

export interface ForwarderOptions {
  /** Known rate; skips the measurement (but not the wait for the first line). */
  rateHz?: number;
  /** Column names to use instead of the header's or the defaults; must match the column count. */
  channels?: string[];
  /** Pre-roll used to measure the rate. */
  detectMs?: number;
  /** Give up when no valid line arrives within this time. */
  firstLineTimeoutMs?: number;
  now?: () => number;
}

const MAX_WARNINGS_KEPT = 5;

export class ForwarderSource implements SampleSource {
  private readonly blocks = new Listeners<[SampleBlock]>();
  private readonly closes = new Listeners<[Error | undefined]>();
  private readonly splitter = new LineSplitter();
  private readonly parser = new ForwarderLineParser();
  private readonly rate = new RateEstimator();
  /** The rate over the recorded samples only (after the pre-roll): what the session stores. */
  private readonly streamRate = new RateEstimator();
  private readonly now: () => number;
  private streaming = false;
  private stopped = false;
  private t0Ms: number | undefined;
  private lastBlockMs: number | undefined;
  private rateHz = 0;
  private gaps = 0;
  private badLines = 0;
  private samplesSeen = 0;
  /** The first few bad lines (with line numbers), for the summary. */
  readonly warnings: string[] = [];
  private lastWarning: string | null = null;
  private onPreroll: (() => void) | undefined;

  constructor(
    private readonly port: BytePort,
    private readonly opts: ForwarderOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    port.onData((chunk) => this.onData(chunk));
    port.onLost((err) => {
      if (!this.stopped) this.closes.emit(err);
    });
  }

  get origin(): string {
    return this.port.path;
  }

  async start(): Promise<SourceInfo> {
    await this.port.open();
    const detectMs = this.opts.rateHz ? 0 : (this.opts.detectMs ?? 2000);
    const timeoutMs = this.opts.firstLineTimeoutMs ?? 5000;
    const began = this.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => check(), 50);
      const check = () => {
        const elapsed = this.now() - began;
        const haveRate =
          this.opts.rateHz !== undefined || (elapsed >= detectMs && this.rate.overallHz() !== undefined);
        if (this.samplesSeen > 0 && haveRate) {
          clearInterval(timer);
          this.onPreroll = undefined;
          resolve();
        } else if (elapsed > timeoutMs + detectMs) {
          clearInterval(timer);
          this.onPreroll = undefined;
          reject(new Error(this.noDataMessage(elapsed)));
        }
      };
      this.onPreroll = check;
    });
    const names = this.parser.channelNames!;
    if (this.opts.channels && this.opts.channels.length !== names.length) {
      throw new Error(
        `${this.port.path}: ${this.opts.channels.length} channel names given (${this.opts.channels.join(', ')}) but the lines have ${names.length} columns.`,
      );
    }
    this.rateHz = this.opts.rateHz ?? roundRate(this.rate.overallHz()!);
    this.streaming = true;
    return {
      kind: 'forwarder',
      rateHz: this.rateHz,
      channels: (this.opts.channels ?? names).map((name) => ({ name })),
      clock: 'host',
    };
  }

  private noDataMessage(elapsedMs: number): string {
    const s = (elapsedMs / 1000).toFixed(1);
    if (this.parser.linesSeen === 0) {
      return `No text lines from ${this.port.path} in ${s} s. Is the board printing one sample per line (numbers separated by commas, spaces or tabs) at this baud rate?`;
    }
    if (this.samplesSeen === 0) {
      return `${this.parser.linesSeen} lines from ${this.port.path} in ${s} s, none with numbers: ${this.warnings[0] ?? 'no data lines'}.`;
    }
    return `Too few lines from ${this.port.path} in ${s} s to measure the rate; give it with --rate.`;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    const nowMs = this.now();
    const lines = this.splitter.push(chunk.toString('latin1'));
    if (lines.length === 0) return;
    const values: number[] = [];
    let n = 0;
    for (const line of lines) {
      const p = this.parser.parse(line);
      if (p.kind === 'sample') {
        values.push(...p.values);
        n++;
      } else if (p.kind === 'bad') {
        this.badLines++;
        this.lastWarning = `${this.port.path} line ${p.lineNo}: ${p.message}`;
        if (this.warnings.length < MAX_WARNINGS_KEPT) this.warnings.push(this.lastWarning);
      }
    }
    if (n > 0) {
      this.samplesSeen += n;
      this.rate.add(nowMs, n);
      if (this.streaming) {
        this.streamRate.add(nowMs, n);
        this.emitBlock(Float32Array.from(values), n, nowMs);
      }
    }
    this.onPreroll?.();
  }

  private emitBlock(data: Float32Array, n: number, nowMs: number): void {
    this.t0Ms ??= nowMs;
    // The host clock stamps arrivals, and a USB adapter delivers lines in bursts, so only a silence
    // much longer than the burst interval can be a gap in the board's stream. And only if the lines
    // did stop: when the host itself stalls (a busy machine, a long GC pause), the driver keeps what
    // the board sent and hands it over in one chunk when the host reads again. A silence followed by
    // at least half the lines it would have held is the host's, not the board's.
    const silenceMs = this.lastBlockMs === undefined ? 0 : nowMs - this.lastBlockMs;
    const gap = silenceMs > Math.max(250, 10_000 / this.rateHz) && n < (0.5 * silenceMs * this.rateHz) / 1000;
    if (gap) this.gaps++;
    this.lastBlockMs = nowMs;
    // The block's samples arrived together; the first of them was taken n-1 periods earlier.
    const tUs = Math.max(0, Math.round((nowMs - this.t0Ms) * 1000 - ((n - 1) * 1e6) / this.rateHz));
    this.blocks.emit({ data, nSamples: n, tUs, gap });
  }

  async stop(): Promise<void> {
    // An unfinished last line is cut mid-number ("1.2" of "1.25"): dropped, not guessed at.
    this.splitter.flush();
    this.stopped = true;
    this.streaming = false;
  }

  onBlock(listener: (b: SampleBlock) => void): () => void {
    return this.blocks.add(listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    return this.closes.add(listener);
  }

  counters(): SourceCounters {
    const hz = this.rate.recentHz() ?? this.rate.overallHz();
    return {
      gaps: this.gaps,
      droppedFrames: 0,
      missingSamples: 0,
      badLines: this.badLines,
      detectedRateHz: hz === undefined ? null : roundRate(hz),
      lastWarning: this.lastWarning,
    };
  }

  /** Rate measured over the whole stream, for the session record when the user gave none. */
  measuredRateHz(): number | undefined {
    const hz = this.streamRate.overallHz() ?? this.rate.overallHz();
    return hz === undefined ? undefined : roundRate(hz);
  }

  facts(): Record<string, unknown> {
    return { bad_lines: this.badLines, warnings: this.warnings };
  }

  async dispose(): Promise<void> {
    this.stopped = true;
    await this.port.close();
  }
}
