import type { Migration } from './types';

/**
 * Recordings (sessions, their samples as compact chunks, segment labels) and dataset versions
 * (windows cut from sessions or imported, with their split). Shared by recording and datasets;
 * docs/datasets.md explains every column.
 */
export const migration0003: Migration = {
  version: 3,
  name: 'datasets',
  sql: `
    CREATE TABLE sessions (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      -- the group a session belongs to ("gestures"); a dataset is built from a group
      dataset TEXT,
      source TEXT NOT NULL CHECK (source IN ('board','import')),
      board TEXT,
      rate_hz REAL,
      -- JSON array of { "name": "ax", "unit": "g" }
      channels TEXT NOT NULL,
      subject TEXT,
      state TEXT NOT NULL CHECK (state IN ('recording','complete','interrupted')),
      started_at TEXT NOT NULL,
      ended_at TEXT,
      sample_count INTEGER NOT NULL DEFAULT 0,
      gaps INTEGER NOT NULL DEFAULT 0,
      dropped_frames INTEGER NOT NULL DEFAULT 0,
      -- the process that records; a 'recording' row whose owner is gone was interrupted
      owner_pid INTEGER,
      meta TEXT NOT NULL DEFAULT '{}',
      -- soft delete so the last destructive action can be undone
      deleted_at TEXT
    ) STRICT;
    CREATE INDEX sessions_group ON sessions (dataset, id);
    CREATE INDEX sessions_state ON sessions (state) WHERE state = 'recording';

    -- Float32 little-endian, interleaved by sample: n_samples x channels values
    CREATE TABLE sample_chunks (
      session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      first_sample INTEGER NOT NULL,
      t0_us INTEGER NOT NULL,
      n_samples INTEGER NOT NULL CHECK (n_samples > 0),
      data BLOB NOT NULL,
      PRIMARY KEY (session_id, seq)
    ) STRICT;

    -- end_sample is exclusive; NULL means "to the end of the session" (a whole-session label)
    CREATE TABLE labels (
      id INTEGER PRIMARY KEY,
      session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      start_sample INTEGER NOT NULL CHECK (start_sample >= 0),
      end_sample INTEGER CHECK (end_sample IS NULL OR end_sample > start_sample),
      label TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX labels_session ON labels (session_id, start_sample);

    -- a dataset version is built in one transaction; 'failed' is kept only for the record
    ALTER TABLE datasets ADD COLUMN state TEXT NOT NULL DEFAULT 'ready'
      CHECK (state IN ('building','ready','failed'));
    ALTER TABLE datasets ADD COLUMN error TEXT;

    -- one window of a dataset version; data layout and dtype are in datasets.config
    CREATE TABLE dataset_windows (
      dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
      idx INTEGER NOT NULL,
      split TEXT NOT NULL CHECK (split IN ('train','val','test')),
      label INTEGER NOT NULL,
      session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
      start_sample INTEGER,
      subject TEXT,
      data BLOB NOT NULL,
      PRIMARY KEY (dataset_id, idx)
    ) STRICT;
    CREATE INDEX dataset_windows_split ON dataset_windows (dataset_id, split, idx);
  `,
};
