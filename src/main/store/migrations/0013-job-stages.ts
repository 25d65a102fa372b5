import type { Migration } from './types';

/**
 * A job made of named stages (a PTQ run's layers) keeps each stage's progress, as JSON, so a page
 * opened or reloaded mid-job draws a bar per stage (src/main/jobs/job-runner.ts).
 */
export const migration0013: Migration = {
  version: 13,
  name: 'job-stages',
  sql: `ALTER TABLE jobs ADD COLUMN stages TEXT;`,
};
