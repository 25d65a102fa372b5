// `bitbench boards start` in its own process (as in a second terminal) and `boards stop` from another:
// the printed pty is free for other commands, a QEMU that dies ends `boards start` with a message and
// exit code 1, and `boards stop` ends it wherever it runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openClient } from '../../src/main/device/board-connection';
import { listRunningVirtual } from '../../src/main/device/virtual-registry';
import { BoardListSchema, StopResultSchema } from '../../src/shared/api/boards';
import { runCliCaptured } from './helpers/cli';
import { skipNote, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'boards start/stop tests');

const root = path.resolve(__dirname, '../..');
let dir: string;
let db: string;
let savedRunDir: string | undefined;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-start-stop-'));
  db = path.join(dir, 'a.db');
  // Only the boards of this test: never another run's (or the user's) QEMUs.
  savedRunDir = process.env.BITBENCH_RUN_DIR;
  process.env.BITBENCH_RUN_DIR = path.join(dir, 'run');
});
afterAll(() => {
  if (savedRunDir === undefined) delete process.env.BITBENCH_RUN_DIR;
  else process.env.BITBENCH_RUN_DIR = savedRunDir;
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  pty: string;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

/** Runs `bitbench boards start <spec>` as its own process and waits until it says it runs. */
async function startBoard(spec: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src/main/cli/index.ts'), 'boards', 'start', spec, '--db', db],
    { cwd: root, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = Date.now() + 20_000;
  while (!/Running\./.test(out)) {
    if (child.exitCode !== null || Date.now() > end)
      throw new Error(`boards start did not start: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pty = /Other commands reach this board with --board (\/dev\/\S+)/.exec(out)?.[1];
  if (!pty) throw new Error(`no pty in: ${out}`);
  return { child, pty, out: () => out, err: () => err, exit };
}

describe.skipIf(unavailable !== null)('bitbench boards start / stop (two processes)', () => {
  it('leaves the printed pty free for other commands, and exits 1 naming the cause when QEMU dies', async () => {
    const s = await startBoard('virtual:m0');
    // Another program can open the pty it printed (it used to stay locked: "the port is busy").
    const client = await openClient(s.pty, { handshakeMs: 5000 });
    expect(client.info?.board).toBe('qemu-microbit');
    await client.ping();
    await client.close();

    const [running] = listRunningVirtual('virtual:m0');
    expect(running).toMatchObject({ spec: 'virtual:m0', ptyPath: s.pty, ownerPid: s.child.pid });
    process.kill(running!.qemuPid, 'SIGKILL');
    expect(await s.exit).toBe(1); // it used to end with Node's 13 ("unsettled top-level await"), silently
    expect(s.err()).toMatch(
      /error: QEMU for virtual:m0 exited unexpectedly \(killed by signal 9\); start the board again/,
    );
    expect(listRunningVirtual('virtual:m0')).toEqual([]);
  });

  it('boards stop ends a board another process started; stopping it again is a no-op', async () => {
    const s = await startBoard('virtual:m0');
    const qemuPid = listRunningVirtual('virtual:m0')[0]?.qemuPid;
    expect(qemuPid).toBeGreaterThan(0);

    // Another process lists it with its owner and pty.
    const list = BoardListSchema.parse(
      JSON.parse((await runCliCaptured(['boards', 'list', '--json'], db)).out),
    );
    expect(list.boards.find((b) => b.spec === 'virtual:m0')).toMatchObject({
      state: 'stopped',
      runningElsewhere: [{ owner: 'cli', ownerPid: s.child.pid, qemuPid, port: s.pty }],
    });

    const stop = await runCliCaptured(['boards', 'stop', 'virtual:m0', '--json'], db);
    expect(stop.code).toBe(0);
    const stopJson = JSON.parse(stop.out) as unknown;
    expect(StopResultSchema.parse(stopJson)).toEqual({
      spec: 'virtual:m0',
      stopped: [{ owner: 'cli', ownerPid: s.child.pid, qemuPid, port: s.pty }],
    });
    // snake_case beside camelCase, as every other command's JSON.
    expect(stopJson).toMatchObject({ stopped: [{ owner_pid: s.child.pid, qemu_pid: qemuPid }] });
    expect(await s.exit).toBe(0);
    expect(s.err()).toMatch(/virtual:m0 stopped\./);

    const again = await runCliCaptured(['boards', 'stop', 'virtual:m0'], db);
    expect(again).toMatchObject({ code: 0, out: 'virtual:m0 is not running; nothing to stop.\n' });
    const serial = await runCliCaptured(['boards', 'stop', '/dev/ttyACM0'], db);
    expect(serial.code).toBe(1);
    expect(serial.err).toMatch(/only virtual boards \(virtual:m4, virtual:m0\) can be stopped/);
  });
});
