// Several processes opening a new (or old) database at the same moment: each runs the migrations
// it sees missing. They must all open it, and each migration must be applied once. Before, two
// processes both saw a migration missing and the second failed with "duplicate column name".
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/main/store/migrations';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-concurrent-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openAt(db: string, startAt: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '../support/open-store-child.ts'), db, String(startAt)],
      { cwd: path.join(__dirname, '../..') },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('opening one database from several processes at once', () => {
  it('every process opens it and each migration is applied exactly once', async () => {
    const newest = Math.max(...migrations.map((m) => m.version));
    for (let round = 0; round < 3; round++) {
      const db = path.join(dir, `round-${round}.db`);
      // Far enough ahead for every child's start-up (tsx) to finish first, on a loaded machine too.
      const startAt = Date.now() + 6000;
      const results = await Promise.all([0, 1, 2, 3].map(() => openAt(db, startAt)));
      for (const r of results) {
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(Number(r.out.trim())).toBe(newest);
      }
      const check = new Database(db, { readonly: true });
      const rows = check.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{
        version: number;
      }>;
      check.close();
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b));
    }
  }, 120_000);
});
