import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionsRepo } from '../../../src/main/store/sessions-repo';
import { FAKE_SCALE, rawValue } from '../../support/fake-sensor-stream';
import { recordingContext, sleep, tempDbPath } from '../../support/recording-context';

const root = path.resolve(import.meta.dirname, '../../..');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('a recording process killed mid-session', () => {
  it('keeps what was committed; the next start marks the session interrupted', async () => {
    const dbPath = tempDbPath();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/record-child.ts', dbPath, 'fake', '500'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    closers.push(async () => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const first = await new Promise<{ sessionId: number }>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!)));
      child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    });
    // Wait until a good part of a second has been committed, then kill without warning.
    const db = new Database(dbPath, { readonly: true });
    const count = () =>
      (
        db.prepare('SELECT sample_count FROM sessions WHERE id = ?').get(first.sessionId) as {
          sample_count: number;
        }
      ).sample_count;
    for (let i = 0; i < 100 && count() < 300; i++) await sleep(50);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const committed = count();
    db.close();
    expect(committed).toBeGreaterThanOrEqual(300);

    // The next process to open the store finds the session orphaned.
    const r = recordingContext({ dbPath });
    closers.push(() => r.ctx.close());
    const s = await r.service.session({ id: first.sessionId });
    expect(s).toMatchObject({
      state: 'interrupted',
      label: 'crash',
      name: 'killed mid-session',
      samples: committed,
    });
    expect(s.notes[0]).toMatch(/stopped before the session was finished/);
    // Every committed sample is readable and correct.
    const { data, nSamples } = new SessionsRepo(r.ctx.db).readSamples(first.sessionId);
    expect(nSamples).toBe(committed);
    for (let k = 0; k < nSamples; k += 97) {
      expect(data[k * 6 + 2]).toBe(Math.fround(rawValue(k, 2) * Math.fround(FAKE_SCALE)));
    }
  });

  it('does not mark a session interrupted while its recording process is alive', async () => {
    const a = recordingContext();
    closers.push(() => a.ctx.close());
    await a.service.start({ board: 'fake', rateHz: 100 });
    a.stream.emit();
    await sleep(60);
    // Another process (a CLI `sessions list`) opens the same database meanwhile: same pid here, and a live pid there.
    const b = recordingContext({ dbPath: a.dbPath });
    closers.push(() => b.ctx.close());
    const [s] = await b.service.sessions();
    expect(s!.state).toBe('recording');
    await a.service.stop();
  });
});
