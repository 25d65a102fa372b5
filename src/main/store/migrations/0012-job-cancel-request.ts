import type { Migration } from './types';

/**
 * A job runs in the process that started it (the app, a CLI command); another process on the same
 * database cancels it by setting `cancel_requested`, which the owner polls (src/main/jobs/job-runner.ts).
 */
export const migration0012: Migration = {
  version: 12,
  name: 'job-cancel-request',
  sql: `ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;`,
};
