// `compare --csv <file>` replaces the file whole (written beside, renamed when complete), as model
// export does: never truncated and rewritten in place.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { runCliCaptured } from '../integration/helpers/cli';
import { seedFloatModel } from '../integration/helpers/deploy-fixture';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-compare-csv-'));
const db = path.join(dir, 'a.db');

describe('compare --csv', () => {
  beforeAll(async () => {
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    seedFloatModel(ctx, { name: 'tiny-fp' });
    await ctx.close();
  }, 60_000);

  it('replaces the file only once the new table is complete: a reader of the old file keeps it whole', async () => {
    const csv = path.join(dir, 'compare.csv');
    const old = 'name,kind\nan earlier table,float\n'.repeat(50);
    writeFileSync(csv, old);
    // A spreadsheet or script that has the earlier file open while compare runs.
    const fd = openSync(csv, 'r');
    try {
      const { code, err } = await runCliCaptured(['compare', '--model', 'tiny-fp', '--csv', csv], db);
      expect(err).toBe('');
      expect(code).toBe(0);
      const lines = readFileSync(csv, 'utf8').trim().split('\n');
      expect(lines[0]).toMatch(/^name,kind,method,weights_bits,acts_bits,/);
      expect(lines[1]).toMatch(/^tiny-fp,float,/);
      // Written into the same file in place, the reader would see the new table (or a torn mix).
      const buf = Buffer.alloc(old.length + 100);
      const n = readSync(fd, buf, 0, buf.length, 0);
      expect(buf.subarray(0, n).toString('utf8')).toBe(old);
      expect(existsSync(`${csv}.partial`)).toBe(false);
    } finally {
      closeSync(fd);
    }
  }, 60_000);
});
