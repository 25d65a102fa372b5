import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BitbenchError } from '../../shared/errors';
import { migrations as defaultMigrations, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenedStore {
  db: Db;
  path: string;
  schemaVersion: number;
  close(): void;
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** Refuse a file that is not SQLite rather than let SQLite treat it as something to overwrite. */
function checkHeader(file: string): void {
  const size = statSync(file).size;
  if (size === 0) return; // an empty file is a new database
  const buf = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 100 || buf.toString('latin1') !== SQLITE_HEADER) {
    throw new BitbenchError(
      'store',
      `The database file ${file} is not a bitbench (SQLite) database or is corrupt. ` +
        'Nothing was changed. Move it aside (or restore a backup) and start again, or choose another file with --db / BITBENCH_DB.',
    );
  }
}

function describeSqliteError(file: string, err: unknown): BitbenchError {
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new BitbenchError(
      'store',
      `The database ${file} is locked by another process (${msg}). Close the other bitbench window or CLI and retry.`,
    );
  }
  if (code.startsWith('SQLITE_FULL')) {
    return new BitbenchError(
      'store',
      `The disk holding the database ${file} is full (${msg}); what this step was writing was not saved. Free some space and retry.`,
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new BitbenchError(
      'store',
      `The database ${file} is corrupt (${msg}). Nothing was changed. Move it aside or restore a backup.`,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY')) {
    return new BitbenchError(
      'store',
      `Cannot open the database ${file} for writing (${msg}). Check the path and permissions.`,
    );
  }
  return new BitbenchError('store', `Database ${file}: ${msg}`);
}

/**
 * An error from SQLite while the store is in use (another process holding the write lock past the
 * busy timeout, a full disk, a file made read-only or corrupt under us), described naming the
 * database file and what to do; any other error as it is. A bare "database is locked" says neither
 * which file nor that another bitbench process holds it.
 */
export function describeStoreError(file: string, err: unknown): unknown {
  if (err instanceof BitbenchError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|FULL|READONLY|CANTOPEN|NOTADB|CORRUPT)/.test(code))
    return describeSqliteError(file, err);
  return err;
}

export function currentSchemaVersion(db: Db): number {
  const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as {
    v: number;
  };
  return row.v;
}

/**
 * Applies every migration not yet recorded, in version order, each in its own transaction. Set
 * based rather than "above the current maximum", so a migration that landed with a lower number
 * than one already applied (parallel branches) is still applied.
 */
export function migrate(db: Db, list: readonly Migration[] = defaultMigrations): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
      (r) => r.version,
    ),
  );
  const have = currentSchemaVersion(db);
  const newest = list.reduce((m, x) => Math.max(m, x.version), 0);
  if (have > newest) {
    throw new BitbenchError(
      'store',
      `This database has schema version ${have}, newer than this bitbench knows (${newest}). Update bitbench.`,
    );
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // Two processes opening an old database at once (two CLI commands, the app and a CLI command)
    // both see the migration missing. IMMEDIATE takes the write lock before anything is read, and
    // the check inside sees what the other process committed: the second one skips it instead of
    // failing on "duplicate column name".
    db.transaction(() => {
      if (isApplied.get(m.version)) return;
      db.exec(m.sql);
      insert.run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
  return currentSchemaVersion(db);
}

/**
 * Opens (or creates) the store: WAL, foreign keys, a busy timeout, then migrations.
 * `:memory:` is accepted for tests.
 */
export function openStore(
  file: string,
  opts: { migrations?: readonly Migration[]; nativeBinding?: string } = {},
): OpenedStore {
  const inMemory = file === ':memory:';
  const resolved = inMemory ? file : path.resolve(file);
  if (!inMemory) {
    if (existsSync(resolved) && statSync(resolved).isDirectory())
      throw new BitbenchError(
        'store',
        `The database path ${resolved} is a folder; give a file (--db / BITBENCH_DB), e.g. ${path.join(resolved, 'bitbench.db')}.`,
      );
    try {
      if (existsSync(resolved)) checkHeader(resolved);
      else mkdirSync(path.dirname(resolved), { recursive: true });
    } catch (err) {
      if (err instanceof BitbenchError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new BitbenchError(
        'store',
        e.code === 'EEXIST' || e.code === 'ENOTDIR'
          ? `Cannot create the database ${resolved}: a file is in the way where a folder is needed (${e.path ?? path.dirname(resolved)}).`
          : `Cannot open the database ${resolved} (${e.message}). Check the path and permissions.`,
      );
    }
  }
  let db: Db;
  try {
    db = new Database(resolved, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  } catch (err) {
    throw describeSqliteError(resolved, err);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const schemaVersion = migrate(db, opts.migrations);
    return { db, path: resolved, schemaVersion, close: () => db.close() };
  } catch (err) {
    db.close();
    throw err instanceof BitbenchError ? err : describeSqliteError(resolved, err);
  }
}
