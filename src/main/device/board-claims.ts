import { BitbenchError } from '../../shared/errors';
import type { AppContext } from '../context';
import type { JobContext } from '../jobs/job-runner';

/**
 * One job per board at a time (flash, profile, verify): a model load in the middle of a profile or a
 * verify would change the model under it. A job claims its board before it starts and holds it
 * while it runs.
 */
export function boardClaims(ctx: AppContext) {
  const busy = ctx.singleton('board-claims', () => new Map<string, string>());
  return {
    /** Throws `conflict` when a job holds `spec`. */
    claim(spec: string): void {
      const job = busy.get(spec);
      if (job)
        throw new BitbenchError(
          'conflict',
          `${spec} is busy with job ${job}; wait for it or cancel it first.`,
        );
    },
    /** Runs `work` holding the board; released before the job's own promise settles. */
    holding:
      <T>(spec: string, work: (job: JobContext) => Promise<T>) =>
      (job: JobContext): Promise<T> => {
        busy.set(spec, job.id);
        return work(job).finally(() => busy.delete(spec));
      },
  };
}
