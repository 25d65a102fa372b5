// Recording from the QEMU virtual boards over the real serial path (pty → framer → protocol client
// → recorder → SQLite), and a recording process killed with SIGKILL mid-session.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/main/cli/program';
import { CliRuntime } from '../../src/main/cli/runtime';
import { createAppContext, type AppContext } from '../../src/main/context';
import { createRecordingService } from '../../src/main/recording/recording-service';
import { SessionsRepo } from '../../src/main/store/sessions-repo';
import { sleep, tempDbPath } from '../support/recording-context';
import { skipNote, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'recording from virtual boards');
const root = path.resolve(import.meta.dirname, '../..');

const contexts: AppContext[] = [];
afterAll(async () => {
  for (const c of contexts) await c.close(); // stops QEMU
});

/** Processes under `root` (children, grandchildren…) whose command is `name`, from /proc. */
function descendants(rootPid: number, name: string): number[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      comm.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(d), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === rootPid) return true;
    return false;
  };
  return [...comm].filter(([pid, c]) => c.startsWith(name) && under(pid)).map(([pid]) => pid);
}

const RATE = 1000;
const SECONDS = 5;

describe.skipIf(unavailable !== null)('recording from the virtual boards', () => {
  for (const board of ['virtual:m4', 'virtual:m0']) {
    it(`${board}: 5 s at 1 kHz × 6 channels, sample count matches the rate within 1 %, no gaps`, async () => {
      const ctx = createAppContext({ dbPath: tempDbPath(), shell: 'cli' });
      contexts.push(ctx);
      const rec = createRecordingService(ctx);
      const batches: number[] = [];
      ctx.events.subscribe(
        (name, p) => name === 'recordingSamples' && batches.push((p as { nSamples: number }).nSamples),
      );
      const st = await rec.start({
        board,
        source: 'bitbench',
        rateHz: RATE,
        baudRate: 115200,
        countdownS: 0,
        durationS: SECONDS,
        label: 'wave',
        dataset: 'itest',
      });
      const began = performance.now();
      expect(st).toMatchObject({
        state: 'recording',
        rateHz: RATE,
        channels: ['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z'],
      });
      const s = (await rec.wait({}))!;
      const wallS = (performance.now() - began) / 1000;
      expect(s).toMatchObject({
        state: 'complete',
        gaps: 0,
        dropped_frames: 0,
        rate_hz: RATE,
        label: 'wave',
        dataset: 'itest',
      });

      // The board's own clock: the chunks tile time exactly, and samples / span = the rate.
      const repo = new SessionsRepo(ctx.db);
      const times = repo.chunkTimes(s.id);
      for (let i = 1; i < times.length; i++) {
        const prev = times[i - 1]!;
        expect(Math.abs(times[i]!.t0Us - (prev.t0Us + (prev.nSamples * 1e6) / RATE))).toBeLessThanOrEqual(1);
      }
      const last = times[times.length - 1]!;
      const spanS = (last.t0Us - times[0]!.t0Us) / 1e6 + last.nSamples / RATE;
      const measuredHz = s.samples / spanS;
      expect(Math.abs(measuredHz / RATE - 1)).toBeLessThan(0.01);
      expect(Math.abs(s.samples / (RATE * SECONDS) - 1)).toBeLessThan(0.01);
      // Virtual time is driven by QEMU's instruction counter: report how it kept up with the wall clock.
      console.log(
        `${board}: ${s.samples} samples, ${measuredHz.toFixed(1)} Hz on the board clock, ${(s.samples / wallS).toFixed(1)} samples/s on the wall clock (${wallS.toFixed(2)} s), ${batches.length} UI batches`,
      );
      expect(wallS).toBeGreaterThan(SECONDS * 0.5);
      expect(wallS).toBeLessThan(SECONDS * 3);
      // The live plot got every sample, in ≤ ~30 batches per second.
      expect(batches.reduce((a, b) => a + b, 0)).toBe(s.samples);
      expect(batches.length).toBeLessThan(wallS * 31 + 2);

      // The signal is real: each channel moves, and the values are physical (m/s², rad/s).
      const { data } = repo.readSamples(s.id);
      for (let c = 0; c < 6; c++) {
        let min = Infinity;
        let max = -Infinity;
        for (let k = c; k < data.length; k += 6) {
          min = Math.min(min, data[k]!);
          max = Math.max(max, data[k]!);
        }
        expect(max - min).toBeGreaterThan(0);
        expect(Math.max(Math.abs(min), Math.abs(max))).toBeLessThan(c < 3 ? 160 : 40);
      }
    });
  }

  it('bitbench record --board virtual:m4 --seconds 2 --label wave --dataset gestures --json', async () => {
    const db = tempDbPath();
    let out = '';
    const code = await runCli(
      [
        'record',
        '--board',
        'virtual:m4',
        '--seconds',
        '2',
        '--label',
        'wave',
        '--dataset',
        'gestures',
        '--json',
        '--db',
        db,
      ],
      new CliRuntime((s) => (out += s)),
    );
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining([
        'id',
        'name',
        'samples',
        'rate_hz',
        'duration_s',
        'gaps',
        'dropped_frames',
        'state',
      ]),
    );
    expect(summary).toMatchObject({
      samples: 200,
      rate_hz: 100,
      duration_s: 2,
      gaps: 0,
      dropped_frames: 0,
      state: 'complete',
    });
    expect(summary.name).toMatch(/^wave /);
  });

  it('bitbench record refuses a fractional rate for a bitbench board, saying why', async () => {
    const db = tempDbPath();
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      errors.push(String(chunk));
      return true;
    });
    try {
      const code = await runCli([
        'record',
        '--board',
        'virtual:m4',
        '--rate',
        '33.3',
        '--seconds',
        '1',
        '--db',
        db,
      ]);
      expect(code).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('')).toMatch(
      /33\.3 Hz: a bitbench board samples at a whole number of Hz \(e\.g\. 33\)/,
    );
  });

  it('bitbench record exits 1 when the board dies mid-recording, after printing what it stored', async () => {
    const db = tempDbPath();
    let out = '';
    const done = runCli(
      ['record', '--board', 'virtual:m4', '--seconds', '60', '--label', 'cut', '--json', '--db', db],
      new CliRuntime((s) => (out += s)),
    );
    const reader = () => new Database(db, { readonly: true });
    const samples = (): number => {
      try {
        const d = reader();
        const row = d.prepare('SELECT max(sample_count) AS n FROM sessions').get() as { n: number | null };
        d.close();
        return row.n ?? 0;
      } catch {
        return 0; // not created yet
      }
    };
    for (let i = 0; i < 400 && samples() < 100; i++) await sleep(25);
    const qemu = descendants(process.pid, 'qemu-system-arm');
    expect(qemu.length).toBeGreaterThan(0);
    for (const pid of qemu) process.kill(pid, 'SIGKILL');
    expect(await done).toBe(1);
    const summary = JSON.parse(out);
    expect(summary).toMatchObject({ state: 'interrupted', label: 'cut' });
    expect(summary.samples).toBeGreaterThanOrEqual(100);
  }, 60_000);

  it('closing the app mid-recording ends the session cleanly (complete, not interrupted)', async () => {
    const dbPath = tempDbPath();
    const ctx = createAppContext({ dbPath, shell: 'cli' });
    const rec = createRecordingService(ctx);
    const st = await rec.start({
      board: 'virtual:m4',
      source: 'bitbench',
      rateHz: 200,
      baudRate: 115200,
      countdownS: 0,
      label: 'quit',
    });
    await sleep(700);
    await ctx.close();
    const again = createAppContext({ dbPath, shell: 'cli' });
    contexts.push(again);
    const d = await createRecordingService(again).session({ id: st.sessionId! });
    expect(d).toMatchObject({ state: 'complete', gaps: 0, dropped_frames: 0, label: 'quit' });
    expect(d.samples).toBeGreaterThan(60);
  });

  it('a recording process killed with SIGKILL keeps its committed samples; the next start marks it interrupted', async () => {
    const dbPath = tempDbPath();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/record-child.ts', dbPath, 'virtual:m4', '1000'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const { sessionId } = await new Promise<{ sessionId: number }>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!)));
        child.once('exit', (code) => reject(new Error(`recording child exited ${code}: ${stderr}`)));
      });
      const db = new Database(dbPath, { readonly: true });
      const count = () =>
        (
          db.prepare('SELECT sample_count FROM sessions WHERE id = ?').get(sessionId) as {
            sample_count: number;
          }
        ).sample_count;
      for (let i = 0; i < 200 && count() < 1500; i++) await sleep(25);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const committed = count();
      db.close();
      expect(committed).toBeGreaterThanOrEqual(1500);

      const ctx = createAppContext({ dbPath, shell: 'cli' });
      contexts.push(ctx);
      const rec = createRecordingService(ctx);
      const d = await rec.session({ id: sessionId });
      expect(d).toMatchObject({ state: 'interrupted', samples: committed, label: 'crash', gaps: 0 });
      const { nSamples } = new SessionsRepo(ctx.db).readSamples(sessionId);
      expect(nSamples).toBe(committed);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
