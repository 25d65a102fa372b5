import { HelloInfoSchema, type HelloInfo } from '../../shared/protocol/messages';
import type { Db } from './database';

export interface BoardRow {
  spec: string;
  name: string;
  kind: 'virtual' | 'serial';
  info: HelloInfo | null;
  lastSeenAt: string | null;
}

interface RawRow {
  spec: string;
  name: string;
  kind: 'virtual' | 'serial';
  info: string | null;
  last_seen_at: string | null;
}

function parseInfo(text: string | null): HelloInfo | null {
  if (!text) return null;
  try {
    const r = HelloInfoSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null; // an info row from an older layout is simply forgotten
  } catch {
    return null;
  }
}

/** The boards table: every board that answered HELLO, with its last HELLO. */
export class BoardsRepo {
  constructor(private readonly db: Db) {}

  seen(
    spec: string,
    name: string,
    kind: 'virtual' | 'serial',
    info: HelloInfo,
    at = new Date().toISOString(),
  ): void {
    this.db
      .prepare(
        `INSERT INTO boards (spec, name, kind, info, last_seen_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (spec) DO UPDATE SET name = excluded.name, kind = excluded.kind,
           info = excluded.info, last_seen_at = excluded.last_seen_at`,
      )
      .run(spec, name, kind, JSON.stringify(info), at);
  }

  get(spec: string): BoardRow | undefined {
    const r = this.db.prepare('SELECT * FROM boards WHERE spec = ?').get(spec) as RawRow | undefined;
    return (
      r && { spec: r.spec, name: r.name, kind: r.kind, info: parseInfo(r.info), lastSeenAt: r.last_seen_at }
    );
  }

  list(): BoardRow[] {
    const rows = this.db.prepare('SELECT * FROM boards ORDER BY last_seen_at DESC').all() as RawRow[];
    return rows.map((r) => ({
      spec: r.spec,
      name: r.name,
      kind: r.kind,
      info: parseInfo(r.info),
      lastSeenAt: r.last_seen_at,
    }));
  }
}
