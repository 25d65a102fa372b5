import type { Migration } from './types';

/**
 * The one-step undo of recording's destructive actions (session delete, relabel, segment edit,
 * rename). One row at most: a new destructive action replaces the previous one. Kept in the
 * store, not in memory, so `bitbench sessions undo` works after `bitbench sessions delete`.
 */
export const migration0006: Migration = {
  version: 6,
  name: 'recording',
  sql: `
    CREATE TABLE recording_undo (
      slot INTEGER PRIMARY KEY CHECK (slot = 1),
      action TEXT NOT NULL,
      description TEXT NOT NULL,
      -- JSON: what is needed to reverse the action (ids, the previous values)
      payload TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
  `,
};
