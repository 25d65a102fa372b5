import type { Job } from '../../shared/api/jobs';
import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import { JobsRepo } from '../store/jobs-repo';

/**
 * What queued and running jobs read, from their stored params (so this holds across processes on
 * one database): deleting a model or a dataset such a job needs is refused while it runs, rather
 * than letting the job fail when it stores its result.
 */

/** The param naming the dataset a job of this kind reads. */
const DATASET_PARAM: Readonly<Record<string, string>> = {
  train: 'dataset',
  'dataset-export': 'name',
  quantize: 'dataset',
  'lowbit-train': 'dataset',
  'lowbit-sensitivity': 'dataset',
};

function param(job: Job, key: string): string | undefined {
  const v = (job.params as Record<string, unknown> | null)?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** "train job 1a2b3c4d… (45%)": how a refusal names the job in the way. */
export function describeJob(job: Job): string {
  return `${job.kind} job ${job.id} (${Math.round(job.progress * 100)}%)`;
}

function refusal(job: Job, what: string): BitbenchError {
  return new BitbenchError(
    'conflict',
    `${what} is in use by the ${describeJob(job)}. Wait for it to finish or cancel it, then delete.`,
  );
}

/** Refuses when an active job (quantize, low-bit, flash, profile, …) reads one of `models` (params.model). */
export function refuseIfModelsInUse(db: Db, models: readonly string[]): void {
  for (const job of new JobsRepo(db).active()) {
    const used = param(job, 'model');
    if (used !== undefined && models.includes(used)) throw refusal(job, `Model "${used}"`);
  }
}

/**
 * Refuses when an active job reads a version of dataset `name` among `versions`. A job asked for the
 * name alone (the latest version when it started) counts as reading every version.
 */
export function refuseIfDatasetInUse(db: Db, name: string, versions: readonly number[]): void {
  for (const job of new JobsRepo(db).active()) {
    const key = DATASET_PARAM[job.kind];
    const ref = key === undefined ? undefined : param(job, key);
    if (ref === undefined) continue;
    const m = /^(.*?)(?:@(\d+))?$/.exec(ref)!;
    if (m[1] !== name) continue;
    const v = m[2] === undefined ? undefined : Number(m[2]);
    if (v === undefined || versions.includes(v))
      throw refusal(job, `Dataset ${v === undefined ? name : `${name}@${v}`}`);
  }
}
