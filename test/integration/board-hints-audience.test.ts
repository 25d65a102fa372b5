// What a failed connect tells the user to do, worded for where they are: the CLI names its flags,
// environment variables and commands; the app (Electron, or the headless host serving the UI) names
// its pages and fields, and no command line it does not have. Through the board manager of a
// context of each shell, on real pseudo-terminals and real QEMU.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext, type Shell } from '../../src/main/context';
import { boardManager } from '../../src/main/device/board-manager';
import { findQemu } from '../../src/main/device/qemu-launcher';
import { firmwareElf, firmwareRoot, VIRTUAL_BOARDS } from '../../src/main/device/virtual-boards';
import { virtualBoardsUnavailable } from './helpers/virtual-boards';

const SHELLS: Shell[] = ['cli', 'headless-host', 'electron'];
/** What an app user cannot act on: a flag, a BITBENCH_ variable, a `bitbench` or npm command. */
const CLI_ONLY = /--[a-z]|BITBENCH_|`bitbench |bitbench [a-z]+ --|npm run/;

const children: ChildProcess[] = [];
const contexts: AppContext[] = [];
const savedFirmwareDir = process.env.BITBENCH_FIRMWARE_DIR;
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const ctx of contexts.splice(0)) await ctx.close();
  if (savedFirmwareDir === undefined) delete process.env.BITBENCH_FIRMWARE_DIR;
  else process.env.BITBENCH_FIRMWARE_DIR = savedFirmwareDir;
});
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-hints-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function context(shell: Shell): AppContext {
  const ctx = createAppContext({ dbPath: ':memory:', shell });
  contexts.push(ctx);
  return ctx;
}

/** Starts helpers/pty-not-our-firmware.py in `mode` and returns its pty path. */
async function device(mode: 'text' | 'noise' | 'silent'): Promise<string> {
  const child = spawn('python3', [path.join(__dirname, 'helpers/pty-not-our-firmware.py'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`pty helper exited with ${code}`)));
  });
}

async function connectError(shell: Shell, spec: string, handshakeMs: number): Promise<string> {
  const err = await boardManager(context(shell))
    .connect(spec, { handshakeMs })
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(err, `${shell} ${spec}`).toBeInstanceOf(Error);
  return (err as Error).message;
}

describe.skipIf(process.platform === 'win32')('handshake diagnoses, per shell', () => {
  it('a silent port: the CLI names --baud and BITBENCH_BAUD, the app the Devices page Baud field', async () => {
    for (const shell of SHELLS) {
      const msg = await connectError(shell, await device('silent'), 1200);
      expect(msg, shell).toMatch(/The port is open but nothing answered/);
      if (shell === 'cli') expect(msg).toContain('check the baud rate (--baud, BITBENCH_BAUD)');
      else {
        expect(msg, shell).toContain(
          'check the baud rate (the Baud field next to Port path on the Devices page)',
        );
        expect(msg, shell).not.toMatch(CLI_ONLY);
      }
    }
  }, 30_000);

  it('bytes without a frame: the same baud hint, worded per shell', async () => {
    for (const shell of SHELLS) {
      const msg = await connectError(shell, await device('noise'), 1200);
      expect(msg, shell).toMatch(/no valid bitbench frame: check the baud rate/);
      if (shell === 'cli') expect(msg).toContain('(--baud, BITBENCH_BAUD; the firmware runs at 460800');
      else {
        expect(msg, shell).toContain('(the Baud field next to Port path on the Devices page; the firmware');
        expect(msg, shell).not.toMatch(CLI_ONLY);
      }
    }
  }, 30_000);

  it('a board printing text: the CLI names `bitbench record --forwarder`, the app the Record page option', async () => {
    for (const shell of SHELLS) {
      const msg = await connectError(shell, await device('text'), 1200);
      expect(msg, shell).toMatch(/It sends text, not bitbench frames/);
      if (shell === 'cli') expect(msg).toContain('`bitbench record --forwarder`');
      else {
        expect(msg, shell).toContain('on the Record page with "Text lines (data forwarder)" ticked');
        expect(msg, shell).not.toMatch(CLI_ONLY);
      }
    }
  }, 30_000);
});

const qemuSkip =
  process.platform === 'win32' ? 'needs a POSIX host' : findQemu() ? null : 'no qemu-system-arm';
if (qemuSkip) console.warn(`[skipped] virtual board firmware hints: ${qemuSkip}`);

describe.skipIf(qemuSkip !== null)('virtual board firmware hints, per shell', () => {
  it('a missing firmware build: the CLI says `npm run firmware`, the app says it is not built and how', async () => {
    const empty = path.join(tmp, 'no-firmware');
    mkdirSync(empty, { recursive: true });
    process.env.BITBENCH_FIRMWARE_DIR = empty;
    for (const shell of SHELLS) {
      const manager = boardManager(context(shell));
      const listed = (await manager.list()).boards.find((b) => b.spec === 'virtual:m4')!;
      const msg = await connectError(shell, 'virtual:m4', 1000);
      // The list tells the app its Build firmware button applies.
      expect(listed.firmwareMissing, shell).toBe(true);
      for (const text of [listed.unavailableReason!, msg]) {
        expect(text, shell).toMatch(/firmware is not built \(.*mps2-an386\/bitbench\.elf missing\)/);
        if (shell === 'cli') expect(text).toContain('run `npm run firmware`');
        else {
          expect(text, shell).toContain("the virtual board's firmware is not built");
          expect(text, shell).toContain('press Build firmware beside it on the Devices page');
          expect(text, shell).not.toMatch(CLI_ONLY);
        }
      }
    }
  }, 30_000);

  const vbSkip = virtualBoardsUnavailable();
  it.skipIf(vbSkip !== null)(
    'firmware that never answers HELLO: the CLI says rebuild with `npm run firmware`, the app press Start again',
    async () => {
      // The m4 slot holds the micro:bit image: QEMU runs it, but its UART is not the one the pty carries.
      const wrong = path.join(tmp, 'wrong-firmware');
      const m4 = firmwareElf(VIRTUAL_BOARDS.m4, wrong);
      mkdirSync(path.dirname(m4), { recursive: true });
      copyFileSync(path.join(firmwareRoot(), 'build', 'microbit', 'bitbench.elf'), m4);
      process.env.BITBENCH_FIRMWARE_DIR = wrong;
      for (const shell of SHELLS) {
        const msg = await connectError(shell, 'virtual:m4', 1500);
        expect(msg, shell).toMatch(/the virtual board started but its firmware never answered HELLO/);
        const hint = msg.split('\nQEMU said:')[0]!;
        if (shell === 'cli') expect(hint).toContain('Rebuild it with `npm run firmware` and retry');
        else {
          expect(hint, shell).toContain('then press Start on the Devices page again');
          expect(hint, shell).not.toMatch(CLI_ONLY);
        }
      }
    },
    60_000,
  );
});
