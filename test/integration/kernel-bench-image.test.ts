// The kernel bench image (firmware/kernels/bench) cross-checks every optimised kernel against the
// portable reference on the benchmark's layer shapes and on sweeps of odd shapes (fully connected:
// row lengths 1–80 and longer; convolutions: every row length mod 4, kernel widths, 'same' padding,
// strides, 2-D inputs, partial channel blocks, multipliers ≥ 0.5), the binary GRU (±1 pair words or
// tables) against the bit-serial one and the 4/2-bit GRU on pair words against bb_dot_s4/s2 (inputs
// 1–13, 16, 50, 97; 1–7, 12 and 16 units), and the requantiser against its exact
// int64 form on every shift, and the pool kernels (unrolled windows, the M4's four-channel groups, the
// identity and 16-bit requant) against the plain loop nest over odd shapes. Here it runs on both QEMU boards (the
// M0 with its default pure C kernels and with the Thumb-1 inner loops) and every check must report
// zero mismatches: the sweeps reach kernel paths (the binary convs' channel blocks, the M4's shifted
// last word, the M0's lane masks past the row, border columns, table chunks) that random models hit
// only by chance.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  runImage,
  standaloneUnavailable,
  type StandaloneBoard,
} from '../../src/main/engine/standalone-image';
import { REPO } from '../helpers/engine-cases';

const unavailable = standaloneUnavailable(true);
if (unavailable) console.log(`kernel bench image tests skipped: ${unavailable}`);

const M0_CHECKS = [
  'sweep b1',
  'sweep s4',
  'sweep s8',
  'conv_62x16_k3_16 b1',
  'conv_sweep b1',
  'conv_sweep s4',
  'conv_sweep s2',
  'gru_sweep b1',
  'gru_sweep s4',
  'gru_sweep s2',
  'requant32 all',
  'pool_sweep max',
  'pool_sweep avg',
  'pool_59x6_k2 max',
  'pool_59x6_k2 avg',
  'pool_8x8x12_k2x2 max_rq',
];
// [name, board, kernel flags, CHECK lines that must be present]
const cases: Array<[string, StandaloneBoard, string, string[]]> = [
  // M4: SIMD kernels, conv through the layer entry points (binary: the blocked kernel).
  [
    'mps2-an386',
    'mps2-an386',
    '',
    [
      'sweep b1',
      'sweep s4',
      'conv_sweep b1',
      'conv_sweep s4',
      'conv_sweep s2',
      'gru_sweep b1',
      'gru_sweep s4',
      'gru_sweep s2',
      'requant32 all',
      'pool_sweep max',
      'pool_sweep avg',
      'pool_59x6_k2 max',
      'pool_11x11x64_k2x2 max',
      'pool_11x11x64_k2x2 avg',
      'conv_128x9_k3_64 b1',
      'conv_126x64_k3_64 b1',
    ],
  ],
  // M0 (conv sweeps of the binary, 4- and 2-bit kernels, weights from flash): the default pure C kernels, then the Thumb-1 loops.
  ['microbit', 'microbit', '', M0_CHECKS],
  ['microbit with Thumb-1 loops', 'microbit', '-DBB_KERNELS_ASM=1', M0_CHECKS],
];

describe.skipIf(unavailable !== null)(
  'kernel bench image: optimised kernels against the portable ones',
  () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-kbench-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it.each(cases)(
      '%s: every CHECK line reports 0 mismatches',
      async (name, board, flags, expected) => {
        const out = path.join(tmp, name.replace(/\W+/g, '-'));
        const dir = path.join(REPO, 'firmware/kernels/bench');
        execFileSync('make', ['-s', '-C', dir, `BOARD=${board}`, `OUT=${out}`, `KERNEL_FLAGS=${flags}`], {
          stdio: 'pipe',
        });
        const text = await runImage(
          path.join(out, 'bench.elf'),
          board,
          path.join(out, 'uart.txt'),
          (t) => (/DONE \d+\r?\n/.test(t) ? t : undefined),
          120_000,
        );
        const checks = new Map(
          [...text.matchAll(/CHECK (\S+) (\S+) (\d+)/g)].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]),
        );
        for (const n of expected) expect(checks.has(n), `${name} printed no "CHECK ${n}"`).toBe(true);
        const bad = [...checks].filter(([, n]) => n !== 0);
        expect(bad, `${name}: mismatching kernels`).toEqual([]);
      },
      180_000,
    );
  },
);
