import type { Job, JobStage, JobState } from '../../shared/api/jobs';
import type { Db } from './database';
import { parseJsonColumn, readableRows } from './json-column';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface JobRow {
  id: string;
  kind: string;
  state: JobState;
  progress: number;
  message: string;
  params: string;
  result: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  stages: string | null;
}

function etaSeconds(row: JobRow, now = Date.now()): number | null {
  if (row.state !== 'running' || !row.started_at || row.progress <= 0.01) return null;
  const elapsed = (now - Date.parse(row.started_at)) / 1000;
  return Math.max(0, (elapsed * (1 - row.progress)) / row.progress);
}

function jobRow(row: JobRow): string {
  return `job ${row.id} (${row.kind})`;
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    progress: row.progress,
    message: row.message,
    params: parseJsonColumn(row.params, { table: 'jobs', column: 'params', row: jobRow(row) }),
    result:
      row.result === null
        ? null
        : parseJsonColumn(row.result, { table: 'jobs', column: 'result', row: jobRow(row) }),
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    etaSeconds: etaSeconds(row),
    ...(row.stages
      ? {
          stages: parseJsonColumn<JobStage[]>(row.stages, {
            table: 'jobs',
            column: 'stages',
            row: jobRow(row),
          }),
        }
      : {}),
  };
}

/** The jobs table. */
export class JobsRepo {
  constructor(private readonly db: Db) {}

  insert(id: string, kind: string, params: unknown): Job {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, state, progress, message, params, created_at, started_at, owner_pid)
         VALUES (?, ?, 'running', 0, '', ?, ?, ?, ?)`,
      )
      .run(id, kind, JSON.stringify(params ?? {}), now, now, process.pid);
    return this.get(id)!;
  }

  /** Progress and message; the stages too when given (else they stay as they were). */
  progress(id: string, progress: number, message: string, stages?: readonly JobStage[]): void {
    this.db
      .prepare('UPDATE jobs SET progress = ?, message = ?, stages = COALESCE(?, stages) WHERE id = ?')
      .run(progress, message, stages ? JSON.stringify(stages) : null, id);
  }

  finish(id: string, state: JobState, result: unknown, error: string | null): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ?,
           progress = CASE WHEN ? = 'succeeded' THEN 1 ELSE progress END WHERE id = ?`,
      )
      .run(
        state,
        result === undefined ? null : JSON.stringify(result),
        error,
        new Date().toISOString(),
        state,
        id,
      );
  }

  /**
   * Jobs whose owning process died while they ran are marked interrupted. The app and the CLI
   * share one database, so a job is only orphaned when its owner process is gone.
   */
  markInterrupted(isAlive: (pid: number) => boolean = pidAlive): number {
    const rows = this.db
      .prepare(`SELECT id, owner_pid FROM jobs WHERE state IN ('queued','running')`)
      .all() as Array<{ id: string; owner_pid: number | null }>;
    const mark = this.db.prepare(
      `UPDATE jobs SET state = 'interrupted', finished_at = ?, error = 'The process stopped while this job ran.'
       WHERE id = ?`,
    );
    let n = 0;
    for (const r of rows) {
      if (r.owner_pid !== null && r.owner_pid !== process.pid && isAlive(r.owner_pid)) continue;
      if (r.owner_pid === process.pid) continue;
      mark.run(new Date().toISOString(), r.id);
      n++;
    }
    return n;
  }

  /** The id of a queued or running job of one of `kinds` whose params name `name`, if any. */
  activeNaming(kinds: readonly string[], name: string): string | undefined {
    const row = this.db
      .prepare(
        `SELECT id FROM jobs WHERE kind IN (SELECT value FROM json_each(?)) AND state IN ('queued', 'running')
           AND json_extract(params, '$.name') = ?`,
      )
      .get(JSON.stringify(kinds), name) as { id: string } | undefined;
    return row?.id;
  }

  /** Queued and running jobs (of any process on this database), oldest first. */
  active(): Job[] {
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at, rowid`)
      .all() as JobRow[];
    return rows.map(toJob);
  }

  /**
   * Asks the process running a queued or running job to cancel it (it polls `cancelRequested`);
   * false when the job is not active.
   */
  requestCancel(id: string): boolean {
    return (
      this.db
        .prepare(`UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND state IN ('queued', 'running')`)
        .run(id).changes > 0
    );
  }

  /** Those of `ids` another process asked to cancel. */
  cancelRequested(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    return (
      this.db
        .prepare(`SELECT id FROM jobs WHERE cancel_requested = 1 AND id IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(ids)) as Array<{ id: string }>
    ).map((r) => r.id);
  }

  /** The id of the process that runs (or ran) a job; null when unknown. */
  ownerPid(id: string): number | null {
    const row = this.db.prepare('SELECT owner_pid FROM jobs WHERE id = ?').get(id) as
      { owner_pid: number | null } | undefined;
    return row?.owner_pid ?? null;
  }

  /** Every kind of job this database has seen. */
  kinds(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT kind FROM jobs ORDER BY kind').all() as Array<{ kind: string }>
    ).map((r) => r.kind);
  }

  get(id: string): Job | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  list(limit: number, kind?: string): Job[] {
    const rows = (
      kind
        ? this.db
            .prepare('SELECT * FROM jobs WHERE kind = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(kind, limit)
        : this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit)
    ) as JobRow[];
    return readableRows(this.db, rows, toJob);
  }
}
