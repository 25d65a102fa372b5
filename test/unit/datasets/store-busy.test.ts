import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src/main/api/dispatcher';
import { createAppContext } from '../../../src/main/context';
import { createServices } from '../../../src/main/services';
import { tmpDir } from './fixtures';
import { cli } from './run-cli';

describe('a database another process is writing to', () => {
  it('an import that cannot get the write lock says which database is locked and by what, and writes nothing', async () => {
    const db = path.join(tmpDir(), 'busy.db');
    expect((await cli(['datasets', 'list', '--db', db])).code).toBe(0); // creates and migrates it
    const f = path.join(tmpDir(), 'wave.csv');
    writeFileSync(f, 'x,y\n' + Array.from({ length: 40 }, (_, i) => `${i},${-i}`).join('\n') + '\n');
    // Another connection (as another bitbench process would) holds the write lock past the busy timeout.
    const other = new Database(db);
    other.exec('BEGIN IMMEDIATE');
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      r = await cli([
        'datasets',
        'import',
        'csv',
        f,
        '--name',
        'w',
        '--window-length',
        '8',
        '--json',
        '--db',
        db,
      ]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `error: The database ${db} is locked by another process (database is locked). Close the other bitbench window or CLI and retry.\n`,
    );
    expect(JSON.parse((await cli(['datasets', 'list', '--json', '--db', db])).out)).toEqual([]);
  }, 30_000);

  it('the app (the dispatcher) gets the same message, and the dataset it tried to delete is still there', async () => {
    const db = path.join(tmpDir(), 'busy-ui.db');
    const f = path.join(tmpDir(), 'wave.csv');
    writeFileSync(f, 'x,y\n' + Array.from({ length: 40 }, (_, i) => `${i},${-i}`).join('\n') + '\n');
    expect(
      (await cli(['datasets', 'import', 'csv', f, '--name', 'w', '--window-length', '8', '--db', db])).code,
    ).toBe(0);
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    const dispatch = createDispatcher(createServices(ctx), { dbPath: ctx.store.path });
    const other = new Database(db);
    other.exec('BEGIN IMMEDIATE');
    let reply: Awaited<ReturnType<typeof dispatch>>;
    try {
      reply = await dispatch('bb:datasets.delete', { name: 'w' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'store',
        message: `The database ${db} is locked by another process (database is locked). Close the other bitbench window or CLI and retry.`,
      },
    });
    expect((await dispatch('bb:datasets.list', {})) as { value: unknown[] }).toMatchObject({
      ok: true,
      value: [{ name: 'w' }],
    });
    await ctx.close();
  }, 30_000);
});
