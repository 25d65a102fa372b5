// No QEMU may outlive the process that started it, even when that process is SIGKILLed.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openClient } from '../../src/main/device/board-connection';
import { findQemu, launchQemu } from '../../src/main/device/qemu-launcher';
import { skipNote } from './helpers/virtual-boards';

const noQemu = findQemu() ? null : 'qemu-system-arm is not installed';
skipNote(noQemu, 'boards-orphan tests');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !alive(pid);
}

const idleArgs = ['-M', 'mps2-an386', '-S', '-display', 'none', '-serial', 'pty', '-monitor', 'none'];

describe.skipIf(noQemu !== null)('QEMU launcher', () => {
  it('QEMU dies when its parent process is SIGKILLed', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'helpers/launch-and-hang.ts')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`helper exited with ${code}`)));
    });
    const { qemuPid, pid, pty } = JSON.parse(line) as { qemuPid: number; pid: number; pty: string };
    expect(pty).toMatch(/^\/dev\/pts\/\d+$/);
    expect(alive(qemuPid)).toBe(true);
    child.kill('SIGKILL');
    expect(await gone(qemuPid, 3000)).toBe(true);
    expect(await gone(pid, 3000)).toBe(true);
  });

  it('stop() ends QEMU and its watchdog; a failed start leaves nothing behind', async () => {
    const q = await launchQemu({ label: 'test', args: idleArgs });
    expect(alive(q.qemuPid)).toBe(true);
    await q.stop();
    expect(q.running).toBe(false);
    expect(alive(q.qemuPid)).toBe(false);
    expect(alive(q.pid)).toBe(false);

    const err = await launchQemu({ label: 'virtual:bad', args: ['-M', 'no-such-machine'] }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/virtual:bad: QEMU exited during start-up/);
    expect((err as Error).message).toMatch(/no-such-machine/);
  });

  it('a board that never says hello (a halted CPU on a real pty) fails in bounded time, naming the port', async () => {
    const q = await launchQemu({ label: 'test', args: idleArgs });
    try {
      const t0 = Date.now();
      const err = await openClient(q.ptyPath, { handshakeMs: 800 }).catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(2500);
      expect((err as Error).message).toMatch(
        new RegExp(`^${q.ptyPath}: no HELLO answer within 0.8 s.*flash the bitbench firmware`),
      );
    } finally {
      await q.stop();
    }
  });
});
