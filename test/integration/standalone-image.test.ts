// The standalone inference image (firmware/standalone): a blob compiled in with only the kernels
// and weight widths it needs, run on the QEMU boards without the serial protocol. Its output must
// equal the host integer reference, and the link-map footprint must add up to the image.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBlob } from '../../src/main/engine/blob-reader';
import { runReference } from '../../src/main/engine/reference';
import { SEED000_BUDGET_BYTES } from '../../src/shared/api/engine';
import {
  buildStandalone,
  footprintOf,
  runStandalone,
  standaloneUnavailable,
  type StandaloneBoard,
} from '../../src/main/engine/standalone-image';
import { REPO, makeCase, withRowPadding } from '../helpers/engine-cases';
import { gestureW1Blob } from './helpers/model-blobs';
import type { RandomOp } from '../../src/main/engine/random-model';
import type { WeightBits } from '../../src/shared/quant/integer-model';

const unavailable = standaloneUnavailable(true);
if (unavailable) console.log(`standalone-image tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('standalone inference image', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-standalone-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const cases: Array<[StandaloneBoard, RandomOp, WeightBits]> = [
    ['microbit', 'conv1d', 1],
    ['microbit', 'gru', 4],
    ['microbit', 'dense', 8],
    ['mps2-an386', 'conv2d', 2],
    ['mps2-an386', 'gru', 1],
  ];
  it.each(cases)(
    '%s: a %s model with %i-bit weights gives the host reference output',
    async (board, op, bits) => {
      const c = makeCase(11, op, bits, 1);
      const dir = path.join(tmp, `${board}-${op}-${bits}`);
      const build = await buildStandalone(
        path.join(REPO, 'firmware'),
        dir,
        c.blob,
        c.inputs[0]!,
        board,
        'size',
      );
      const run = await runStandalone(build.elf, board, path.join(dir, 'uart.txt'));
      expect(Array.from(run.out)).toEqual(Array.from(c.expected[0]!.at(-1)!));
      expect(run.elapsed).toBeGreaterThan(0);
      expect(run.stack_bytes).toBeGreaterThan(0);

      const fp = footprintOf(build, board);
      // Only the blob's ops and width are built in: the kernel mask names exactly what the layers use.
      expect(fp.weight_bits_mask).toBe(1 << (bits - 1));
      expect(fp.model_bytes).toBe(c.blob.length);
      expect(fp.arena_bytes).toBe(readBlob(c.blob).arenaMin);
      // The parts cover the image's flash except the linker's alignment fill.
      const flash = fp.engine.flash + fp.model_bytes + fp.board_support.flash + fp.app.flash;
      expect(flash).toBeLessThanOrEqual(fp.image.text + fp.image.data);
      expect(flash).toBeGreaterThan(0.98 * (fp.image.text + fp.image.data));
    },
  );

  it("seed 000's gesture model (W1A8) in the M0 size build fits its ~10 kB budget with every blob check on the device", async () => {
    // The zoo's conv → pool → GRU → dense, 1-bit weights (weights seeded, calibrated on random windows:
    // the footprint does not depend on what the weights learned). firmware/README.md states this budget;
    // the fast pools' code once took the image to 10,608 B without a test noticing.
    const { blob, input } = await gestureW1Blob();
    const dir = path.join(tmp, 'gesture-size');
    const build = await buildStandalone(path.join(REPO, 'firmware'), dir, blob, input, 'microbit', 'size');
    const fp = footprintOf(build, 'microbit');
    const run = await runStandalone(build.elf, 'microbit', path.join(dir, 'uart.txt'));
    expect(Array.from(run.out)).toEqual(Array.from(runReference(readBlob(blob), input).layers.at(-1)!));
    console.log(
      `gesture W1A8, M0 size build: ${fp.model_total_bytes} B (engine ${fp.engine.flash} + ${fp.engine.ram}, model ${fp.model_bytes}, arena ${fp.arena_bytes}) of ${SEED000_BUDGET_BYTES}`,
    );
    expect(fp.model_total_bytes).toBeLessThanOrEqual(SEED000_BUDGET_BYTES);
  }, 120_000);

  it('size build (OPT=size) keeps every device check; a refused blob names the failed check by its line', async () => {
    const c = makeCase(13, 'conv1d', 1, 1);
    const fw = path.join(REPO, 'firmware');
    const dir = path.join(tmp, 'terse');
    const build = await buildStandalone(fw, dir, c.blob, c.inputs[0]!, 'microbit', 'size');
    const run = await runStandalone(build.elf, 'microbit', path.join(dir, 'uart.txt'));
    expect(Array.from(run.out)).toEqual(Array.from(c.expected[0]!.at(-1)!));
    // The same blob with a nonzero padding bit and a valid CRC: only the structural check can refuse it.
    const bad = withRowPadding(c.blob);
    let k = 0;
    const src = readFileSync(path.join(dir, 'model.c'), 'utf8').replace(
      /0x[0-9a-f]{2},/g,
      () => `0x${bad[k++]!.toString(16).padStart(2, '0')},`,
    );
    expect(k).toBe(bad.length);
    writeFileSync(path.join(dir, 'model.c'), src);
    const make = ['-s', '-C', path.join(fw, 'standalone'), 'BOARD=microbit', `MODEL_DIR=${dir}`];
    execFileSync('make', [...make, `OUT=${path.join(dir, 'build')}`, 'OPT=size', 'WBITS=0x01u'], {
      stdio: 'pipe',
    });
    await expect(runStandalone(build.elf, 'microbit', path.join(dir, 'uart.txt'))).rejects.toThrow(
      /refused the model: layer 0: check \d+ /,
    );
    // The speed build says it in words.
    execFileSync('make', [...make, `OUT=${path.join(dir, 'build-speed')}`, 'WBITS=0x01u'], {
      stdio: 'pipe',
    });
    await expect(
      runStandalone(path.join(dir, 'build-speed', 'standalone.elf'), 'microbit', path.join(dir, 'uart2.txt')),
    ).rejects.toThrow(/layer 0: nonzero padding after a weight row/);
  });

  it('host-checked (CHECK=host): smaller engine, same output, and a corrupted compiled-in blob is still refused', async () => {
    const c = makeCase(13, 'conv1d', 1, 1);
    const fw = path.join(REPO, 'firmware');
    const full = await buildStandalone(
      fw,
      path.join(tmp, 'check-device'),
      c.blob,
      c.inputs[0]!,
      'microbit',
      'size',
    );
    const dir = path.join(tmp, 'check-host');
    const host = await buildStandalone(fw, dir, c.blob, c.inputs[0]!, 'microbit', 'size', 'host');
    expect(footprintOf(host, 'microbit').engine.flash).toBeLessThan(
      footprintOf(full, 'microbit').engine.flash - 2000,
    );
    const run = await runStandalone(host.elf, 'microbit', path.join(dir, 'uart.txt'));
    expect(Array.from(run.out)).toEqual(Array.from(c.expected[0]!.at(-1)!));
    // Flip one weight byte in the compiled-in blob (its last line of bytes) and rebuild: the CRC catches it.
    const src = readFileSync(path.join(dir, 'model.c'), 'utf8').split('\n');
    let i = src.length - 1;
    while (i > 0 && !/0x[0-9a-f]{2},/.test(src[i]!)) i--;
    src[i] = src[i]!.replace(
      /0x([0-9a-f]{2}),/,
      (_m, h: string) => `0x${(parseInt(h, 16) ^ 1).toString(16).padStart(2, '0')},`,
    );
    writeFileSync(path.join(dir, 'model.c'), src.join('\n'));
    const make = [
      '-s',
      '-C',
      path.join(fw, 'standalone'),
      'BOARD=microbit',
      `MODEL_DIR=${dir}`,
      `OUT=${path.join(dir, 'build')}`,
    ];
    execFileSync('make', [...make, 'CHECK=host', 'OPT=size', 'WBITS=0x01u'], { stdio: 'pipe' });
    await expect(runStandalone(host.elf, 'microbit', path.join(dir, 'uart.txt'))).rejects.toThrow(
      /CRC-32 mismatch/,
    );
  });

  it('a firmware built without the weight width a blob needs refuses it with the reason', async () => {
    const c = makeCase(12, 'dense', 4, 1);
    const dir = path.join(tmp, 'refuse');
    const build = await buildStandalone(path.join(REPO, 'firmware'), dir, c.blob, c.inputs[0]!, 'microbit');
    // Rebuild the same image with only 8-bit weights compiled in.
    const make = ['-s', '-B', '-C', path.join(REPO, 'firmware/standalone'), 'BOARD=microbit'];
    execFileSync('make', [...make, `MODEL_DIR=${dir}`, `OUT=${path.join(dir, 'build')}`, 'WBITS=0x80u'], {
      stdio: 'pipe',
    });
    await expect(runStandalone(build.elf, 'microbit', path.join(dir, 'uart.txt'))).rejects.toThrow(
      /refused the model: layer 0: this firmware was built without this weight bit width/,
    );
  });
});
