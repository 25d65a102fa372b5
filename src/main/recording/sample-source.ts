// What the recorder consumes: blocks of scaled samples with timestamps, whatever the board speaks.
// Two implementations: the bitbench firmware's binary stream (sensor-stream-source.ts) and plain
// text lines from boards running any firmware (forwarder-source.ts).

import type { SessionChannel } from '../store/sessions-repo';

export type SourceKind = 'bitbench' | 'forwarder';

export interface SourceInfo {
  kind: SourceKind;
  /** Nominal rate: what the board confirmed, what the user gave, or what was detected. */
  rateHz: number;
  channels: SessionChannel[];
  /** Whose clock the timestamps come from. */
  clock: 'board' | 'host';
}

export interface SampleBlock {
  /** nSamples × channels values, interleaved by sample, in physical units. */
  data: Float32Array;
  nSamples: number;
  /** Time of the first sample, µs since the source's first block. */
  tUs: number;
  /** The stream is discontinuous before this block. */
  gap: boolean;
}

/** Cumulative since start(). */
export interface SourceCounters {
  gaps: number;
  droppedFrames: number;
  missingSamples: number;
  badLines: number;
  /** Forwarder: rate measured from arrival times so far. */
  detectedRateHz: number | null;
  /** The most recent problem worth showing (bad line, bad frame), with port and line number. */
  lastWarning: string | null;
}

export interface SampleSource {
  /** Where the samples come from, for messages ("virtual:m4", "/dev/ttyACM0"). */
  readonly origin: string;
  start(): Promise<SourceInfo>;
  /** Stops streaming; resolves when the last block has been delivered. */
  stop(): Promise<void>;
  onBlock(listener: (b: SampleBlock) => void): () => void;
  /** The board went away (unplugged, QEMU died). */
  onClose(listener: (err?: Error) => void): () => void;
  counters(): SourceCounters;
  /** Facts worth keeping in the session's meta when the recording ends (board totals, warnings). */
  facts(): Record<string, unknown>;
  /** The rate measured over the whole stream, when the source measures it (data forwarder). */
  measuredRateHz?(): number | undefined;
  /** Releases what the source opened (a serial port); safe to call twice. */
  dispose(): Promise<void>;
}

/** A tiny typed listener set, so sources do not each rewrite the same three lines. */
export class Listeners<T extends unknown[]> {
  private readonly set = new Set<(...args: T) => void>();

  add(l: (...args: T) => void): () => void {
    this.set.add(l);
    return () => this.set.delete(l);
  }

  emit(...args: T): void {
    for (const l of [...this.set]) l(...args);
  }
}
