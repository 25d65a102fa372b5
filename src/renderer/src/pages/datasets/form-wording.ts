import { BitbenchError } from '../../../../shared/errors';
import type { Job } from '../../../../shared/api/jobs';

/** The import form's field for each CLI option the import's refusals may name. */
const FIELD_OF_FLAG: Record<string, string> = {
  '--recording-length': '“Recording length”',
  '--rate': '“Sample rate”',
  '--label-column': '“Label column”',
  '--window-length': '“Window length”',
  '--stride': '“Stride”',
};

/** A refusal's message as the import form says it: its fields' names instead of CLI options. */
export function inFormWords(message: string): string {
  return message.replace(/--[a-z][a-z-]*/g, (flag) => FIELD_OF_FLAG[flag] ?? flag);
}

/** `error` with its message in the form's words (same code, so the box still says "Refused."). */
export function errorInFormWords(error: unknown): unknown {
  if (error instanceof BitbenchError)
    return new BitbenchError(error.code, inFormWords(error.message), error.details);
  if (error instanceof Error) return new Error(inFormWords(error.message));
  return error;
}

export function jobInFormWords(job: Job | undefined): Job | undefined {
  return job && job.error !== null ? { ...job, error: inFormWords(job.error) } : job;
}
