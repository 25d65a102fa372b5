import type { Db } from './database';
import { parseJsonColumn } from './json-column';

export interface UndoEntry {
  action: string;
  description: string;
  payload: unknown;
  createdAt: string;
}

/** The single pending undo of recording's destructive actions (table recording_undo). */
export class RecordingUndoRepo {
  constructor(private readonly db: Db) {}

  get(): UndoEntry | undefined {
    const r = this.db
      .prepare('SELECT action, description, payload, created_at FROM recording_undo WHERE slot = 1')
      .get() as { action: string; description: string; payload: string; created_at: string } | undefined;
    return (
      r && {
        action: r.action,
        description: r.description,
        payload: parseJsonColumn(r.payload, {
          table: 'recording_undo',
          column: 'payload',
          row: `the pending undo (${r.description})`,
        }),
        createdAt: r.created_at,
      }
    );
  }

  set(action: string, description: string, payload: unknown): void {
    this.db
      .prepare(
        `INSERT INTO recording_undo (slot, action, description, payload, created_at) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (slot) DO UPDATE SET action = excluded.action, description = excluded.description,
           payload = excluded.payload, created_at = excluded.created_at`,
      )
      .run(action, description, JSON.stringify(payload), new Date().toISOString());
  }

  clear(): void {
    this.db.prepare('DELETE FROM recording_undo WHERE slot = 1').run();
  }
}
