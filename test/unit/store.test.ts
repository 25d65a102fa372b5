import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openStore } from '../../src/main/store/database';
import { migrations } from '../../src/main/store/migrations';
import { ModelsRepo } from '../../src/main/store/models-repo';
import Database from 'better-sqlite3';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'bb-store-'));

describe('store', () => {
  const newest = migrations.at(-1)!.version;

  it('migrations are listed in strictly increasing order, starting at 1', () => {
    expect(migrations[0]!.version).toBe(1);
    for (let i = 1; i < migrations.length; i++)
      expect(migrations[i]!.version).toBeGreaterThan(migrations[i - 1]!.version);
  });

  it('creates a new database in WAL mode with every migration applied', () => {
    const file = path.join(tmp(), 'sub', 'new.db');
    const s = openStore(file);
    expect(s.schemaVersion).toBe(newest);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (
      s.db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]
    ).map((r) => r.name);
    for (const t of ['jobs', 'boards', 'datasets', 'models', 'runs', 'schema_migrations'])
      expect(tables).toContain(t);
    s.close();
  });

  it('reopening applies nothing twice', () => {
    const file = path.join(tmp(), 'a.db');
    openStore(file).close();
    const s = openStore(file);
    const rows = s.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number };
    expect(rows.n).toBe(migrations.length);
    s.close();
  });

  it('each migration applies on top of the previous ones', () => {
    const db = new Database(':memory:');
    for (let i = 1; i <= migrations.length; i++) {
      expect(migrate(db, migrations.slice(0, i))).toBe(migrations[i - 1]!.version);
    }
    db.close();
  });

  it('applies a migration numbered below one already applied', () => {
    const db = new Database(':memory:');
    const first = migrations[0]!;
    const late = { version: 3, name: 'late', sql: 'CREATE TABLE late_one (x INTEGER) STRICT' };
    const later = { version: 5, name: 'later', sql: 'CREATE TABLE later_one (x INTEGER) STRICT' };
    migrate(db, [first, later]);
    expect(migrate(db, [first, late, later])).toBe(5);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='late_one'").get()).toBeDefined();
    db.close();
  });

  it('0011 removes the variant rows an old float-model delete left behind; a model now goes with its variants only when asked', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      migrations.filter((m) => m.version < 11),
    );
    const now = new Date().toISOString();
    const model = (name: string, kind: string, parent: number | null) =>
      Number(
        db
          .prepare(
            `INSERT INTO models (name, kind, parent_id, arch, spec, metrics, created_at) VALUES (?, ?, ?, 'a', '{}', '{}', ?)`,
          )
          .run(name, kind, parent, now).lastInsertRowid,
      );
    const variant = (id: number, parent: number) =>
      db
        .prepare(
          `INSERT INTO quant_variants (model_id, parent_id, method, weight_bits, act_bits, config, settings, integer_model, report, created_at)
           VALUES (?, ?, 'minmax', 8, 8, '{}', '{}', '{}', '{}', ?)`,
        )
        .run(id, parent, now);
    const gone = model('g2', 'float', null);
    variant(model('u1r', 'quantized', gone), gone);
    const kept = model('k', 'float', null);
    variant(model('k-w8', 'quantized', kept), kept);
    // What `models delete g2` did before: the variant's report went, its models row stayed.
    db.prepare('DELETE FROM models WHERE id = ?').run(gone);
    const names = () =>
      (db.prepare('SELECT name FROM models ORDER BY name').all() as Array<{ name: string }>).map(
        (r) => r.name,
      );
    expect(names()).toEqual(['k', 'k-w8', 'u1r']);
    migrate(db);
    expect(names()).toEqual(['k', 'k-w8']);

    const repo = new ModelsRepo(db);
    expect(() => repo.delete('k')).toThrow(/Model "k" has 1 quantized variant\(s\): k-w8\..*--with-variants/);
    expect(names()).toEqual(['k', 'k-w8']);
    expect(repo.delete('k', { withVariants: true })).toEqual({ deleted: true, variants: ['k-w8'] });
    expect(names()).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM quant_variants').get()).toEqual({ n: 0 });
    db.close();
  });

  it('a failing migration rolls back and leaves the version unchanged', () => {
    const db = new Database(':memory:');
    migrate(db, migrations.slice(0, 1));
    const bad = {
      version: 99,
      name: 'bad',
      sql: 'CREATE TABLE ok_then (x INTEGER) STRICT; CREATE TABLE broken (',
    };
    expect(() => migrate(db, [...migrations.slice(0, 1), bad])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='ok_then'").get()).toBeUndefined();
    expect((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v).toBe(1);
  });

  it('refuses a corrupt file, naming it, and leaves it untouched', () => {
    const file = path.join(tmp(), 'corrupt.db');
    const junk = Buffer.from(
      'this is not a database at all, just some text that is long enough to look like a file '.repeat(3),
    );
    writeFileSync(file, junk);
    expect(() => openStore(file)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(corrupt|not a bitbench)`),
    );
    expect(Buffer.compare(junk, readFileSync(file))).toBe(0);
  });

  it('a folder as the database path, or a path under a file, is refused naming it, not as a bare EISDIR/EEXIST', () => {
    const dir = tmp();
    expect(() => openStore(dir)).toThrow(
      `The database path ${dir} is a folder; give a file (--db / BITBENCH_DB), e.g. ${path.join(dir, 'bitbench.db')}.`,
    );
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'x');
    expect(() => openStore(path.join(file, 'x.db'))).toThrow(
      `Cannot create the database ${path.join(file, 'x.db')}: a file is in the way where a folder is needed (${file}).`,
    );
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('refuses a database from a newer bitbench', () => {
    const file = path.join(tmp(), 'newer.db');
    const s = openStore(file);
    s.db
      .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')")
      .run();
    s.close();
    expect(() => openStore(file)).toThrow(/newer/);
  });
});
