import { describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/main/api/dispatcher';
import { createAppContext } from '../../src/main/context';
import { createServices } from '../../src/main/services';
import { openStore } from '../../src/main/store/database';
import { JobsRepo } from '../../src/main/store/jobs-repo';
import { onDamagedRows } from '../../src/main/store/json-column';
import { ModelsRepo } from '../../src/main/store/models-repo';
import { SessionsRepo } from '../../src/main/store/sessions-repo';
import { channelOf, type EventPayload } from '../../src/shared/api/contract';
import type { DamagedRow } from '../../src/shared/api/damaged-rows';
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

  it('is left out of a list, which shows every other row and reports the damaged one', () => {
    const { db, close } = openStore(':memory:');
    const reported: DamagedRow[] = [];
    const off = onDamagedRows(db, (rows) => reported.push(...rows));
    try {
      const addModel = db.prepare(
        "INSERT INTO models (name, kind, arch, spec, metrics, created_at) VALUES (?, 'float', 'cnn1d', ?, '{}', ?)",
      );
      addModel.run('first', JSON.stringify({ layers: [] }), '2026-01-01');
      const bad = addModel.run('middle', JSON.stringify({ layers: [] }), '2026-01-02').lastInsertRowid;
      addModel.run('last', JSON.stringify({ layers: [] }), '2026-01-03');
      db.prepare("UPDATE models SET spec = '{broken' WHERE name = 'middle'").run();
      const models = new ModelsRepo(db);
      expect(models.list().map((m) => m.name)).toEqual(['last', 'first']);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({
        table: 'models',
        column: 'spec',
        row: `model "middle" (id ${bad})`,
      });
      expect(reported[0]!.message).toContain('table models, column spec');
      // Opening it by name still fails with the clear error.
      expect(caught(() => models.byName('middle')).message).toBe(reported[0]!.message);

      reported.length = 0;
      const jobs = new JobsRepo(db);
      jobs.insert('job-a', 'train', { epochs: 1 });
      jobs.insert('job-b', 'train', { epochs: 2 });
      jobs.insert('job-c', 'quantize', { bits: 4 });
      db.prepare("UPDATE jobs SET params = '{\"epochs\": ' WHERE id = 'job-b'").run();
      expect(
        jobs
          .list(10)
          .map((j) => j.id)
          .sort(),
      ).toEqual(['job-a', 'job-c']);
      expect(reported.map((d) => [d.table, d.column, d.row])).toEqual([
        ['jobs', 'params', 'job job-b (train)'],
      ]);

      reported.length = 0;
      const sessions = new SessionsRepo(db);
      const make = (name: string) =>
        sessions.create({ name, source: 'board', rateHz: 100, channels: [{ name: 'acc_x' }] });
      make('walk 1');
      const broken = make('walk 2');
      make('walk 3');
      db.prepare("UPDATE sessions SET channels = '[{' WHERE id = ?").run(broken.id);
      expect(sessions.list().map((s) => s.name)).toEqual(['walk 3', 'walk 1']);
      expect(reported.map((d) => d.row)).toEqual([`session "walk 2" (id ${broken.id})`]);
      // A dataset built from a group must not quietly miss a session: strict still fails.
      expect(caught(() => sessions.list({ strict: true })).code).toBe('store');
    } finally {
      off();
      close();
    }
  });

  it('reaches the app: the reply of the list names it, and so does the damagedRows event', async () => {
    const ctx = createAppContext({ dbPath: ':memory:', shell: 'headless-host' });
    const events: Array<EventPayload<'damagedRows'>> = [];
    ctx.events.subscribe((name, payload) => {
      if (name === 'damagedRows') events.push(payload as EventPayload<'damagedRows'>);
    });
    try {
      const add = ctx.db.prepare(
        "INSERT INTO models (name, kind, arch, spec, metrics, created_at) VALUES (?, 'float', 'cnn1d', '{\"layers\": []}', '{}', '2026-01-01')",
      );
      add.run('ok-model');
      add.run('bad-model');
      ctx.db.prepare("UPDATE models SET metrics = '{,}' WHERE name = 'bad-model'").run();
      const dispatch = createDispatcher(createServices(ctx), { validateOutput: true });
      const reply = await dispatch(channelOf('models', 'list'), {});
      if (!reply.ok) throw new Error(reply.error.message);
      expect((reply.value as Array<{ name: string }>).map((m) => m.name)).toEqual(['ok-model']);
      expect(reply.damaged?.map((d) => [d.table, d.column])).toEqual([['models', 'metrics']]);
      expect(reply.damaged?.[0]?.row).toContain('model "bad-model"');
      expect(events).toEqual([{ rows: reply.damaged }]);
      // A call that reads no damaged row carries no `damaged`.
      const clean = await dispatch(channelOf('jobs', 'list'), {});
      expect(clean).not.toHaveProperty('damaged');
    } finally {
      await ctx.close();
    }
  });
});
