// Shared set-up for integration tests against the QEMU virtual boards.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createAppContext, type AppContext } from '../../../src/main/context';
import { boardManager, type BoardManager } from '../../../src/main/device/board-manager';
import { findQemu } from '../../../src/main/device/qemu-launcher';
import { firmwareElf, firmwareRoot, VIRTUAL_BOARDS } from '../../../src/main/device/virtual-boards';

let checked: string | null | undefined;

/**
 * Why the virtual boards cannot run here (printed by the skipping test), or null when they can.
 * Builds the firmware once if its images are missing (`make -C firmware`, a few seconds).
 */
export function virtualBoardsUnavailable(): string | null {
  if (checked !== undefined) return checked;
  if (process.platform === 'win32') return (checked = 'virtual boards need a POSIX host');
  if (!findQemu()) return (checked = 'qemu-system-arm is not installed (apt-get install qemu-system-arm)');
  const elves = Object.values(VIRTUAL_BOARDS).map((d) => firmwareElf(d));
  if (elves.some((e) => !existsSync(e))) {
    try {
      execFileSync('make', ['-C', firmwareRoot(), 'mps2-an386', 'microbit'], {
        stdio: 'pipe',
        timeout: 180_000,
      });
    } catch (err) {
      const out = String((err as { stderr?: Buffer }).stderr ?? err).slice(-400);
      return (checked = `the firmware did not build (make -C firmware): ${out}`);
    }
    const missing = elves.filter((e) => !existsSync(e));
    if (missing.length)
      return (checked = `firmware images missing after make: ${missing.map((m) => path.relative(process.cwd(), m)).join(', ')}`);
  }
  return (checked = null);
}

export function skipNote(reason: string | null, what: string): void {
  if (reason) console.warn(`[skipped] ${what}: ${reason}`);
}

export function testContext(): AppContext {
  return createAppContext({ dbPath: ':memory:', shell: 'cli' });
}

/**
 * A board manager on its own in-memory context for the enclosing `describe`: made before its tests,
 * its boards and context closed after them. Call it in the describe body; the getter is for the tests.
 */
export function suiteBoards(): () => BoardManager {
  let ctx: AppContext | undefined;
  let boards: BoardManager | undefined;
  beforeAll(() => {
    ctx = testContext();
    boards = boardManager(ctx);
  });
  afterAll(async () => {
    await boards?.closeAll();
    await ctx?.close();
  });
  return () => boards!;
}

/** Deterministic pseudo-random bytes (xorshift32), so a failing run can be reproduced. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
