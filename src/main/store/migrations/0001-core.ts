import type { Migration } from './types';

/** Core tables. Later features add theirs in their own numbered migration. */
export const migration0001: Migration = {
  version: 1,
  name: 'core',
  sql: `
    CREATE TABLE jobs (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled','interrupted')),
      progress REAL NOT NULL DEFAULT 0,
      message TEXT NOT NULL DEFAULT '',
      params TEXT NOT NULL DEFAULT '{}',
      result TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      owner_pid INTEGER
    ) STRICT;
    CREATE INDEX jobs_created ON jobs (created_at DESC);

    CREATE TABLE boards (
      spec TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('virtual','serial')),
      info TEXT,
      last_seen_at TEXT
    ) STRICT;

    CREATE TABLE datasets (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      version INTEGER NOT NULL DEFAULT 1,
      kind TEXT NOT NULL,
      config TEXT NOT NULL DEFAULT '{}',
      stats TEXT NOT NULL DEFAULT '{}',
      locked INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      UNIQUE (name, version)
    ) STRICT;

    CREATE TABLE models (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL CHECK (kind IN ('float','quantized')),
      parent_id INTEGER REFERENCES models (id) ON DELETE SET NULL,
      dataset_id INTEGER REFERENCES datasets (id),
      arch TEXT NOT NULL,
      spec TEXT NOT NULL,
      weights BLOB,
      metrics TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE runs (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      model_id INTEGER REFERENCES models (id) ON DELETE CASCADE,
      board TEXT,
      state TEXT NOT NULL,
      config TEXT NOT NULL DEFAULT '{}',
      results TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL
    ) STRICT;
  `,
};
