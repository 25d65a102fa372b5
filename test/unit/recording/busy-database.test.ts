import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { blobToF32 } from '../../../src/main/store/sessions-repo';
import { FAKE_SCALE, rawValue } from '../../support/fake-sensor-stream';
import { recordingContext, sleep } from '../../support/recording-context';

const open: Array<{ ctx: { close(): Promise<void> } }> = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.ctx.close();
});

describe('recording while another process holds the database', () => {
  it('keeps the samples it could not write while locked out and writes them once the lock is gone', async () => {
    const r = recordingContext();
    open.push(r);
    const { service, stream, dbPath } = r;
    await service.start({ board: 'fake', rateHz: 200, name: 'busy' });
    for (let i = 0; i < 5; i++) stream.emit();
    await sleep(60); // committed (flushMs is 20 in tests)
    // Another process (an import's long transaction, a sqlite shell) takes the write lock.
    const other = new Database(dbPath);
    other.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 5; i++) stream.emit();
    // The next commits fail with SQLITE_BUSY (at once: a deferred transaction that must upgrade to a
    // write does not wait); the samples must be kept for a later commit.
    await sleep(100);
    other.exec('ROLLBACK');
    other.close();
    expect((await service.status()).state).toBe('recording');
    for (let i = 0; i < 5; i++) stream.emit();
    const s = await service.stop();
    expect(s).toMatchObject({ name: 'busy', samples: 150, state: 'complete' });
    const db = new Database(dbPath, { readonly: true });
    const rows = db
      .prepare('SELECT first_sample, n_samples, data FROM sample_chunks WHERE session_id = ? ORDER BY seq')
      .all(s!.id) as Array<{ first_sample: number; n_samples: number; data: Buffer }>;
    const meta = JSON.parse(
      (db.prepare('SELECT meta FROM sessions WHERE id = ?').get(s!.id) as { meta: string }).meta,
    ) as Record<string, unknown>;
    db.close();
    expect(meta['error']).toBeUndefined();
    let expected = 0;
    for (const row of rows) {
      expect(row.first_sample).toBe(expected);
      const v = blobToF32(row.data);
      for (let k = 0; k < row.n_samples; k++)
        for (let c = 0; c < 6; c++)
          expect(v[k * 6 + c]).toBe(Math.fround(rawValue(expected + k, c) * Math.fround(FAKE_SCALE)));
      expected += row.n_samples;
    }
    expect(expected).toBe(150);
  }, 30_000);

  it('ends the recording, keeps its samples and tells the user when the session cannot be marked ended', async () => {
    const r = recordingContext({ deps: { recorder: { flushMs: 20, uiIntervalMs: 20, busyHoldMs: 300 } } });
    open.push(r);
    const { service, stream, dbPath, ctx } = r;
    // SQLite's own wait (5 s in the app) kept short, so a held lock shows at once.
    ctx.db.pragma('busy_timeout = 50');
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      await service.start({ board: 'fake', rateHz: 200, name: 'locked-at-stop' });
      for (let i = 0; i < 5; i++) stream.emit();
      await sleep(80); // committed
      // Another process takes the write lock and keeps it past the recorder's wait.
      const other = new Database(dbPath);
      other.exec('BEGIN IMMEDIATE');
      const s = await service.stop();
      const status = await service.status();
      // The recording has ended (a new one may start), its samples are stored, and the user learns
      // why the session is not yet marked complete.
      expect(status.state).toBe('idle');
      expect(s).toMatchObject({ name: 'locked-at-stop', samples: 50, state: 'recording' });
      expect(status.error).toMatch(/could not be marked complete.*database is locked.*samples are kept/s);
      const stoppedBy = new Date().toISOString();
      await sleep(300);
      other.exec('ROLLBACK');
      other.close();
      // Once the database is free, the session is marked complete in the background.
      const db = new Database(dbPath, { readonly: true });
      let row = { state: '', ended_at: '' };
      for (let i = 0; i < 40 && row.state !== 'complete'; i++) {
        await sleep(100);
        row = db.prepare('SELECT state, ended_at FROM sessions WHERE id = ?').get(s!.id) as typeof row;
      }
      db.close();
      expect(row.state).toBe('complete');
      // It ended when the user stopped it, not when the database was free again.
      expect(row.ended_at <= stoppedBy).toBe(true);
      const again = await service.start({ board: 'fake', rateHz: 200, name: 'next' });
      expect(again.state).toBe('recording');
      await service.stop();
      await sleep(20);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  }, 30_000);
});
