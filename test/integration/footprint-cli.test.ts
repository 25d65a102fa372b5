// `bitbench footprint`: the standalone image of a quantized variant built for a virtual board, sized
// from its link map and run once on QEMU against the host reference; a model too big for the M0 is
// refused with what is short.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/main/context';
import { runCliCaptured } from './helpers/cli';
import { FootprintResultSchema } from '../../src/shared/api/engine';
import { standaloneUnavailable } from '../../src/main/engine/standalone-image';
import { quantizeVariant, seedFloatModel } from './helpers/deploy-fixture';

const unavailable = standaloneUnavailable(true);
if (unavailable) console.log(`footprint-cli tests skipped: ${unavailable}`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-footprint-cli-'));
const db = path.join(dir, 'a.db');

const cli = (args: string[]) => runCliCaptured(args, db);

describe.skipIf(unavailable !== null)('bitbench footprint', () => {
  beforeAll(async () => {
    const ctx = createAppContext({ dbPath: db, shell: 'cli' });
    seedFloatModel(ctx, { name: 'tiny-fp' });
    seedFloatModel(ctx, { wide: true, filters: 128, name: 'huge-fp' });
    await quantizeVariant(ctx, 'tiny-fp', 'tiny-w4a8', { weightBits: 4, actBits: 8 });
    await quantizeVariant(ctx, 'huge-fp', 'huge-w8a8', { weightBits: 8, actBits: 8 });
    await ctx.close();
  }, 120_000);

  it('--json: parts add up, only the 4-bit width is built in, and the board output is bit-exact', async () => {
    const keep = path.join(dir, 'keep');
    const { code, out } = await cli([
      'footprint',
      '--model',
      'tiny-w4a8',
      '--board',
      'virtual:m0',
      '--keep',
      keep,
      '--json',
    ]);
    expect(code).toBe(0);
    const r = FootprintResultSchema.parse(JSON.parse(out));
    expect(r.board).toBe('virtual:m0');
    expect(r.build).toBe('size');
    expect(r.weight_bits_mask).toBe(0x08);
    expect(r.model_total_bytes).toBe(r.engine.flash + r.engine.ram + r.model_bytes + r.arena_bytes);
    expect(r.fits_budget).toBe(r.model_total_bytes <= r.budget_bytes);
    expect(r.run).toMatchObject({ bit_exact: true, unit: 'instructions', input: 'synth test window 0' });
    expect(r.run.elapsed).toBeGreaterThan(0);
    for (const f of r.files) expect(existsSync(f), f).toBe(true);
    expect(r.files.some((f) => f.endsWith('standalone.map'))).toBe(true);
    // The same kept folder again, from a relative path, with a finished-looking output file left in it:
    // a fresh build and run, not that file.
    writeFileSync(path.join(keep, 'uart.txt'), 'OUT 00\nELAPSED 1\nSTACK 1\nDONE\n');
    const again = await cli([
      'footprint',
      '--model',
      'tiny-w4a8',
      '--keep',
      path.relative(process.cwd(), keep),
      '--json',
    ]);
    expect(again.code).toBe(0);
    expect(FootprintResultSchema.parse(JSON.parse(again.out)).run).toEqual(r.run);
  }, 120_000);

  it('the speed build on the M4 is bigger in code but runs in fewer instructions than the size build', async () => {
    const run = async (...flags: string[]) => {
      const args = ['footprint', '--model', 'tiny-w4a8', '--board', 'virtual:m4', ...flags, '--json'];
      return FootprintResultSchema.parse(JSON.parse((await cli(args)).out));
    };
    const size = await run('--build', 'size');
    const speed = await run('--build', 'speed');
    expect(speed.run.bit_exact && size.run.bit_exact).toBe(true);
    expect(speed.engine.flash).toBeGreaterThan(size.engine.flash);
    expect(speed.run.elapsed).toBeLessThan(size.run.elapsed);
    // Blob checked by bitbench, only its CRC on the board: less engine code, the same output.
    const host = await run('--build', 'size', '--check', 'host');
    expect(host.check).toBe('host');
    expect(host.run.bit_exact).toBe(true);
    expect(host.engine.flash).toBeLessThan(size.engine.flash);
  }, 120_000);

  it('a model whose arena exceeds the M0 RAM is refused with what is short', async () => {
    const { code, err } = await cli(['footprint', '--model', 'huge-w8a8', '--board', 'virtual:m0']);
    expect(code).toBe(1);
    const m =
      /huge-w8a8: the image does not fit microbit: (FLASH short by \d+ B, )?RAM short by (\d+) B \(arena (\d+) B, model \d+ B\)/.exec(
        err,
      );
    expect(m, err).not.toBeNull();
    // More than the M0's 16 KiB of RAM on its own, and what is short is part of it.
    expect(Number(m![3])).toBeGreaterThan(16384);
    expect(Number(m![2])).toBeLessThan(Number(m![3]));
  }, 120_000);

  it('--board is read as everywhere else: virtual:M0 is the M0', async () => {
    // Formerly refused with "--board must be virtual:m0 or virtual:m4, got "virtual:M0"", while flash,
    // profile, verify and estimate take it.
    const { code, err } = await cli(['footprint', '--model', 'huge-w8a8', '--board', 'virtual:M0']);
    expect(code).toBe(1);
    expect(err).toMatch(/huge-w8a8: the image does not fit microbit: .*RAM short by \d+ B/);
  }, 120_000);

  it('bad flags are refused before any work', async () => {
    expect((await cli(['footprint', '--model', 'tiny-w4a8', '--board', 'virtual:m7'])).err).toMatch(
      /--board must be virtual:m0 or virtual:m4, got "virtual:m7"/,
    );
    expect((await cli(['footprint', '--model', 'tiny-w4a8', '--build', 'tiny'])).err).toMatch(
      /--build must be size or speed/,
    );
    expect((await cli(['footprint', '--model', 'tiny-w4a8', '--check', 'nobody'])).err).toMatch(
      /--check must be device or host/,
    );
    const missing = await cli(['footprint', '--model', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope/);
  });
});
