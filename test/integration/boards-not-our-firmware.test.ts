// A serial device that is not our firmware, on a real pseudo-terminal through serialport: the
// handshake gives up in bounded time and says what it heard instead (echo, text, noise, nothing);
// a device that is not a tty at all is named as such.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openClient } from '../../src/main/device/board-connection';

const skip = process.platform === 'win32' ? 'needs POSIX ptys' : null;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts helpers/pty-not-our-firmware.py in `mode` and returns its pty path. */
async function device(mode: 'echo' | 'text' | 'noise' | 'silent'): Promise<string> {
  const child = spawn('python3', [path.join(__dirname, 'helpers/pty-not-our-firmware.py'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`pty helper exited with ${code}`)));
  });
}

async function handshakeError(pty: string): Promise<string> {
  const t0 = Date.now();
  const err = await openClient(pty, { handshakeMs: 1200 }).catch((e: unknown) => e);
  expect(Date.now() - t0).toBeLessThan(4000);
  expect(err).toBeInstanceOf(Error);
  return (err as Error).message;
}

describe.skipIf(skip !== null)('a serial port without the bitbench firmware', () => {
  it('an echoing port is named as one', async () => {
    const pty = await device('echo');
    expect(await handshakeError(pty)).toMatch(
      new RegExp(
        `^${pty}: no HELLO answer within 1.2 s. The port sends back what it is sent \\(\\d+ of our HELLO requests came back unanswered\\): a loopback`,
      ),
    );
  });

  it('a port printing text quotes a line and points to the CSV forwarder', async () => {
    const pty = await device('text');
    expect(await handshakeError(pty)).toMatch(
      /It sends text, not bitbench frames \(\d+ bytes, e\.g\. "temp=2\d\.5C uptime=\d+"\).*bitbench record --forwarder/,
    );
  });

  it('bytes without a frame suggest the baud rate', async () => {
    const pty = await device('noise');
    expect(await handshakeError(pty)).toMatch(
      /It sent \d+ bytes but no valid bitbench frame: check the baud rate \(--baud, BITBENCH_BAUD/,
    );
  });

  it('a silent port says nothing answered', async () => {
    const pty = await device('silent');
    expect(await handshakeError(pty)).toMatch(
      /The port is open but nothing answered: flash the bitbench firmware/,
    );
  });

  it.skipIf(process.platform !== 'linux')(
    'a device that is not a tty is named as not a serial port',
    async () => {
      const err = await openClient('/dev/null').catch((e: unknown) => e);
      expect((err as Error).message).toMatch(
        /^Cannot open \/dev\/null: it is not a serial port \(.*Inappropriate ioctl.*\)\. Give the board's port/,
      );
    },
  );
});
