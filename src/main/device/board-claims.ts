import { parseBoardSpec } from '../../shared/api/boards';
import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import type { JobContext } from '../jobs/job-runner';

/** What holds a board while a request connects to it before its job exists (or runs without one). */
const STARTING = 'starting';

/** A board reserved by a request that will start a job on it. */
export interface BoardReservation {
  /** `work` as a job body that holds the board until it settles. */
  holding<T>(work: (job: JobContext) => Promise<T>): (job: JobContext) => Promise<T>;
  /** Gives the board back when no job was started (the request failed before). */
  release(): void;
}

/**
 * One job per board at a time (flash, profile, verify): a model load in the middle of a profile or a
 * verify would change the model under it. A request reserves its board before anything slow (the
 * connection, a PING), so a second request arriving meanwhile, such as a Profile clicked right after
 * Flash, is refused instead of racing it; the job then holds the board while it runs.
 */
export function boardClaims(ctx: AppContext) {
  const busy = ctx.singleton('board-claims', () => new Map<string, string>());
  // Keyed like the board manager's connections: `virtual:M4` and `virtual:m4` are one board.
  const key = (spec: string): string => {
    const parsed = parseBoardSpec(spec);
    return 'error' in parsed ? spec : parsed.spec;
  };
  const refuseIfHeld = (raw: string): void => {
    const spec = key(raw);
    const by = busy.get(spec);
    if (by === STARTING)
      throw new BitbenchError(
        'conflict',
        `${spec} is busy: another request is connecting to it or using it.`,
      );
    if (by)
      throw new BitbenchError('conflict', `${spec} is busy with job ${by}; wait for it or cancel it first.`);
  };
  function reserve(raw: string): BoardReservation {
    refuseIfHeld(raw);
    const spec = key(raw);
    busy.set(spec, STARTING);
    let started = false;
    return {
      holding:
        <T>(work: (job: JobContext) => Promise<T>) =>
        (job: JobContext): Promise<T> => {
          started = true;
          busy.set(spec, job.id);
          return work(job).finally(() => busy.delete(spec));
        },
      release() {
        if (!started && busy.get(spec) === STARTING) busy.delete(spec);
      },
    };
  }
  return {
    /** Throws `conflict` naming the job when a job holds `spec` (or a request is connecting for one). */
    refuseIfHeld,
    /** Throws `conflict` like `claim`, else holds `spec` from now on for the job about to start. */
    reserve,
    /**
     * Runs `start` (which connects and starts a job through the reservation's `holding`) with `spec`
     * reserved; the reservation is released if `start` throws before the job begins.
     */
    async reserving<T>(spec: string, start: (r: BoardReservation) => Promise<T>): Promise<T> {
      const r = reserve(spec);
      try {
        return await start(r);
      } catch (err) {
        r.release();
        throw err;
      }
    },
  };
}
