// The data forwarder over a real serial device: a pseudo-terminal fed by a tiny Python "board"
// that prints CSV lines at 200 Hz, opened through the serialport package like a USB board.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/main/context';
import { createRecordingService } from '../../src/main/recording/recording-service';
import { SessionsRepo } from '../../src/main/store/sessions-repo';
import { sleep, tempDbPath } from '../support/recording-context';
import { skipNote } from './helpers/virtual-boards';

function noPython(): string | null {
  if (process.platform === 'win32') return 'pseudo-terminals need a POSIX host';
  try {
    execFileSync('python3', ['-c', 'import pty'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'python3 (for the pty line board) is not installed';
  }
}
const unavailable = noPython();
skipNote(unavailable, 'data forwarder over a pty');

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

/** The pty line board (helpers/pty-line-board.py with `args`) and a recording service on a fresh database. */
async function lineBoard(...args: string[]) {
  const board = spawn('python3', [path.join(import.meta.dirname, 'helpers/pty-line-board.py'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  closers.push(() => void board.kill('SIGKILL'));
  const ptyPath = await new Promise<string>((resolve, reject) => {
    createInterface({ input: board.stdout! }).once('line', resolve);
    board.once('exit', (code) => reject(new Error(`pty board exited with ${code}`)));
  });
  const ctx: AppContext = createAppContext({ dbPath: tempDbPath(), shell: 'cli' });
  closers.push(() => ctx.close());
  return { board, ptyPath, ctx, rec: createRecordingService(ctx) };
}

describe.skipIf(unavailable !== null)('data forwarder over a serial device', () => {
  it('finds the header, measures 200 Hz, records 2 s and reports the garbage line by number', async () => {
    const { board, ptyPath, ctx, rec } = await lineBoard('200');
    const starting = rec.start({
      board: ptyPath,
      source: 'forwarder',
      baudRate: 115200,
      countdownS: 0,
      durationS: 2,
      label: 'lines',
    });
    await sleep(300); // the port is open: let the board talk
    board.stdin!.write('go\n');
    const st = await starting;
    expect(st).toMatchObject({ state: 'recording', stream: 'forwarder', channels: ['ax', 'ay', 'az'] });
    expect(Math.abs(st.rateHz! / 200 - 1)).toBeLessThan(0.05);
    const s = (await rec.wait({}))!;
    expect(s).toMatchObject({ state: 'complete', clock: 'host', gaps: 0, label: 'lines' });
    // 2 s on the samples' clock (the last sample of the block that crosses 2 s is the last kept)
    expect(Math.abs(s.duration_s / 2 - 1)).toBeLessThan(0.05);
    expect(Math.abs(s.rate_hz! / 200 - 1)).toBeLessThan(0.05);
    const d = await rec.session({ id: s.id });
    expect(d.bad_lines).toBe(1);
    expect(d.warnings[0]).toBe(`${ptyPath} line 52: field 1: "oops" is not a number`);
    const { data, nSamples } = new SessionsRepo(ctx.db).readSamples(s.id);
    for (let i = 0; i < nSamples; i++) {
      expect(data[i * 3 + 1]).toBe(-data[i * 3]!);
      // consecutive lines, except across the garbage line that replaced sample 50
      if (i > 0) expect(data[i * 3]! - data[(i - 1) * 3]!).toBe(data[i * 3]! === 51 ? 2 : 1);
    }
  });

  it('a board whose rate changes after the measurement still records the seconds asked for', async () => {
    // 100 lines/s for 2.5 s, then 200/s: the 2 s pre-roll measures 100 Hz.
    const { board, ptyPath, rec } = await lineBoard('100', '200', '2.5');
    const starting = rec.start({
      board: ptyPath,
      source: 'forwarder',
      baudRate: 115200,
      countdownS: 0,
      durationS: 4,
    });
    await sleep(300);
    board.stdin!.write('go\n');
    const st = await starting;
    expect(Math.abs(st.rateHz! / 100 - 1)).toBeLessThan(0.05);
    const s = (await rec.wait({}))!;
    expect(s.state).toBe('complete');
    // Recorded from the end of the 2 s pre-roll: about 0.5 s at 100 Hz, then 3.5 s at 200 Hz. A count
    // fixed at the measured rate (4 × 100 = 400 samples) stopped at about 2.25 s and stored 3.3 s.
    expect(s.samples).toBeGreaterThan(1.5 * 4 * st.rateHz!);
    // The stored rate is the recorded samples' own, so samples / rate is the time they took.
    expect(Math.abs(s.duration_s / 4 - 1)).toBeLessThan(0.05);
  });
});
