// HELLO's build_id is what a resumed profile checks ("same firmware build"), so every change to the
// firmware's sources must reach it, also through an incremental `make` that rebuilds only what changed.
import { appendFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onPath } from '../../src/main/device/qemu-launcher';

const skip = onPath('make') && onPath('arm-none-eabi-gcc') ? null : 'no make / arm-none-eabi-gcc';
if (skip) console.warn(`[skipped] firmware build id: ${skip}`);

describe.skipIf(skip !== null)('the firmware build id', () => {
  it('an incremental build after a kernel change reports the new id, not the last full build’s', () => {
    const firmware = path.join(mkdtempSync(path.join(os.tmpdir(), 'bb-fw-id-')), 'firmware');
    cpSync(path.join(__dirname, '../../firmware'), firmware, {
      recursive: true,
      filter: (src) => path.basename(src) !== 'build',
    });
    const make = (...args: string[]) =>
      execFileSync('make', ['-s', '-C', firmware, ...args], { encoding: 'utf8' });
    const image = () =>
      readFileSync(path.join(firmware, 'build', 'microbit', 'bitbench.bin')).toString('latin1');

    make('BOARD=microbit');
    const first = make('build-id').trim();
    expect(first).toMatch(/^[0-9a-f]{8}$/);
    expect(image()).toContain(first);

    // a kernel file changes (not bb_dispatch.c, the one file that holds the id)
    appendFileSync(path.join(firmware, 'kernels', 'bb_gru.c'), '\n/* changed */\n');
    make('BOARD=microbit');
    const second = make('build-id').trim();
    expect(second).not.toBe(first);
    expect(image()).toContain(second);
    expect(image()).not.toContain(first);

    // nothing changed: no rebuild of the dispatcher, same id
    make('BOARD=microbit');
    expect(make('build-id').trim()).toBe(second);
    expect(image()).toContain(second);
  }, 120_000);
});
