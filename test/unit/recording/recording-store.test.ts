import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/main/store/database';
import { migrations } from '../../../src/main/store/migrations';
import { RecordingUndoRepo } from '../../../src/main/store/recording-undo-repo';
import { SessionsRepo } from '../../../src/main/store/sessions-repo';

describe('recording store', () => {
  it('migration 0006 keeps at most one undo step', () => {
    const store = openStore(':memory:');
    expect(migrations.some((m) => m.version === 6 && m.name === 'recording')).toBe(true);
    const undo = new RecordingUndoRepo(store.db);
    expect(undo.get()).toBeUndefined();
    undo.set('rename', 'rename back', { id: 1, before: 'a' });
    undo.set('delete_session', 'restore', { id: 2 });
    expect(undo.get()).toMatchObject({ action: 'delete_session', payload: { id: 2 } });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM recording_undo').get()).toEqual({ n: 1 });
    expect(() =>
      store.db.prepare("INSERT INTO recording_undo VALUES (2, 'x', 'x', '{}', 'now')").run(),
    ).toThrow(/CHECK/);
    undo.clear();
    expect(undo.get()).toBeUndefined();
    store.close();
  });

  it('reads a sample range through the primary key, not a scan (the plot and window queries)', () => {
    const store = openStore(':memory:');
    const plan = store.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT first_sample, n_samples, data FROM sample_chunks
         WHERE session_id = ? AND first_sample < ? AND first_sample + n_samples > ? ORDER BY seq`,
      )
      .all(1, 100, 0) as Array<{ detail: string }>;
    const text = plan.map((p) => p.detail).join(' | ');
    // the (session_id, seq) primary key's index: no scan of other sessions' chunks, no sort
    expect(text).toMatch(
      /SEARCH sample_chunks USING (PRIMARY KEY|INDEX sqlite_autoindex_sample_chunks_1) \(session_id=\?\)/,
    );
    expect(text).not.toMatch(/TEMP B-TREE/);
    // and the counters a recording updates are exact after appends in several transactions
    const repo = new SessionsRepo(store.db);
    const s = repo.create({
      name: 'x',
      source: 'board',
      channels: [{ name: 'a' }, { name: 'b' }],
      rateHz: 10,
    });
    repo.appendChunks(s.id, [{ t0Us: 0, nSamples: 2, data: Float32Array.of(1, 2, 3, 4) }], { gaps: 0 });
    repo.appendChunks(s.id, [{ t0Us: 500_000, nSamples: 1, data: Float32Array.of(5, 6) }], {
      gaps: 1,
      droppedFrames: 3,
    });
    expect(repo.get(s.id)).toMatchObject({ sampleCount: 3, gaps: 1, droppedFrames: 3 });
    expect([...repo.readSamples(s.id, { start: 1, end: 3 }).data]).toEqual([3, 4, 5, 6]);
    store.close();
  });
});
