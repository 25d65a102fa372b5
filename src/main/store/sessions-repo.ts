import type { Db } from './database';
import { parseJsonColumn, readableRows } from './json-column';

/**
 * Sessions (one continuous recording each), their samples as Float32 chunks, and segment labels.
 * Used by recording (live capture) and by the dataset importers. docs/datasets.md has the schema.
 *
 * Samples are stored interleaved by sample (s0c0 s0c1 … s1c0 …), Float32 little-endian, one row
 * per chunk; `first_sample` is the chunk's index in the session so ranges read without a scan.
 */

export type SessionSource = 'board' | 'import';
export type SessionState = 'recording' | 'complete' | 'interrupted';

export interface SessionChannel {
  name: string;
  unit?: string;
}

export interface Session {
  id: number;
  name: string;
  /** The group ("dataset" in the CLI: `--dataset gestures`) this session belongs to. */
  dataset: string | null;
  source: SessionSource;
  board: string | null;
  rateHz: number | null;
  channels: SessionChannel[];
  subject: string | null;
  state: SessionState;
  startedAt: string;
  endedAt: string | null;
  sampleCount: number;
  gaps: number;
  droppedFrames: number;
  meta: Record<string, unknown>;
  deletedAt: string | null;
}

export interface NewSession {
  name: string;
  dataset?: string | null;
  source: SessionSource;
  board?: string | null;
  rateHz?: number | null;
  channels: SessionChannel[];
  subject?: string | null;
  /** Defaults to 'recording' (owned by this process); importers pass 'complete'. */
  state?: SessionState;
  startedAt?: string;
  meta?: Record<string, unknown>;
}

export interface ChunkInput {
  /** Timestamp of the chunk's first sample, microseconds (board clock when it sends one). */
  t0Us: number;
  nSamples: number;
  /** nSamples × channels values, interleaved by sample. */
  data: Float32Array;
}

export interface Label {
  id: number;
  sessionId: number;
  startSample: number;
  /** Exclusive; null = to the end of the session (a whole-session label). */
  endSample: number | null;
  label: string;
  createdAt: string;
}

interface SessionRow {
  id: number;
  name: string;
  dataset: string | null;
  source: SessionSource;
  board: string | null;
  rate_hz: number | null;
  channels: string;
  subject: string | null;
  state: SessionState;
  started_at: string;
  ended_at: string | null;
  sample_count: number;
  gaps: number;
  dropped_frames: number;
  meta: string;
  deleted_at: string | null;
}

interface LabelRow {
  id: number;
  session_id: number;
  start_sample: number;
  end_sample: number | null;
  label: string;
  created_at: string;
}

function sessionRow(r: { id: number; name?: string }): string {
  return r.name !== undefined ? `session "${r.name}" (id ${r.id})` : `session ${r.id}`;
}

function toSession(r: SessionRow): Session {
  return {
    id: r.id,
    name: r.name,
    dataset: r.dataset,
    source: r.source,
    board: r.board,
    rateHz: r.rate_hz,
    channels: parseJsonColumn<SessionChannel[]>(r.channels, {
      table: 'sessions',
      column: 'channels',
      row: sessionRow(r),
    }),
    subject: r.subject,
    state: r.state,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    sampleCount: r.sample_count,
    gaps: r.gaps,
    droppedFrames: r.dropped_frames,
    meta: parseJsonColumn<Record<string, unknown>>(r.meta, {
      table: 'sessions',
      column: 'meta',
      row: sessionRow(r),
    }),
    deletedAt: r.deleted_at,
  };
}

function toLabel(r: LabelRow): Label {
  return {
    id: r.id,
    sessionId: r.session_id,
    startSample: r.start_sample,
    endSample: r.end_sample,
    label: r.label,
    createdAt: r.created_at,
  };
}

/** A Float32Array's bytes as a Buffer without copying (little-endian on every platform we ship). */
export function f32ToBlob(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Copies a BLOB into a Float32Array (copy: SQLite's buffer may be unaligned). */
export function blobToF32(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SessionsRepo {
  constructor(private readonly db: Db) {}

  create(s: NewSession): Session {
    const state = s.state ?? 'recording';
    const info = this.db
      .prepare(
        `INSERT INTO sessions (name, dataset, source, board, rate_hz, channels, subject, state, started_at, ended_at, owner_pid, meta)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.name,
        s.dataset ?? null,
        s.source,
        s.board ?? null,
        s.rateHz ?? null,
        JSON.stringify(s.channels),
        s.subject ?? null,
        state,
        s.startedAt ?? new Date().toISOString(),
        state === 'recording' ? null : new Date().toISOString(),
        state === 'recording' ? process.pid : null,
        JSON.stringify(s.meta ?? {}),
      );
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): Session | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    return r && toSession(r);
  }

  /**
   * Sessions not deleted, newest first; `dataset` narrows to one group. A session whose JSON values
   * are damaged is left out and reported (see readableRows), unless `strict` (a dataset built from a
   * group must not quietly miss one of its sessions): then it fails with its store error.
   */
  list(opts: { dataset?: string; includeDeleted?: boolean; strict?: boolean } = {}): Session[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.dataset !== undefined) {
      where.push('dataset = ?');
      args.push(opts.dataset);
    }
    if (!opts.includeDeleted) where.push('deleted_at IS NULL');
    const sql = `SELECT * FROM sessions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC`;
    const rows = this.db.prepare(sql).all(...args) as SessionRow[];
    return opts.strict ? rows.map(toSession) : readableRows(this.db, rows, toSession);
  }

  /**
   * Appends chunks in one transaction and updates the session's counters with them, so a crash
   * leaves the counters and the chunks consistent. Returns the new sample count.
   */
  appendChunks(
    sessionId: number,
    chunks: ChunkInput[],
    counters: { gaps?: number; droppedFrames?: number } = {},
  ): number {
    const head = this.db.prepare(
      'SELECT sample_count, channels, (SELECT COALESCE(MAX(seq), -1) FROM sample_chunks WHERE session_id = ?) AS last_seq FROM sessions WHERE id = ?',
    );
    const insert = this.db.prepare(
      'INSERT INTO sample_chunks (session_id, seq, first_sample, t0_us, n_samples, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const update = this.db.prepare(
      'UPDATE sessions SET sample_count = ?, gaps = gaps + ?, dropped_frames = dropped_frames + ? WHERE id = ?',
    );
    return this.db.transaction(() => {
      const h = head.get(sessionId, sessionId) as
        { sample_count: number; channels: string; last_seq: number } | undefined;
      if (!h) throw new Error(`No session with id ${sessionId}.`);
      const nch = parseJsonColumn<unknown[]>(h.channels, {
        table: 'sessions',
        column: 'channels',
        row: sessionRow({ id: sessionId }),
      }).length;
      let count = h.sample_count;
      let seq = h.last_seq + 1;
      for (const c of chunks) {
        if (c.nSamples <= 0) continue;
        if (c.data.length !== c.nSamples * nch) {
          throw new Error(
            `Chunk of ${c.nSamples} samples × ${nch} channels needs ${c.nSamples * nch} values, got ${c.data.length}.`,
          );
        }
        insert.run(sessionId, seq++, count, Math.round(c.t0Us), c.nSamples, f32ToBlob(c.data));
        count += c.nSamples;
      }
      update.run(count, counters.gaps ?? 0, counters.droppedFrames ?? 0, sessionId);
      return count;
    })();
  }

  /** Ends a recording (`endedAt`: when it ended, if that was before this write). */
  finish(
    id: number,
    state: 'complete' | 'interrupted' = 'complete',
    endedAt: string = new Date().toISOString(),
  ): void {
    this.db
      .prepare('UPDATE sessions SET state = ?, ended_at = ?, owner_pid = NULL WHERE id = ?')
      .run(state, endedAt, id);
  }

  /** On start: sessions left 'recording' by a process that is gone are marked interrupted. */
  markInterrupted(): number {
    const rows = this.db
      .prepare("SELECT id, owner_pid FROM sessions WHERE state = 'recording'")
      .all() as Array<{
      id: number;
      owner_pid: number | null;
    }>;
    let n = 0;
    for (const r of rows) {
      if (r.owner_pid !== null && (r.owner_pid === process.pid || pidAlive(r.owner_pid))) continue;
      this.db
        .prepare(
          "UPDATE sessions SET state = 'interrupted', ended_at = COALESCE(ended_at, ?), owner_pid = NULL WHERE id = ?",
        )
        .run(new Date().toISOString(), r.id);
      n++;
    }
    return n;
  }

  /** Recording: the measured rate (data forwarder) and facts merged into meta when a recording ends. */
  updateRecording(id: number, patch: { rateHz?: number; meta?: Record<string, unknown> }): void {
    this.db.transaction(() => {
      const cur = this.get(id);
      if (!cur) return;
      this.db
        .prepare('UPDATE sessions SET rate_hz = ?, meta = ? WHERE id = ?')
        .run(patch.rateHz ?? cur.rateHz, JSON.stringify({ ...cur.meta, ...patch.meta }), id);
    })();
  }

  rename(id: number, name: string): void {
    this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(name, id);
  }

  setGroup(id: number, dataset: string | null): void {
    this.db.prepare('UPDATE sessions SET dataset = ? WHERE id = ?').run(dataset, id);
  }

  setSubject(id: number, subject: string | null): void {
    this.db.prepare('UPDATE sessions SET subject = ? WHERE id = ?').run(subject, id);
  }

  /** Soft delete (undoable with `restore`); `purge` removes the rows and samples for good. */
  softDelete(id: number): void {
    this.db.prepare('UPDATE sessions SET deleted_at = ? WHERE id = ?').run(new Date().toISOString(), id);
  }

  restore(id: number): void {
    this.db.prepare('UPDATE sessions SET deleted_at = NULL WHERE id = ?').run(id);
  }

  purge(id: number): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  /**
   * Samples [start, end) of a session as one interleaved Float32Array. Reads only the chunks that
   * overlap the range, in order, through the (session_id, seq) primary key.
   */
  readSamples(
    id: number,
    range: { start?: number; end?: number } = {},
  ): { data: Float32Array; nSamples: number; channels: number } {
    const s = this.db.prepare('SELECT sample_count, channels FROM sessions WHERE id = ?').get(id) as
      { sample_count: number; channels: string } | undefined;
    if (!s) throw new Error(`No session with id ${id}.`);
    const nch = parseJsonColumn<unknown[]>(s.channels, {
      table: 'sessions',
      column: 'channels',
      row: sessionRow({ id }),
    }).length;
    const start = Math.max(0, range.start ?? 0);
    const end = Math.min(s.sample_count, range.end ?? s.sample_count);
    const n = Math.max(0, end - start);
    const out = new Float32Array(n * nch);
    if (n === 0) return { data: out, nSamples: 0, channels: nch };
    const rows = this.db
      .prepare(
        `SELECT first_sample, n_samples, data FROM sample_chunks
         WHERE session_id = ? AND first_sample < ? AND first_sample + n_samples > ? ORDER BY seq`,
      )
      .all(id, end, start) as Array<{ first_sample: number; n_samples: number; data: Buffer }>;
    for (const r of rows) {
      const chunk = blobToF32(r.data);
      const from = Math.max(start, r.first_sample);
      const to = Math.min(end, r.first_sample + r.n_samples);
      out.set(
        chunk.subarray((from - r.first_sample) * nch, (to - r.first_sample) * nch),
        (from - start) * nch,
      );
    }
    return { data: out, nSamples: n, channels: nch };
  }

  /** Chunk timestamps in order (for gap display and rate checks). */
  chunkTimes(id: number): Array<{ seq: number; firstSample: number; t0Us: number; nSamples: number }> {
    return (
      this.db
        .prepare(
          'SELECT seq, first_sample, t0_us, n_samples FROM sample_chunks WHERE session_id = ? ORDER BY seq',
        )
        .all(id) as Array<{ seq: number; first_sample: number; t0_us: number; n_samples: number }>
    ).map((r) => ({ seq: r.seq, firstSample: r.first_sample, t0Us: r.t0_us, nSamples: r.n_samples }));
  }

  // ---- labels ----

  addLabel(sessionId: number, label: string, startSample = 0, endSample: number | null = null): Label {
    const info = this.db
      .prepare(
        'INSERT INTO labels (session_id, start_sample, end_sample, label, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(sessionId, startSample, endSample, label, new Date().toISOString());
    return this.getLabel(Number(info.lastInsertRowid))!;
  }

  /** Labels a whole session: replaces any whole-session label it had. */
  setSessionLabel(sessionId: number, label: string): Label {
    return this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM labels WHERE session_id = ? AND start_sample = 0 AND end_sample IS NULL')
        .run(sessionId);
      return this.addLabel(sessionId, label);
    })();
  }

  getLabel(id: number): Label | undefined {
    const r = this.db.prepare('SELECT * FROM labels WHERE id = ?').get(id) as LabelRow | undefined;
    return r && toLabel(r);
  }

  labels(sessionId: number): Label[] {
    return (
      this.db
        .prepare('SELECT * FROM labels WHERE session_id = ? ORDER BY start_sample, id')
        .all(sessionId) as LabelRow[]
    ).map(toLabel);
  }

  updateLabel(id: number, patch: { label?: string; startSample?: number; endSample?: number | null }): void {
    const cur = this.getLabel(id);
    if (!cur) throw new Error(`No label with id ${id}.`);
    this.db
      .prepare('UPDATE labels SET label = ?, start_sample = ?, end_sample = ? WHERE id = ?')
      .run(
        patch.label ?? cur.label,
        patch.startSample ?? cur.startSample,
        patch.endSample === undefined ? cur.endSample : patch.endSample,
        id,
      );
  }

  /** Deletes a label and returns it, so the caller can offer undo (re-insert with `restoreLabel`). */
  deleteLabel(id: number): Label | undefined {
    const cur = this.getLabel(id);
    if (cur) this.db.prepare('DELETE FROM labels WHERE id = ?').run(id);
    return cur;
  }

  restoreLabel(l: Label): void {
    this.db
      .prepare(
        'INSERT INTO labels (id, session_id, start_sample, end_sample, label, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(l.id, l.sessionId, l.startSample, l.endSample, l.label, l.createdAt);
  }
}
