import type { Migration } from './types';

/**
 * Deploy & profile runs. `runs` (0001) gains what makes a run reproducible and resumable: the
 * board's identity (board name, CPU, counter, firmware version and build id), the dataset version
 * and split, the blob's model hash, progress (windows done of total), the job that ran it and a note
 * saying why it stopped. `kind` is 'flash' or 'profile'; `state` running | complete | partial | failed.
 *
 * `run_windows`: one row per profiled window (device and host predictions, total and per-layer
 * counts), written in small transactions as the profile goes, so a board that vanishes mid-run
 * loses nothing measured and the run resumes at the first window without a row.
 * `run_layers`: the per-layer means of a run, the cost model's calibration data for that board.
 */
export const migration0010: Migration = {
  version: 10,
  name: 'deploy-runs',
  sql: `
    ALTER TABLE runs ADD COLUMN job_id TEXT;
    ALTER TABLE runs ADD COLUMN board_name TEXT;
    ALTER TABLE runs ADD COLUMN cpu TEXT;
    ALTER TABLE runs ADD COLUMN counter_kind TEXT;
    ALTER TABLE runs ADD COLUMN firmware_version TEXT;
    ALTER TABLE runs ADD COLUMN build_id TEXT;
    ALTER TABLE runs ADD COLUMN dataset_name TEXT;
    ALTER TABLE runs ADD COLUMN dataset_version INTEGER;
    ALTER TABLE runs ADD COLUMN split TEXT;
    ALTER TABLE runs ADD COLUMN model_hash TEXT;
    ALTER TABLE runs ADD COLUMN windows_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN windows_total INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN note TEXT;
    ALTER TABLE runs ADD COLUMN updated_at TEXT;
    CREATE INDEX runs_model_kind ON runs (model_id, kind, created_at DESC);
    CREATE INDEX runs_board_name ON runs (board_name, kind);

    CREATE TABLE run_windows (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      idx INTEGER NOT NULL,
      label INTEGER NOT NULL,
      device_pred INTEGER NOT NULL,
      host_pred INTEGER NOT NULL,
      -- device output equals the host reference output byte for byte
      exact INTEGER NOT NULL CHECK (exact IN (0, 1)),
      elapsed INTEGER NOT NULL,
      -- u32 little-endian per layer
      layer_elapsed BLOB NOT NULL,
      -- the host integer reference's output tensor (int8), for the reproducibility check
      host_out BLOB NOT NULL,
      -- wall-clock ms of the INFER round trip on the host
      wall_ms REAL NOT NULL,
      PRIMARY KEY (run_id, idx)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE run_layers (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      layer INTEGER NOT NULL,
      name TEXT NOT NULL,
      kernel TEXT NOT NULL,
      weight_bits INTEGER,
      macs INTEGER NOT NULL,
      work INTEGER NOT NULL,
      outputs INTEGER NOT NULL,
      -- mean counts per inference
      counts REAL NOT NULL,
      estimate REAL,
      PRIMARY KEY (run_id, layer)
    ) STRICT;
  `,
};
