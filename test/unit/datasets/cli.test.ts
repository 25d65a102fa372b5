import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeMnist, tmpDir } from './fixtures';
import { cli } from './run-cli';

/** A per-class folder: two people × two gestures × 4 recordings of 20 samples, 3 channels. */
function gestureFolder(): string {
  const dir = tmpDir('bb-cli-ds-');
  for (const person of ['a', 'b']) {
    for (const [g, base] of [
      ['punch', 1],
      ['flex', -1],
    ] as const) {
      const blocks = Array.from({ length: 4 }, (_, r) =>
        Array.from({ length: 20 }, (_, i) => `${base * (i + r)},${i * 0.5},${person === 'a' ? 1 : 2}`).join(
          '\n',
        ),
      );
      const f = path.join(dir, person, `${g}.csv`);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, 'aX,aY,aZ\n' + blocks.join('\n\n') + '\n');
    }
  }
  return dir;
}

/** `datasets import csv <dir> --name g --recording-length 20 [more…] --db <db>`. */
const importGestures = (dir: string, db: string, ...more: string[]) =>
  cli(['datasets', 'import', 'csv', dir, '--name', 'g', '--recording-length', '20', ...more, '--db', db]);

describe('bitbench datasets (CLI)', () => {
  it('import csv → JSON with name, windows, classes, splits, channels, window_length; list, show, export, delete', async () => {
    const db = path.join(tmpDir(), 'a.db');
    const dir = gestureFolder();
    const imp = await importGestures(dir, db, '--rate', '100', '--json');
    expect(imp.code).toBe(0);
    const r = JSON.parse(imp.out);
    expect(r).toMatchObject({
      name: 'g',
      version: 1,
      windows: 16,
      classes: { flex: 8, punch: 8 },
      channels: 3,
      window_length: 20,
      rate_hz: 100,
      split_by: 'session',
    });
    expect(r.splits.train + r.splits.val + r.splits.test).toBe(16);
    expect(r.splits.test).toBeGreaterThan(0);

    const show = await cli(['datasets', 'show', 'g', '--json', '--db', db]);
    expect(show.code).toBe(0);
    const s = JSON.parse(show.out);
    expect(s).toMatchObject({
      name: 'g',
      windows: 16,
      classes: { flex: 8, punch: 8 },
      channels: 3,
      window_length: 20,
    });
    expect(s.versions).toEqual([expect.objectContaining({ version: 1, locked: false, windows: 16 })]);

    const list = await cli(['datasets', 'list', '--json', '--db', db]);
    expect(JSON.parse(list.out).map((d: { name: string }) => d.name)).toEqual(['g']);

    const out = path.join(tmpDir(), 'g.csv');
    const ex = await cli(['datasets', 'export', 'g', '--format', 'csv', '--out', out, '--json', '--db', db]);
    expect(ex.code).toBe(0);
    expect(JSON.parse(ex.out)).toMatchObject({ path: out, windows: 16, format: 'csv' });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('window,split,label,sample,aX,aY,aZ');
    expect(lines).toHaveLength(1 + 16 * 20);
    // stored values come back exactly: the first window is a/flex.csv's first recording
    expect(lines[1]).toMatch(/^0,(train|val|test),flex,0,0,0,1$/);
    expect(lines[2]).toMatch(/^0,(train|val|test),flex,1,-1,0.5,1$/);

    const noYes = await cli(['datasets', 'delete', 'g', '--db', db]);
    expect(noYes.code).toBe(1);
    const del = await cli(['datasets', 'delete', 'g', '--yes', '--json', '--db', db]);
    expect(JSON.parse(del.out)).toEqual({ deleted: [1], sessions: 16 });
    expect(JSON.parse((await cli(['datasets', 'list', '--json', '--db', db])).out)).toEqual([]);
  });

  it('a bad file fails with the file and line, exit code 1, and leaves no dataset', async () => {
    const db = path.join(tmpDir(), 'b.db');
    const dir = tmpDir();
    const f = path.join(dir, 'wave.csv');
    writeFileSync(f, 'x,y\n1,2\n3\n');
    const r = await cli(['datasets', 'import', 'csv', f, '--name', 'w', '--json', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${f}:3: expected 2 fields (as in the header), found 1\n`);
    expect(JSON.parse((await cli(['datasets', 'list', '--json', '--db', db])).out)).toEqual([]);
  });

  it('bad option values are refused before anything runs', async () => {
    const db = path.join(tmpDir(), 'c.db');
    const r = await cli(['datasets', 'import', 'csv', '/nope', '--name', 'bad name', '--json', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: name: letters, digits/);
    const r2 = await cli([
      'datasets',
      'import',
      'csv',
      '/nope',
      '--name',
      'x',
      '--recording-length',
      'abc',
      '--json',
      '--db',
      db,
    ]);
    expect(r2.err).toContain('error: --recording-length must be a whole number, got "abc".');
  });

  it('export to a path under a file, or onto a full disk, says why and leaves nothing behind', async () => {
    const db = path.join(tmpDir(), 'full.db');
    expect((await importGestures(gestureFolder(), db)).code).toBe(0);
    const out = tmpDir();
    const file = path.join(out, 'a-file');
    writeFileSync(file, 'x');
    const under = await cli([
      'datasets',
      'export',
      'g',
      '--format',
      'csv',
      '--out',
      path.join(file, 'g.csv'),
      '--db',
      db,
    ]);
    expect(under.code).toBe(1);
    expect(under.err).toContain(
      `error: Cannot export g@1 to ${path.join(file, 'g.csv')}: a file is in the way where a folder is needed (${file}). Nothing was written.\n`,
    );
    // A full disk: a 64 KiB tmpfs filled up (root only).
    const tiny = path.join(out, 'tiny');
    mkdirSync(tiny);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', tiny]).status !== 0) {
      console.warn('[skipped] dataset export on a full disk: cannot mount a small tmpfs here (needs root)');
      return;
    }
    try {
      writeFileSync(path.join(tiny, 'filler'), Buffer.alloc(64 * 1024));
      const full = await cli([
        'datasets',
        'export',
        'g',
        '--format',
        'csv',
        '--out',
        path.join(tiny, 'g.csv'),
        '--db',
        db,
      ]);
      expect(full.code).toBe(1);
      expect(full.err).toContain(
        `error: Cannot export g@1 to ${path.join(tiny, 'g.csv')}: the disk is full. Nothing was written.\n`,
      );
      expect(readdirSync(tiny)).toEqual(['filler']);
    } finally {
      spawnSync('umount', [tiny]);
    }
  });

  it("export: --max-windows 0 is refused, an existing folder gets <name>-v<version>.<format>, a relative name is the shell folder's", async () => {
    const db = path.join(tmpDir(), 'e.db');
    const dir = gestureFolder();
    const imp = await importGestures(dir, db);
    expect(imp.code).toBe(0);
    const out = tmpDir();
    const zero = await cli([
      'datasets',
      'export',
      'g',
      '--format',
      'csv',
      '--out',
      path.join(out, 'z.csv'),
      '--max-windows',
      '0',
      '--db',
      db,
    ]);
    expect(zero.code).toBe(1);
    expect(zero.err).toContain('error: --max-windows must be at least 1, got 0.');
    expect(existsSync(path.join(out, 'z.csv'))).toBe(false);

    const into = await cli([
      'datasets',
      'export',
      'g',
      '--format',
      'csv',
      '--out',
      out,
      '--max-windows',
      '2',
      '--json',
      '--db',
      db,
    ]);
    expect(into.code).toBe(0);
    expect(JSON.parse(into.out)).toMatchObject({ path: path.join(out, 'g-v1.csv'), windows: 2 });
    expect(readFileSync(path.join(out, 'g-v1.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 2 * 20);

    const cwd = process.cwd();
    process.chdir(out);
    try {
      const rel = await cli([
        'datasets',
        'export',
        'g',
        '--format',
        'csv',
        '--out',
        'sub/rel.csv',
        '--json',
        '--db',
        db,
      ]);
      expect(JSON.parse(rel.out).path).toBe(path.join(out, 'sub', 'rel.csv'));
    } finally {
      process.chdir(cwd);
    }
  });

  it("datasets show on MNIST says the split is the files' own (not 'by given, seed 42'), and names a seeded val draw", async () => {
    const db = path.join(tmpDir(), 'm.db');
    const dir = makeMnist(30, 10);
    expect((await cli(['datasets', 'import', 'mnist', dir, '--name', 'm', '--db', db])).code).toBe(0);
    const show = await cli(['datasets', 'show', 'm', '--db', db]);
    expect(show.out).toContain('splits    train 30, val 0, test 10  (as the source files give it)');
    expect(show.out).not.toMatch(/by given|seed 42/);
    await cli([
      'datasets',
      'import',
      'mnist',
      dir,
      '--name',
      'm',
      '--val-fraction',
      '0.2',
      '--seed',
      '7',
      '--db',
      db,
    ]);
    expect((await cli(['datasets', 'show', 'm', '--db', db])).out).toContain(
      '(as the source files give it; val drawn from train with seed 7)',
    );
  });
});
