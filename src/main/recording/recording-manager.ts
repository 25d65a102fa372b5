// The one recording of this process at a time: builds the source for the chosen board (bitbench
// stream or text-line forwarder), runs the Recorder, and turns its progress into the
// `recordingStatus` and `recordingSamples` events.

import type { z } from 'zod';
import type { RecordingStatus, SessionSummary, StartRecordingInput } from '../../shared/api/recording';
import { BitbenchError } from '../../shared/errors';
import type { EventHub } from '../api/event-hub';
import type { SensorStream } from '../device/sensor-stream';
import type { SessionsRepo } from '../store/sessions-repo';
import { serialBytePort, type BytePort } from './byte-port';
import { ForwarderSource, type ForwarderOptions } from './forwarder-source';
import { Recorder } from './recorder';
import type { SampleSource } from './sample-source';
import { channelMaskOf, SensorStreamSource } from './sensor-stream-source';
import { summaryOf } from './session-views';

export type StartInput = z.output<typeof StartRecordingInput>;

/** Opens a board's sensor stream; `release` gives the connection back when the recording ends. */
export interface BoardConnector {
  open(spec: string): Promise<{ stream: SensorStream; release(): Promise<void> }>;
}

export interface RecordingManagerDeps {
  repo: SessionsRepo;
  events: EventHub;
  connector: BoardConnector;
  openBytePort?: (path: string, baudRate: number) => BytePort;
  forwarder?: Omit<ForwarderOptions, 'rateHz' | 'channels'>;
  /** Overrides for tests and the benchmark. */
  recorder?: { flushMs?: number; uiIntervalMs?: number; busyHoldMs?: number };
}

const DEFAULT_RATE_HZ = 100;

function defaultName(label: string | undefined): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${label ?? 'recording'} ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export class RecordingManager {
  private current: Recorder | undefined;
  private connecting: StartInput | undefined;
  private last: SessionSummary | null = null;
  private lastError: string | null = null;

  constructor(private readonly deps: RecordingManagerDeps) {}

  status(): RecordingStatus {
    const r = this.current;
    if (!r) {
      const c = this.connecting;
      return {
        state: c ? 'connecting' : 'idle',
        board: c?.board ?? null,
        stream: c?.source ?? null,
        sessionId: null,
        name: c?.name ?? null,
        label: c?.label ?? null,
        dataset: c?.dataset ?? null,
        rateHz: c?.rateHz ?? null,
        detectedRateHz: null,
        channels: [],
        units: [],
        samples: 0,
        recordedS: 0,
        durationS: c?.durationS ?? null,
        countdownLeftS: c?.countdownS ?? 0,
        gaps: 0,
        droppedFrames: 0,
        badLines: 0,
        warning: null,
        error: this.lastError,
        last: this.last,
      };
    }
    const c = r.counters();
    const rate = r.info?.rateHz ?? null;
    return {
      state:
        r.state === 'countdown' || r.state === 'starting'
          ? 'countdown'
          : r.state === 'done'
            ? 'stopping'
            : r.state,
      board: r.cfg.board,
      stream: r.info?.kind ?? (r.source instanceof ForwarderSource ? 'forwarder' : 'bitbench'),
      sessionId: r.session?.id ?? null,
      name: r.cfg.name,
      label: r.cfg.label,
      dataset: r.cfg.dataset,
      rateHz: rate,
      detectedRateHz: c.detectedRateHz,
      channels: r.info?.channels.map((ch) => ch.name) ?? [],
      units: r.info?.channels.map((ch) => ch.unit ?? '') ?? [],
      samples: r.samples,
      recordedS: rate ? r.samples / rate : 0,
      durationS: r.cfg.durationS,
      countdownLeftS: r.countdownLeftS,
      gaps: c.gaps,
      droppedFrames: c.droppedFrames,
      badLines: c.badLines,
      warning: c.lastWarning,
      error: r.error,
      last: this.last,
    };
  }

  /**
   * Connects to the board and begins (countdown, then stream). Resolves once the stream runs, or
   * at once when a countdown was asked for (its end is reported through `recordingStatus`).
   */
  async start(input: StartInput): Promise<RecordingStatus> {
    if (this.current || this.connecting) {
      throw new BitbenchError(
        'conflict',
        `A recording is already running on ${this.current?.cfg.board ?? this.connecting?.board}. Stop it first.`,
      );
    }
    this.connecting = input;
    this.lastError = null;
    this.emitStatus();
    let source: SampleSource;
    try {
      source = await this.openSource(input);
    } catch (err) {
      this.connecting = undefined;
      this.lastError = err instanceof Error ? err.message : String(err);
      this.emitStatus();
      throw err instanceof BitbenchError ? err : new BitbenchError('device', this.lastError);
    }
    const recorder = new Recorder(
      this.deps.repo,
      source,
      {
        board: input.board,
        name: input.name ?? defaultName(input.label),
        label: input.label ?? null,
        dataset: input.dataset ?? null,
        countdownS: input.countdownS,
        durationS: input.durationS ?? null,
        meta: {
          requested_rate_hz: input.rateHz ?? null,
          rate_given: input.source === 'forwarder' && input.rateHz !== undefined,
          ...(input.source === 'forwarder' ? { baud_rate: input.baudRate } : {}),
        },
        ...this.deps.recorder,
      },
      {
        changed: () => this.emitStatus(),
        samples: (b) => this.deps.events.emit('recordingSamples', b),
      },
    );
    this.current = recorder;
    this.connecting = undefined;
    void recorder.done.then((s) => {
      try {
        if (s) this.last = summaryOf(this.deps.repo, s);
      } catch {
        // The database cannot be read now; the error below says what happened to the session.
      }
      if (recorder.error) this.lastError = recorder.error;
      if (this.current === recorder) this.current = undefined;
      this.emitStatus();
    });
    const begun = recorder.begin();
    if (input.countdownS > 0) {
      begun.catch(() => undefined); // reported through the status event and recorder.error
      return this.status();
    }
    try {
      await begun;
    } catch (err) {
      await recorder.done;
      throw err instanceof BitbenchError
        ? err
        : new BitbenchError('device', err instanceof Error ? err.message : String(err));
    }
    return this.status();
  }

  private async openSource(input: StartInput): Promise<SampleSource> {
    if (input.source === 'forwarder') {
      const port = (this.deps.openBytePort ?? serialBytePort)(input.board, input.baudRate);
      return new ForwarderSource(port, {
        ...this.deps.forwarder,
        ...(input.rateHz !== undefined ? { rateHz: input.rateHz } : {}),
        ...(input.channels ? { channels: input.channels } : {}),
      });
    }
    const channels = input.channels ?? ['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z'];
    try {
      channelMaskOf(channels);
    } catch (err) {
      throw new BitbenchError('bad_request', (err as Error).message);
    }
    const { stream, release } = await this.deps.connector.open(input.board);
    return new SensorStreamSource(
      stream,
      { rateHz: input.rateHz ?? DEFAULT_RATE_HZ, channels },
      input.board,
      release,
    );
  }

  /** Stops the running recording (or countdown); resolves with the stored session. */
  async stop(): Promise<SessionSummary | null> {
    const r = this.current;
    if (!r) return null;
    const s = await r.stop();
    await r.done;
    return s ? summaryOf(this.deps.repo, s) : null;
  }

  /** Resolves when the running recording ends (at once when none runs). */
  async wait(): Promise<SessionSummary | null> {
    const r = this.current;
    if (!r) return this.last;
    const s = await r.done;
    return s ? summaryOf(this.deps.repo, s) : null;
  }

  /** On shutdown: a running recording is ended cleanly, so its session is complete, not interrupted. */
  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
  }

  private emitStatus(): void {
    this.deps.events.emit('recordingStatus', this.status());
  }
}
