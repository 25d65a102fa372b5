import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  copyToDrive,
  detectDrives,
  findOnPath,
  firmwareImage,
  flashFirmware,
  planFlash,
  volumeRoots,
} from '../../src/main/device/firmware-flasher';
import { createAppContext } from '../../src/main/context';
import { createFirmwareService } from '../../src/main/device/firmware-service';
import { firmwareRoot } from '../../src/main/device/virtual-boards';
import { runCli } from '../../src/main/cli/program';
import { CliRuntime } from '../../src/main/cli/runtime';

/**
 * Drive detection and the copy, against temp folders laid out like a Linux /media/$USER with an
 * ST-LINK drive in it. Real boards are not tested (no hardware here).
 */
function scene(opts: { drive?: string; markers?: string[]; image?: boolean; tools?: string[] } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bb-flash-'));
  const media = path.join(root, 'media', 'alice');
  mkdirSync(media, { recursive: true });
  mkdirSync(path.join(media, 'USB-STICK'));
  writeFileSync(path.join(media, 'USB-STICK', 'notes.txt'), 'not a board');
  let drive: string | undefined;
  if (opts.drive) {
    drive = path.join(media, opts.drive);
    mkdirSync(drive);
    for (const m of opts.markers ?? []) writeFileSync(path.join(drive, m), 'Version: 0221\n');
  }
  const fw = path.join(root, 'firmware');
  const image = firmwareImage(fw, 'nucleo-f401re');
  const bytes = Buffer.from(Array.from({ length: 26_880 }, (_, i) => (i * 131 + 7) & 0xff));
  if (opts.image !== false) {
    mkdirSync(path.dirname(image), { recursive: true });
    writeFileSync(image, bytes);
  }
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  for (const t of opts.tools ?? []) {
    writeFileSync(path.join(bin, t), '#!/bin/sh\necho "$0 $@" >> "$(dirname "$0")/calls.log"\n');
    chmodSync(path.join(bin, t), 0o755);
  }
  return {
    root,
    media,
    drive,
    fw,
    image,
    bytes,
    bin,
    env: { firmwareRoot: fw, roots: [media], pathEnv: bin, platform: 'linux' as const },
  };
}

describe('firmware flasher: finding a Nucleo drive', () => {
  it('finds a NODE_ volume by name and by its DETAILS.TXT, ignores other volumes', () => {
    const s = scene({ drive: 'NODE_F401RE', markers: ['DETAILS.TXT', 'MBED.HTM'] });
    const drives = detectDrives([s.media, path.join(s.root, 'missing')], 'linux');
    expect(drives).toHaveLength(1);
    expect(drives[0]).toMatchObject({ name: 'NODE_F401RE', board: 'nucleo-f401re', path: s.drive });
    expect(drives[0]!.evidence).toEqual(['volume name NODE_F401RE', 'DETAILS.TXT', 'MBED.HTM']);
  });

  it('recognises a renamed drive by its marker file, with no board attached to the name', () => {
    const s = scene({ drive: 'MY_BOARD', markers: ['details.txt'] });
    const drives = detectDrives([s.media], 'linux');
    expect(drives.map((d) => [d.name, d.board, d.evidence])).toEqual([['MY_BOARD', null, ['DETAILS.TXT']]]);
  });

  it('searches /media/$USER, /run/media/$USER on Linux, /Volumes on macOS, drive letters on Windows', () => {
    expect(volumeRoots('linux', 'alice')).toEqual(['/media/alice', '/run/media/alice', '/media']);
    expect(volumeRoots('darwin', 'alice')).toEqual(['/Volumes']);
    expect(volumeRoots('win32', 'alice')).toContain('E:\\');
  });
});

describe('firmware flasher: planning and flashing', () => {
  it('copies the image onto the detected drive byte for byte', async () => {
    const s = scene({ drive: 'NODE_F401RE', markers: ['DETAILS.TXT'], tools: ['st-flash'] });
    const plan = planFlash('nucleo-f401re', s.env);
    expect(plan.method).toBe('drive'); // the drive wins over a tool on PATH
    expect(plan.imageBytes).toBe(s.bytes.length);
    const r = await flashFirmware('nucleo-f401re', s.env);
    expect(r).toMatchObject({
      method: 'drive',
      bytes: s.bytes.length,
      target: path.join(s.drive!, 'bitbench.bin'),
    });
    expect(readFileSync(r.target).equals(s.bytes)).toBe(true);
  });

  it('copies to an explicit --drive, and refuses a folder that is not a board drive', async () => {
    const s = scene({ drive: 'NODE_F401RE' });
    const r = await flashFirmware('nucleo-f401re', { ...s.env, roots: [], drive: s.drive! });
    expect(readFileSync(r.target).equals(s.bytes)).toBe(true);
    await expect(
      flashFirmware('nucleo-f401re', { ...s.env, drive: path.join(s.media, 'USB-STICK') }),
    ).rejects.toThrow(/does not look like a Nucleo drive/);
    const g0 = firmwareImage(s.fw, 'nucleo-g071rb');
    mkdirSync(path.dirname(g0), { recursive: true });
    writeFileSync(g0, s.bytes);
    await expect(flashFirmware('nucleo-g071rb', { ...s.env, drive: s.drive! })).rejects.toThrow(
      /is the drive of a nucleo-f401re, not a nucleo-g071rb/,
    );
  });

  it("never copies onto another board's drive", () => {
    const s = scene({ drive: 'NODE_G071RB', markers: ['DETAILS.TXT'] });
    const plan = planFlash('nucleo-f401re', s.env);
    expect(plan.drives).toHaveLength(1);
    expect(plan.method).toBe('none');
  });

  it('falls back to st-flash, then openocd, with the right command line', async () => {
    const s = scene({ tools: ['st-flash', 'openocd'] });
    expect(planFlash('nucleo-f401re', s.env).tools.map((t) => t.name)).toEqual(['st-flash', 'openocd']);
    const r = await flashFirmware('nucleo-f401re', s.env);
    expect(r.method).toBe('st-flash');
    expect(readFileSync(path.join(s.bin, 'calls.log'), 'utf8')).toContain(
      `--reset write ${s.image} 0x08000000`,
    );
    const o = scene({ tools: ['openocd'] });
    const r2 = await flashFirmware('nucleo-f401re', o.env);
    expect(r2.method).toBe('openocd');
    expect(readFileSync(path.join(o.bin, 'calls.log'), 'utf8')).toMatch(
      /-f interface\/stlink.cfg -f target\/stm32f4x.cfg -c program .*bitbench.elf verify reset exit/,
    );
  });

  it('says exactly what to install when there is neither a drive nor a tool', async () => {
    const s = scene();
    const plan = planFlash('nucleo-f401re', s.env);
    expect(plan.method).toBe('none');
    expect(plan.advice).toMatch(/NODE_F401RE.*stlink-tools.*openocd/);
    await expect(flashFirmware('nucleo-f401re', s.env)).rejects.toThrow(/apt-get install stlink-tools/);
  });

  it('asks for a build when the image is missing, naming the path and the command', async () => {
    const s = scene({ drive: 'NODE_F401RE', image: false });
    await expect(flashFirmware('nucleo-f401re', s.env)).rejects.toThrow(
      /No firmware image at .*bitbench.bin.*bitbench firmware build --board nucleo-f401re/,
    );
  });

  it('finds programs on PATH only when they are files', () => {
    const s = scene({ tools: ['openocd'] });
    expect(findOnPath('openocd', s.bin, 'linux')).toBe(path.join(s.bin, 'openocd'));
    expect(findOnPath('st-flash', s.bin, 'linux')).toBeUndefined();
  });

  it('copyToDrive reports a drive it cannot write to', async () => {
    const s = scene();
    await expect(copyToDrive(s.image, path.join(s.root, 'gone'))).rejects.toThrow(/Could not write .*gone/);
  });
});

describe('bitbench firmware (CLI, through the service)', () => {
  const image = firmwareImage(firmwareRoot(), 'nucleo-f401re');
  const noImage = existsSync(image) ? null : `${image} is not built (make -C firmware BOARD=nucleo-f401re)`;
  if (noImage) console.warn(`[skipped] firmware CLI copy: ${noImage}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-fw-cli-'));
  const cli = async (args: string[]) => {
    let out = '';
    const code = await runCli([...args, '--db', path.join(dir, 'a.db')], new CliRuntime((s) => (out += s)));
    return { code, out };
  };

  it.skipIf(noImage !== null)('flash --drive copies the built image onto a drive-like folder', async () => {
    const drive = path.join(dir, 'NODE_F401RE');
    mkdirSync(drive);
    writeFileSync(path.join(drive, 'MBED.HTM'), '<html></html>');
    const r = await cli(['firmware', 'flash', '--board', 'nucleo-f401re', '--drive', drive, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { method: string; bytes: number; target: string };
    expect(json).toMatchObject({ method: 'drive', target: path.join(drive, 'bitbench.bin') });
    expect(readFileSync(json.target).equals(readFileSync(image))).toBe(true);
  });

  it('refuses a virtual board with a message that says why', async () => {
    // runCli reports errors on stderr, outside the runtime's printer.
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await cli(['firmware', 'flash', '--board', 'virtual:m4']);
      expect(r.code).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(
        /firmware flashing is for real boards: nucleo-f401re, nucleo-g071rb/,
      );
    } finally {
      err.mockRestore();
    }
  });
});

describe('firmware flasher: a missing image, worded for the CLI or the app', () => {
  /** What an app user cannot act on: a flag, a BITBENCH_ variable, a `bitbench` or npm command. */
  const CLI_ONLY = /--[a-z]|BITBENCH_|bitbench [a-z]+ |npm run/;

  it('the plan points the CLI at `bitbench firmware build`, the app at its Build firmware button', () => {
    const s = scene({ drive: 'NODE_F401RE', image: false });
    const cli = planFlash('nucleo-f401re', s.env).advice;
    const app = planFlash('nucleo-f401re', { ...s.env, audience: 'app' }).advice;
    expect(cli).toContain('First build it: bitbench firmware build --board nucleo-f401re.');
    expect(app).toContain(
      'First build it: press Build firmware (with nucleo-f401re chosen) under "Flash firmware to a real board" on the Devices page.',
    );
    expect(app).not.toMatch(CLI_ONLY);
  });

  it("the app's firmware service (headless host, Electron) words its flash error for the app, the CLI's for the CLI", async () => {
    const s = scene({ image: false });
    const saved = process.env.BITBENCH_FIRMWARE_DIR;
    process.env.BITBENCH_FIRMWARE_DIR = s.fw;
    try {
      for (const shell of ['cli', 'headless-host', 'electron'] as const) {
        const ctx = createAppContext({ dbPath: ':memory:', shell });
        try {
          const err = await Promise.resolve(
            createFirmwareService(ctx).flash({ board: 'nucleo-f401re' }),
          ).then(
            () => null,
            (e: Error) => e,
          );
          expect(err?.message, shell).toMatch(/^No firmware image at .*bitbench\.bin\. Build it first: /);
          if (shell === 'cli')
            expect(err!.message).toContain('bitbench firmware build --board nucleo-f401re');
          else {
            expect(err!.message, shell).toContain('press Build firmware (with nucleo-f401re chosen)');
            expect(err!.message, shell).not.toMatch(CLI_ONLY);
          }
        } finally {
          await ctx.close();
        }
      }
    } finally {
      if (saved === undefined) delete process.env.BITBENCH_FIRMWARE_DIR;
      else process.env.BITBENCH_FIRMWARE_DIR = saved;
    }
  });
});
