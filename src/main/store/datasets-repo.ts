import type { Db } from './database';
import { parseJsonColumn, readableRows } from './json-column';

/**
 * Dataset versions (`datasets`) and their windows (`dataset_windows`). A version is written in one
 * transaction by the caller (see dataset-writer.ts); a locked version is never changed here.
 */

export type StorageDtype = { dtype: 'f32' } | { dtype: 'u8'; scale: number };

/** What a version needs to be read and rebuilt; stored as JSON in datasets.config. */
export interface DatasetConfig {
  classes: string[];
  /** Shape of one window, time first, channels last: [128, 9], [28, 28, 1]. */
  shape: number[];
  channelNames: string[];
  windowLength: number;
  stride: number | null;
  rateHz: number | null;
  storage: StorageDtype;
  normalization: 'standardize' | 'none';
  split: { by: string; seed: number; valFraction: number; testFraction: number; testGroups?: string[] };
  source: string;
  preprocess: string | null;
  /** Sessions the windows were cut from. */
  sessions: number[];
  /** Sessions this version created (imports): deleted with it when no other version uses them. */
  ownSessions: number[];
  notes: string[];
  /** What the user should act on: empty requested splits, classes missing from train, ambiguous labels. */
  warnings?: string[];
}

export interface DatasetStats {
  windows: number;
  classes: Record<string, number>;
  splits: Record<string, number>;
  splitClasses: Record<string, Record<string, number>>;
  norm: { mean: number[]; std: number[] } | null;
  subjects: Record<string, string[]> | null;
}

export interface DatasetRow {
  id: number;
  name: string;
  version: number;
  kind: string;
  state: 'building' | 'ready' | 'failed';
  locked: boolean;
  createdAt: string;
  error: string | null;
  config: DatasetConfig;
  stats: DatasetStats;
}

interface RawRow {
  id: number;
  name: string;
  version: number;
  kind: string;
  config: string;
  stats: string;
  locked: number;
  created_at: string;
  state: 'building' | 'ready' | 'failed';
  error: string | null;
}

function datasetRow(r: { id: number; name: string; version: number }): string {
  return `dataset "${r.name}" v${r.version} (id ${r.id})`;
}

function toRow(r: RawRow): DatasetRow {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    kind: r.kind,
    state: r.state,
    locked: r.locked !== 0,
    createdAt: r.created_at,
    error: r.error,
    config: parseJsonColumn<DatasetConfig>(r.config, {
      table: 'datasets',
      column: 'config',
      row: datasetRow(r),
    }),
    stats: parseJsonColumn<DatasetStats>(r.stats, { table: 'datasets', column: 'stats', row: datasetRow(r) }),
  };
}

export interface WindowInsert {
  split: 'train' | 'val' | 'test';
  label: number;
  sessionId: number | null;
  startSample: number | null;
  subject: string | null;
  data: Buffer;
}

export class DatasetsRepo {
  constructor(private readonly db: Db) {}

  nextVersion(name: string): number {
    const r = this.db
      .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM datasets WHERE name = ?')
      .get(name) as { v: number };
    return r.v + 1;
  }

  insertVersion(name: string, kind: string, config: DatasetConfig, stats: DatasetStats): DatasetRow {
    const version = this.nextVersion(name);
    const info = this.db
      .prepare(
        `INSERT INTO datasets (name, version, kind, config, stats, locked, created_at, state)
         VALUES (?, ?, ?, ?, ?, 0, ?, 'building')`,
      )
      .run(name, version, kind, JSON.stringify(config), JSON.stringify(stats), new Date().toISOString());
    return this.byId(Number(info.lastInsertRowid))!;
  }

  /** A prepared insert for one version's windows; `idx` is the insertion order. */
  windowInserter(datasetId: number): (w: WindowInsert) => void {
    const stmt = this.db.prepare(
      `INSERT INTO dataset_windows (dataset_id, idx, split, label, session_id, start_sample, subject, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let idx = 0;
    return (w) => {
      stmt.run(datasetId, idx++, w.split, w.label, w.sessionId, w.startSample, w.subject, w.data);
    };
  }

  markReady(id: number, stats: DatasetStats): void {
    this.db
      .prepare("UPDATE datasets SET state = 'ready', stats = ? WHERE id = ?")
      .run(JSON.stringify(stats), id);
  }

  byId(id: number): DatasetRow | undefined {
    const r = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as RawRow | undefined;
    return r && toRow(r);
  }

  /** The newest ready version of a name, or that exact version. */
  find(name: string, version?: number): DatasetRow | undefined {
    const r = (
      version === undefined
        ? this.db
            .prepare(
              "SELECT * FROM datasets WHERE name = ? AND state = 'ready' ORDER BY version DESC LIMIT 1",
            )
            .get(name)
        : this.db.prepare('SELECT * FROM datasets WHERE name = ? AND version = ?').get(name, version)
    ) as RawRow | undefined;
    return r && toRow(r);
  }

  versions(name: string): DatasetRow[] {
    return (
      this.db.prepare('SELECT * FROM datasets WHERE name = ? ORDER BY version').all(name) as RawRow[]
    ).map(toRow);
  }

  /** The newest ready version of every name, by name. */
  listLatest(): DatasetRow[] {
    return readableRows(
      this.db,
      this.db
        .prepare(
          `SELECT d.* FROM datasets d
           WHERE d.state = 'ready' AND d.version = (SELECT MAX(version) FROM datasets e WHERE e.name = d.name AND e.state = 'ready')
           ORDER BY d.name`,
        )
        .all() as RawRow[],
      toRow,
    );
  }

  lock(id: number): void {
    this.db.prepare('UPDATE datasets SET locked = 1 WHERE id = ?').run(id);
  }

  /** Is a version referenced by a model (then it is treated as locked even without the flag)? */
  usedByModels(id: number): boolean {
    return (
      (this.db.prepare('SELECT 1 FROM models WHERE dataset_id = ? LIMIT 1').get(id) as unknown) !== undefined
    );
  }

  /** Deletes one version and its windows; returns sessions it owned that no other version uses. */
  deleteVersion(id: number): number[] {
    const row = this.byId(id);
    if (!row) return [];
    this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
    const stillUsed = new Set<number>();
    const others = this.db.prepare('SELECT id, name, version, config FROM datasets').all() as Array<{
      id: number;
      name: string;
      version: number;
      config: string;
    }>;
    for (const other of others) {
      const config = parseJsonColumn<DatasetConfig>(other.config, {
        table: 'datasets',
        column: 'config',
        row: datasetRow(other),
      });
      for (const s of config.sessions ?? []) stillUsed.add(s);
    }
    return (row.config.ownSessions ?? []).filter((s) => !stillUsed.has(s));
  }

  /** Labels and window data of one split in order; `raw` rows ([label, data]) for speed. */
  splitRows(id: number, split: string): Array<[number, Buffer]> {
    return this.db
      .prepare('SELECT label, data FROM dataset_windows WHERE dataset_id = ? AND split = ? ORDER BY idx')
      .raw(true)
      .all(id, split) as Array<[number, Buffer]>;
  }

  countSplit(id: number, split: string): number {
    return (
      this.db
        .prepare('SELECT COUNT(*) AS n FROM dataset_windows WHERE dataset_id = ? AND split = ?')
        .get(id, split) as { n: number }
    ).n;
  }

  /**
   * Every window of a version (optionally one split) in order, read in pages of `page` rows so the
   * connection is free between pages (a live `iterate()` would block the job's progress writes).
   */
  *iterateWindows(id: number, split?: string, page = 512): Generator<WindowOut> {
    const stmt = split
      ? this.db.prepare(
          'SELECT * FROM dataset_windows WHERE dataset_id = ? AND split = ? AND idx > ? ORDER BY idx LIMIT ?',
        )
      : this.db.prepare(
          'SELECT * FROM dataset_windows WHERE dataset_id = ? AND idx > ? ORDER BY idx LIMIT ?',
        );
    let after = -1;
    for (;;) {
      const rows = (split ? stmt.all(id, split, after, page) : stmt.all(id, after, page)) as WindowRaw[];
      for (const r of rows) {
        yield {
          idx: r.idx,
          split: r.split,
          label: r.label,
          sessionId: r.session_id,
          startSample: r.start_sample,
          subject: r.subject,
          data: r.data,
        };
      }
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.idx;
    }
  }
}

export interface WindowOut {
  idx: number;
  split: string;
  label: number;
  sessionId: number | null;
  startSample: number | null;
  subject: string | null;
  data: Buffer;
}

interface WindowRaw {
  idx: number;
  split: string;
  label: number;
  session_id: number | null;
  start_sample: number | null;
  subject: string | null;
  data: Buffer;
}
