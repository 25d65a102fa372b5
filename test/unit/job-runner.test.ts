import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { EventHub } from '../../src/main/api/event-hub';
import { JobRunner } from '../../src/main/jobs/job-runner';
import { openStore } from '../../src/main/store/database';
import { JobsRepo } from '../../src/main/store/jobs-repo';
import type { Job } from '../../src/shared/api/jobs';
import { BitbenchError } from '../../src/shared/errors';

function setup() {
  const store = openStore(':memory:');
  const repo = new JobsRepo(store.db);
  const events = new EventHub();
  const seen: Job[] = [];
  events.subscribe((name, payload) => name === 'job' && seen.push(payload as Job));
  return { store, repo, events, runner: new JobRunner(repo, events), seen };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('job runner', () => {
  it('stores the result of a successful job', async () => {
    const { runner } = setup();
    const h = runner.start('demo', { n: 3 }, async (job) => {
      job.progress(0.5, 'half');
      return { answer: 42 };
    });
    await expect(h.done).resolves.toEqual({ answer: 42 });
    const job = runner.get(h.id);
    expect(job).toMatchObject({
      kind: 'demo',
      state: 'succeeded',
      progress: 1,
      result: { answer: 42 },
      params: { n: 3 },
    });
    expect(job.finishedAt).not.toBeNull();
  });

  it('stores the error of a failed job', async () => {
    const { runner } = setup();
    const h = runner.start('demo', {}, async () => {
      throw new Error('disk full');
    });
    await expect(h.done).rejects.toThrow('disk full');
    expect(runner.get(h.id)).toMatchObject({ state: 'failed', error: 'disk full' });
  });

  it('stores and throws a job that failed on a locked database in the wording the CLI and app use', async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-job-')), 'bitbench.db');
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    try {
      ctx.db.pragma('busy_timeout = 50');
      const h = ctx.jobs.start('demo', {}, async () => {
        // Another process holds the write lock while the job writes.
        const other = new Database(dbPath);
        other.exec('BEGIN IMMEDIATE');
        try {
          ctx.db.exec('CREATE TABLE scratch (x INTEGER)');
        } finally {
          other.exec('ROLLBACK');
          other.close();
        }
      });
      const thrown = await h.done.then(
        () => null,
        (e: unknown) => e,
      );
      expect((thrown as Error).message).toMatch(/is locked by another process/);
      const job = ctx.jobs.get(h.id);
      expect(job.state).toBe('failed');
      expect(job.error).toContain(`The database ${dbPath} is locked by another process (database is locked)`);
      expect(job.error).toMatch(/Close the other bitbench window or CLI and retry/);
    } finally {
      await ctx.close();
    }
  });

  it("gives the caller a failed job's own error even when the database will not take the job's end", async () => {
    const dbPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-job-')), 'bitbench.db');
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    const other = new Database(dbPath);
    try {
      ctx.db.pragma('busy_timeout = 50');
      const h = ctx.jobs.start('demo', {}, async () => {
        // Another process takes the write lock, and keeps it past the job's end.
        other.exec('BEGIN IMMEDIATE');
        throw new BitbenchError('bad_request', 'The dataset has no test split.');
      });
      await expect(h.done).rejects.toThrow('The dataset has no test split.');
      // Once the database is free, the job's end is stored (not left running until a restart).
      other.exec('ROLLBACK');
      let job = ctx.jobs.get(h.id);
      for (let i = 0; i < 30 && job.state === 'running'; i++) {
        await tick(100);
        job = ctx.jobs.get(h.id);
      }
      expect(job).toMatchObject({ state: 'failed', error: 'The dataset has no test split.' });
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await ctx.close();
    }
  });

  it('hands a job started elsewhere to whoever has only its id (the CLI), result or error', async () => {
    const { runner } = setup();
    const ok = runner.start('demo', {}, async () => 7);
    const bad = runner.start('demo', {}, async () => {
      throw new Error('board gone');
    });
    await expect(runner.done<number>(ok.id)).resolves.toBe(7);
    await expect(runner.done(bad.id)).rejects.toThrow('board gone');
    expect(() => runner.done('no-such-job')).toThrow(/No job no-such-job running in this process/);
  });

  it('cancels a job that checks for cancellation', async () => {
    const { runner } = setup();
    let steps = 0;
    const h = runner.start('loop', {}, async (job) => {
      for (;;) {
        job.throwIfCancelled();
        steps++;
        await tick(2);
      }
    });
    await tick(20);
    expect(runner.cancel(h.id)).toBe(true);
    await expect(h.done).rejects.toThrow(/Cancelled/);
    const at = steps;
    await tick(20);
    expect(steps).toBe(at);
    expect(runner.get(h.id).state).toBe('cancelled');
    expect(runner.cancel(h.id)).toBe(false);
  });

  it('emits progress events and throttles them', async () => {
    const { runner, seen } = setup();
    const h = runner.start('busy', {}, async (job) => {
      for (let i = 0; i <= 1000; i++) job.progress(i / 1000, `step ${i}`);
      return null;
    });
    await h.done;
    const mine = seen.filter((j) => j.id === h.id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.length).toBeLessThan(50);
    expect(mine.at(-1)).toMatchObject({ state: 'succeeded', progress: 1 });
  });

  it('marks jobs of a dead process as interrupted, and leaves live ones alone', () => {
    const { store, repo } = setup();
    repo.insert('dead', 'train', {});
    repo.insert('alive', 'train', {});
    store.db.prepare('UPDATE jobs SET owner_pid = ? WHERE id = ?').run(999_999_999, 'dead');
    store.db.prepare('UPDATE jobs SET owner_pid = ? WHERE id = ?').run(1, 'alive');
    const n = repo.markInterrupted((pid) => pid === 1);
    expect(n).toBe(1);
    expect(repo.get('dead')?.state).toBe('interrupted');
    expect(repo.get('alive')?.state).toBe('running');
  });

  it('lists newest first and filters by kind', async () => {
    const { runner } = setup();
    await runner.start('a', {}, async () => 1).done;
    await runner.start('b', {}, async () => 2).done;
    expect(runner.list(10).map((j) => j.kind)).toEqual(['b', 'a']);
    expect(runner.list(10, 'a').map((j) => j.kind)).toEqual(['a']);
  });
});
