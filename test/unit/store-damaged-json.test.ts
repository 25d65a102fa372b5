import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store/database';
import { JobsRepo } from '../../src/main/store/jobs-repo';
import { ModelsRepo } from '../../src/main/store/models-repo';
import { SessionsRepo } from '../../src/main/store/sessions-repo';
import { BitbenchError } from '../../src/shared/errors';

function caught(f: () => unknown): BitbenchError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BitbenchError);
    return err as BitbenchError;
  }
  throw new Error('expected an error');
}

describe('a damaged JSON value in a database row', () => {
  it('is reported naming the table, the row and the column, and the rest stays readable', () => {
    const { db, close } = openStore(':memory:');
    try {
      const addModel = db.prepare(
        "INSERT INTO models (name, kind, arch, spec, metrics, created_at) VALUES (?, 'float', 'cnn1d', ?, '{}', '2026-01-01')",
      );
      addModel.run('good', JSON.stringify({ layers: [] }));
      const bad = addModel.run('broken', '{"layers": [1, 2 3]}').lastInsertRowid;
      const models = new ModelsRepo(db);
      expect(models.byName('good')?.spec).toEqual({ layers: [] });
      const e = caught(() => models.byName('broken'));
      expect(e.code).toBe('store');
      expect(e.message).toContain(`model "broken" (id ${bad})`);
      expect(e.message).toContain('table models, column spec');
      expect(e.message).toMatch(/JSON at position \d+/);
      expect(e.message).toContain(
        'Only this value could not be read; the other rows and values are read as usual.',
      );

      const jobs = new JobsRepo(db);
      jobs.insert('job-1', 'train', { epochs: 3 });
      db.prepare("UPDATE jobs SET result = '{\"accuracy\": 0.9' WHERE id = 'job-1'").run();
      const je = caught(() => jobs.get('job-1'));
      expect(je.message).toContain('job job-1 (train)');
      expect(je.message).toContain('table jobs, column result');

      const sessions = new SessionsRepo(db);
      const s = sessions.create({
        name: 'walk 1',
        source: 'board',
        rateHz: 100,
        channels: [{ name: 'acc_x' }],
      });
      db.prepare("UPDATE sessions SET meta = '{oops' WHERE id = ?").run(s.id);
      const se = caught(() => sessions.get(s.id));
      expect(se.message).toContain(`session "walk 1" (id ${s.id})`);
      expect(se.message).toContain('table sessions, column meta');
    } finally {
      close();
    }
  });
});
