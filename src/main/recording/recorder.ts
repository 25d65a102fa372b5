// One recording: countdown, stream start, samples → chunks committed every `flushMs` in one small
// transaction each (a crash loses at most that much), live batches for the plot, fixed duration,
// stop, and the end states: complete, or interrupted when the board goes away or a write fails.

import type { Session, SessionsRepo } from '../store/sessions-repo';
import { ChunkAssembler } from './chunk-assembler';
import type { SampleBlock, SampleSource, SourceCounters, SourceInfo } from './sample-source';
import { UiBatcher, type SampleBatch } from './ui-batcher';

export interface RecorderConfig {
  board: string;
  name: string;
  label: string | null;
  dataset: string | null;
  countdownS: number;
  durationS: number | null;
  /** Commit interval; 100 ms keeps a crash's loss to a tenth of a second. */
  flushMs?: number;
  uiIntervalMs?: number;
  /** How long to wait out another process's write lock (default BUSY_HOLD_MS); tests shorten it. */
  busyHoldMs?: number;
  /** Extra facts for the session's meta (requested rate, baud rate). */
  meta?: Record<string, unknown>;
}

export type RecorderState = 'countdown' | 'starting' | 'recording' | 'stopping' | 'done';

export interface RecorderHooks {
  /** Something a status display shows changed (state, countdown tick, periodic counters). */
  changed(): void;
  samples(batch: SampleBatch & { sessionId: number; rateHz: number }): void;
}

const EMPTY_COUNTERS: SourceCounters = {
  gaps: 0,
  droppedFrames: 0,
  missingSamples: 0,
  badLines: 0,
  detectedRateHz: null,
  lastWarning: null,
};

/** How long samples are held in memory while another process holds the database's write lock. */
const BUSY_HOLD_MS = 60_000;
/** After that: how often the end of a session is tried again until the database is free. */
const LATE_FINISH_RETRY_MS = 1000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

export class Recorder {
  state: RecorderState = 'countdown';
  countdownLeftS: number;
  info: SourceInfo | undefined;
  session: Session | undefined;
  error: string | null = null;
  private assembler: ChunkAssembler | undefined;
  private batcher: UiBatcher | undefined;
  private limit = Infinity;
  /**
   * With a rate the source measures as it goes (a forwarder without --rate), the requested duration
   * is a time on the samples' clock, not a count at the rate of the first seconds: a board that
   * speeds up or slows down later still gives the seconds asked for.
   */
  private timeLimitUs = Infinity;
  private committed = { gaps: 0, droppedFrames: 0 };
  /**
   * Chunks a commit could not write because another process held the database's write lock past
   * the busy timeout (an import's transaction, a sqlite shell): kept, in order, and written with
   * the next commit, for up to BUSY_HOLD_MS, instead of dropped with the recording stopped.
   */
  private pending: ReturnType<ChunkAssembler['drain']> = [];
  private busySince: number | undefined;
  /** Counters when the last wanted sample arrived: what happens after it is not the session's. */
  private frozen: SourceCounters | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** Retries the end of a session the database would not take when the recording stopped. */
  private lateFinish: NodeJS.Timeout | undefined;
  private unsubs: Array<() => void> = [];
  private stopping: Promise<Session | undefined> | undefined;
  private cancelCountdown: (() => void) | undefined;
  private resolveDone!: (s: Session | undefined) => void;
  /** Resolves with the stored session when the recording has ended (undefined if none was created). */
  readonly done: Promise<Session | undefined>;

  constructor(
    private readonly repo: SessionsRepo,
    readonly source: SampleSource,
    readonly cfg: RecorderConfig,
    private readonly hooks: RecorderHooks,
  ) {
    this.countdownLeftS = cfg.countdownS;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get samples(): number {
    return this.assembler?.totalSamples ?? 0;
  }

  counters(): SourceCounters {
    return this.frozen ?? (this.info ? this.source.counters() : EMPTY_COUNTERS);
  }

  /**
   * Runs the countdown, then starts the stream and creates the session. Resolves once samples are
   * flowing; rejects (and cleans up) when the stream cannot start.
   */
  async begin(): Promise<void> {
    while (this.countdownLeftS > 0) {
      this.hooks.changed();
      const cancelled = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 1000);
        this.cancelCountdown = () => {
          clearTimeout(t);
          resolve(true);
        };
      });
      this.cancelCountdown = undefined;
      if (cancelled) return;
      this.countdownLeftS--;
    }
    this.state = 'starting';
    this.hooks.changed();
    try {
      this.info = await this.source.start();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      await this.source.dispose().catch(() => undefined);
      this.state = 'done';
      this.resolveDone(undefined);
      this.hooks.changed();
      throw err;
    }
    const info = this.info;
    if ((this.state as RecorderState) !== 'starting') {
      // Stopped while the stream was starting: stop it again on the board, store nothing.
      await this.source.stop().catch(() => undefined);
      await this.source.dispose().catch(() => undefined);
      return;
    }
    this.session = this.repo.create({
      name: this.cfg.name,
      dataset: this.cfg.dataset,
      source: 'board',
      board: this.cfg.board,
      rateHz: info.rateHz,
      channels: info.channels,
      meta: { stream: info.kind, clock: info.clock, ...this.cfg.meta },
    });
    // Labelled at once, so a session cut short by a crash still carries its label.
    if (this.cfg.label) this.repo.setSessionLabel(this.session.id, this.cfg.label);
    if (this.cfg.durationS) {
      if (this.source.measuredRateHz && this.cfg.meta?.['rate_given'] !== true)
        this.timeLimitUs = this.cfg.durationS * 1e6;
      else this.limit = Math.max(1, Math.round(this.cfg.durationS * info.rateHz));
    }
    const sessionId = this.session.id;
    this.assembler = new ChunkAssembler(info.channels.length, info.rateHz);
    this.batcher = new UiBatcher(
      info.channels.length,
      (b) => this.hooks.samples({ ...b, sessionId, rateHz: info.rateHz }),
      {
        intervalMs: this.cfg.uiIntervalMs ?? 33,
      },
    );
    this.batcher.start();
    // 'recording' before subscribing: frames the source held back are delivered on subscription.
    this.state = 'recording';
    this.unsubs.push(
      this.source.onBlock((b) => this.onBlock(b)),
      this.source.onClose((err) => {
        void this.stop(
          `The board ${this.source.origin} went away${err ? ` (${err.message})` : ''}; the samples received until then are kept.`,
        );
      }),
    );
    this.timers.push(setInterval(() => this.commit(), this.cfg.flushMs ?? 100));
    this.timers.push(setInterval(() => this.hooks.changed(), 250));
    this.hooks.changed();
  }

  private onBlock(b: SampleBlock): void {
    if (this.state !== 'recording' || !this.assembler || !this.batcher) return;
    let left = this.limit - this.assembler.totalSamples;
    // Samples of the block before the time limit (its samples are spaced at the current rate).
    if (this.timeLimitUs !== Infinity)
      left = Math.min(left, Math.ceil(((this.timeLimitUs - b.tUs) * this.info!.rateHz) / 1e6));
    const n = Math.min(b.nSamples, left);
    if (n <= 0) {
      if (this.timeLimitUs !== Infinity) void this.stopAtLimit();
      return;
    }
    const nch = this.info!.channels.length;
    const data = n === b.nSamples ? b.data : b.data.subarray(0, n * nch);
    this.assembler.append(data, n, b.tUs, b.gap);
    this.batcher.push(data, n);
    if (this.assembler.totalSamples >= this.limit || n < b.nSamples) void this.stopAtLimit();
  }

  private stopAtLimit(): Promise<Session | undefined> {
    this.frozen ??= this.source.counters();
    return this.stop();
  }

  /** Writes what has arrived since the last commit, in one transaction. */
  private commit(): void {
    if (!this.session || !this.assembler) return;
    const chunks = [...this.pending, ...this.assembler.drain()];
    this.pending = [];
    const c = this.counters();
    const delta = {
      gaps: c.gaps - this.committed.gaps,
      droppedFrames: c.droppedFrames - this.committed.droppedFrames,
    };
    if (chunks.length === 0 && delta.gaps === 0 && delta.droppedFrames === 0) return;
    try {
      this.repo.appendChunks(this.session.id, chunks, delta);
      this.committed = { gaps: c.gaps, droppedFrames: c.droppedFrames };
      this.busySince = undefined;
    } catch (err) {
      const busy = isBusy(err);
      const now = Date.now();
      this.busySince ??= now;
      if (busy && now - this.busySince < (this.cfg.busyHoldMs ?? BUSY_HOLD_MS)) {
        this.pending = chunks; // retried with the next commit
        return;
      }
      const lost = chunks.reduce((n, ch) => n + ch.nSamples, 0);
      const msg = err instanceof Error ? err.message : String(err);
      const message =
        `Could not store samples (${msg}${busy ? `; another process held the database for ${Math.round((now - this.busySince) / 1000)} s` : ''}); ` +
        `the session keeps what was stored before, the last ${lost} samples were not stored.`;
      if (this.stopping) this.error ??= message;
      else void this.stop(message);
    }
  }

  /**
   * Ends the recording (idempotent). `error` set means it ended badly: the session is marked
   * interrupted and keeps its committed samples.
   */
  stop(error?: string): Promise<Session | undefined> {
    if (this.stopping) return this.stopping;
    if (error) this.error = error;
    const wasCountdown = this.state === 'countdown' || this.state === 'starting';
    this.state = 'stopping';
    this.stopping = (async () => {
      if (wasCountdown) {
        this.cancelCountdown?.();
        await this.source.dispose().catch(() => undefined);
        this.finishUp(undefined);
        return undefined;
      }
      this.hooks.changed();
      if (!error) {
        try {
          await this.source.stop();
        } catch (err) {
          this.error = `Stopping the stream failed (${err instanceof Error ? err.message : String(err)}); the samples received are kept.`;
        }
      }
      for (const t of this.timers.splice(0)) clearInterval(t);
      for (const u of this.unsubs.splice(0)) u();
      const state = this.error && error ? 'interrupted' : 'complete';
      const session = this.session;
      if (session) {
        this.commit();
        // Samples held while another process has the write lock: wait for it (bounded by BUSY_HOLD_MS).
        while (this.pending.length > 0) {
          await new Promise((r) => setTimeout(r, 200));
          this.commit();
        }
        this.batcher?.stop();
        const c = this.counters();
        const measured = this.source.measuredRateHz?.();
        const patch = {
          ...(measured !== undefined && this.cfg.meta?.['rate_given'] !== true ? { rateHz: measured } : {}),
          meta: {
            missing_samples: c.missingSamples,
            ...(c.lastWarning ? { warnings: [c.lastWarning] } : {}),
            ...this.source.facts(),
            ...(this.error ? { error: this.error } : {}),
          },
        };
        await this.endSession(session, state, patch);
      }
      await this.source.dispose().catch(() => undefined);
      let stored: Session | undefined;
      try {
        stored = session ? this.repo.get(session.id) : undefined;
      } catch {
        // The database cannot be read now: what this recorder knows of the session.
        stored = session && { ...session, sampleCount: this.samples };
      }
      this.finishUp(stored);
      return stored;
    })().catch((err: unknown) => {
      // Nothing above should throw; if something does, the recording still ends and says why.
      this.error ??= `Ending the recording failed (${err instanceof Error ? err.message : String(err)}); the samples stored until then are kept.`;
      this.finishUp(this.session);
      return this.session;
    });
    return this.stopping;
  }

  /**
   * Marks the session ended and stores its closing facts. Another process holding the write lock
   * is waited out (bounded like the samples); past that, or on any other database error, the
   * recording still ends (its samples stay stored), the user is told, and the end is tried again
   * in the background until the database takes it.
   */
  private async endSession(
    session: Session,
    state: 'complete' | 'interrupted',
    patch: { rateHz?: number; meta: Record<string, unknown> },
  ): Promise<void> {
    // A late write (below) still records when the recording ended, not when the database was free.
    const endedAt = new Date().toISOString();
    const write = () => {
      this.repo.finish(session.id, state, endedAt);
      this.repo.updateRecording(session.id, patch);
    };
    const since = this.busySince ?? Date.now();
    const holdMs = this.cfg.busyHoldMs ?? BUSY_HOLD_MS;
    for (;;) {
      try {
        write();
        return;
      } catch (err) {
        if (isBusy(err) && Date.now() - since < holdMs) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const msg = err instanceof Error ? err.message : String(err);
        const note =
          `The session "${session.name}" could not be marked ${state} (${msg}` +
          `${isBusy(err) ? `; another process held the database for ${Math.round((Date.now() - since) / 1000)} s` : ''}). ` +
          `Its stored samples are kept; it shows as still recording until the database is free, when bitbench marks it ${state} ` +
          `(or interrupted, if bitbench is closed first, the next time bitbench starts).`;
        this.error = this.error ? `${this.error} ${note}` : note;
        this.lateFinish = setInterval(() => {
          try {
            write();
          } catch (e) {
            if (isBusy(e)) return;
            // Closed database or another error: leave it to the next start's interrupted marking.
          }
          clearInterval(this.lateFinish);
          this.lateFinish = undefined;
        }, LATE_FINISH_RETRY_MS);
        this.lateFinish.unref();
        return;
      }
    }
  }

  private finishUp(s: Session | undefined): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.state = 'done';
    this.resolveDone(s);
    this.hooks.changed();
  }
}
