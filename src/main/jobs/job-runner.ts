import { randomUUID } from 'node:crypto';
import type { Job, JobStage } from '../../shared/api/jobs';
import { BitbenchError } from '../../shared/errors';
import type { EventHub } from '../api/event-hub';
import { describeStoreError } from '../store/database';
import type { JobsRepo } from '../store/jobs-repo';

export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  /**
   * Reports progress 0..1 with a message and, for a job made of named stages (a PTQ run's layers),
   * each stage's progress; cheap to call often (throttled).
   */
  progress(fraction: number, message?: string, stages?: readonly JobStage[]): void;
  /** Throws a `cancelled` error when the job was cancelled. Call between units of work. */
  throwIfCancelled(): void;
}

export interface JobHandle<T> {
  readonly id: string;
  readonly done: Promise<T>;
}

const PERSIST_EVERY_MS = 250;
const EMIT_EVERY_MS = 50;
/** How often a process running jobs looks for cancel requests from other processes. */
const CANCEL_POLL_MS = 300;

/**
 * Runs long work (training, quantization, flashing, profiling) with progress, cancel, and the
 * result or error stored in SQLite. Progress is written to the database at most every 250 ms
 * and emitted to the UI at most every 50 ms.
 */
export class JobRunner {
  private readonly controllers = new Map<string, AbortController>();
  /** Result promises of this process's jobs, kept a minute after they end (see `done`). */
  private readonly promises = new Map<string, Promise<unknown>>();
  /** Polls for cancel requests while this process runs jobs. */
  private cancelPoll: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: JobsRepo,
    private readonly events?: EventHub,
    /** The database file, named in a job's error when SQLite fails (locked by another process …). */
    private readonly dbPath?: string,
  ) {
    repo.markInterrupted();
  }

  start<T>(kind: string, params: unknown, work: (ctx: JobContext) => Promise<T>): JobHandle<T> {
    const id = randomUUID();
    this.repo.insert(id, kind, params);
    const controller = new AbortController();
    this.controllers.set(id, controller);
    this.watchCancelRequests();
    let lastPersist = 0;
    let lastEmit = 0;
    let current: { progress: number; message: string; stages?: readonly JobStage[] } = {
      progress: 0,
      message: '',
    };
    const emit = () => {
      const job = this.repo.get(id);
      if (job) this.events?.emit('job', job);
    };
    emit();
    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (fraction, message, stages) => {
        current = {
          progress: Math.min(1, Math.max(0, fraction)),
          message: message ?? current.message,
          stages: stages ?? current.stages,
        };
        const now = Date.now();
        if (now - lastPersist >= PERSIST_EVERY_MS) {
          lastPersist = now;
          this.repo.progress(id, current.progress, current.message, current.stages);
        }
        if (now - lastEmit >= EMIT_EVERY_MS) {
          lastEmit = now;
          const job = this.repo.get(id);
          if (job)
            this.events?.emit('job', {
              ...job,
              progress: current.progress,
              message: current.message,
              ...(current.stages ? { stages: [...current.stages] } : {}),
            });
        }
      },
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new BitbenchError('cancelled', 'Cancelled by the user.');
      },
    };
    const done = (async () => {
      try {
        const result = await work(ctx);
        this.repo.progress(id, 1, current.message, current.stages);
        this.repo.finish(id, 'succeeded', result, null);
        return result;
      } catch (thrown) {
        // "database is locked" alone says neither which file nor what to do: worded as the CLI and app do.
        const err = this.dbPath !== undefined ? describeStoreError(this.dbPath, thrown) : thrown;
        const cancelled =
          controller.signal.aborted || (err instanceof BitbenchError && err.code === 'cancelled');
        const storeEnd = (): void => {
          this.repo.progress(id, current.progress, current.message, current.stages);
          this.repo.finish(
            id,
            cancelled ? 'cancelled' : 'failed',
            null,
            err instanceof Error ? err.message : String(err),
          );
        };
        try {
          storeEnd();
        } catch {
          // The database would not take the job's end either (another process holds it): the job's
          // own error is what the caller needs, not this one; the end is stored once it is free.
          this.storeLater(storeEnd, emit);
        }
        throw err;
      } finally {
        this.controllers.delete(id);
        this.watchCancelRequests();
        try {
          emit();
        } catch {
          // As above: the job's outcome is already on its way to the caller.
        }
      }
    })();
    // The caller may not await `done`; an unobserved rejection must not crash the process.
    done.catch(() => undefined);
    this.promises.set(id, done);
    const forget = () => setTimeout(() => this.promises.delete(id), 60_000).unref();
    done.then(forget, forget);
    return { id, done };
  }

  /**
   * Tries `store` again every second until the database takes it (another process held it when the
   * job ended), then tells the UI; gives up on any other error (a closed database: the row, left
   * running, is marked interrupted when bitbench next starts).
   */
  private storeLater(store: () => void, emit: () => void): void {
    const t = setInterval(() => {
      try {
        store();
        emit();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return;
      }
      clearInterval(t);
    }, 1000);
    t.unref();
  }

  /**
   * The result of a job this process started (a service returned only its id): how the CLI follows
   * a job to its end. Kept for a minute after the job ends.
   */
  done<T>(id: string): Promise<T> {
    const p = this.promises.get(id);
    if (!p) throw new BitbenchError('not_found', `No job ${id} running in this process.`);
    return p as Promise<T>;
  }

  /**
   * Cancels a job of this process at once; a queued or running job of another process on this
   * database (the app's, a CLI command's) is asked to cancel, and that process stops it within a
   * fraction of a second. False when the job is not active.
   */
  cancel(id: string): boolean {
    const c = this.controllers.get(id);
    if (c) {
      c.abort();
      return true;
    }
    return this.repo.requestCancel(id);
  }

  /** Starts or stops the poll for other processes' cancel requests, as this process has jobs or not. */
  private watchCancelRequests(): void {
    if (this.controllers.size > 0 && !this.cancelPoll) {
      this.cancelPoll = setInterval(() => {
        try {
          for (const id of this.repo.cancelRequested([...this.controllers.keys()]))
            this.controllers.get(id)?.abort();
        } catch {
          // The database is closing with the process: nothing left to cancel.
        }
      }, CANCEL_POLL_MS);
      this.cancelPoll.unref();
    } else if (this.controllers.size === 0 && this.cancelPoll) {
      clearInterval(this.cancelPoll);
      this.cancelPoll = undefined;
    }
  }

  list(limit: number, kind?: string): Job[] {
    return this.repo.list(limit, kind);
  }

  get(id: string): Job {
    const job = this.repo.get(id);
    if (!job) throw new BitbenchError('not_found', `No job with id ${id}.`);
    return job;
  }
}
