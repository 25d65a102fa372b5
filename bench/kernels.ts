/**
 * `npm run bench -- kernels [--json]`: instructions per MAC of every kernel and weight width on both
 * virtual boards under QEMU -icount, against the plain C int8 loop built into the same image and run
 * in the same boot; weight bytes; code bytes (arm-none-eabi-size) of the kernels and of the firmware
 * with all kernels vs with only what one model needs. Builds firmware/kernels/bench/ for each board,
 * the M0 twice: its default pure C kernels and the Thumb-1 inner loops (-DBB_KERNELS_ASM=1).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBlob } from '../src/main/engine/blob-reader';
import { runReference } from '../src/main/engine/reference';
import { gestureW1Blob } from '../test/integration/helpers/model-blobs';
import {
  blobNeeds,
  buildStandalone,
  footprintOf,
  runImage,
  runStandalone,
  standaloneUnavailable,
  type StandaloneBoard,
  type StandaloneFootprint,
} from '../src/main/engine/standalone-image';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-bench-kernels-'));

/** CMSIS-NN figures from the issue (instructions/MAC, same QEMU boards, GCC 12.2 -O2). */
const CMSIS: Record<string, { s8_m4?: number; s4_m4?: number; plain_m4?: number; s8_m0?: number }> = {
  conv_128x9_k3_64: { s8_m4: 3.63, s4_m4: 5.34, plain_m4: 8.91 },
  conv_126x64_k3_64: { s8_m4: 1.93, s4_m4: 3.7, plain_m4: 6.41 },
  dense_3968_6: { s8_m4: 1.89, s4_m4: 5.02, plain_m4: 6.01 },
  dense_256_64: { s8_m4: 2.08, s4_m4: 5.08, plain_m4: 6.13, s8_m0: 6.43 },
  conv_62x16_k3_16: { s8_m0: 9.07 },
};

// The two virtual boards; QEMU runs the bench image as the launcher runs the firmware (runImage → qemuArgs).
// The M0's default kernels are pure C; "m0-asm" is the same board with the Thumb-1 inner loops
// (-DBB_KERNELS_ASM=1), measured and cross-checked beside it.
const BOARDS: Array<{ id: string; board: StandaloneBoard; flags: string }> = [
  { id: 'm4', board: 'mps2-an386', flags: '' },
  { id: 'm0', board: 'microbit', flags: '' },
  { id: 'm0-asm', board: 'microbit', flags: '-DBB_KERNELS_ASM=1' },
];

/** The bench image's UART text once it has printed its last line (DONE <overhead>). */
function runBenchImage(b: (typeof BOARDS)[number], elf: string): Promise<string> {
  const out = path.join(tmp, `${b.id}.txt`);
  return runImage(elf, b.board, out, (text) => (/DONE \d+\r?\n/.test(text) ? text : undefined), 120_000);
}

function sizeOf(elf: string, symbols: RegExp): number {
  const nm = execFileSync('arm-none-eabi-nm', ['--size-sort', '-S', elf], { encoding: 'utf8' });
  let total = 0;
  for (const line of nm.split('\n')) {
    const [, size, , name] = line.split(/\s+/).length === 4 ? line.split(/\s+/) : ['', ...line.split(/\s+/)];
    if (name && size && symbols.test(name)) total += parseInt(size, 16);
  }
  return total;
}

function firmwareText(tag: string, board: string, extra: string[]): number {
  const build = path.join(tmp, `fw-${tag}`);
  execFileSync(
    'make',
    ['-s', '-C', path.join(root, 'firmware'), `BOARD=${board}`, `BUILD=${build}`, 'board', ...extra],
    { stdio: 'pipe' },
  );
  const out = execFileSync('arm-none-eabi-size', [path.join(build, board, 'bitbench.elf')], {
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n')[1]!.trim().split(/\s+/)[0]);
}

async function standalone(
  board: StandaloneBoard,
  g: { blob: Uint8Array; input: Int8Array },
  opt: 'speed' | 'size',
  check: 'device' | 'host' = 'device',
): Promise<StandaloneFootprint & { bit_exact: boolean; elapsed: number; stack_bytes: number }> {
  const dir = path.join(tmp, `standalone-${board}-${opt}-${check}`);
  const build = await buildStandalone(path.join(root, 'firmware'), dir, g.blob, g.input, board, opt, check);
  const fp = footprintOf(build, board);
  const run = await runStandalone(build.elf, board, path.join(dir, 'uart.txt'));
  const expected = runReference(readBlob(g.blob), g.input).layers.at(-1)!;
  const bitExact = run.out.length === expected.length && run.out.every((v, i) => v === expected[i]);
  return { ...fp, bit_exact: bitExact, elapsed: run.elapsed, stack_bytes: run.stack_bytes };
}

/** A pool shape timed on the fast kernel and on the plain loop nest (`POOL` lines of the bench image). */
interface PoolRow {
  board: string;
  shape: string;
  /** max (identity requant), max_rq (a scale change) or avg; `_ref` the loop nest. */
  variant: string;
  outputs: number;
  instructions: number;
  instr_per_output: number;
  mismatches_vs_loop_nest?: number;
}

interface Row {
  board: string;
  shape: string;
  variant: string;
  macs: number;
  instructions: number;
  instr_per_mac: number;
  ratio_to_plain_c_s8: number;
  weight_bytes: number;
  cmsis_nn?: number;
  mismatches_vs_portable?: number;
}

async function main(): Promise<void> {
  const unavailable = standaloneUnavailable(true);
  if (unavailable) {
    console.log(`kernels bench skipped: ${unavailable}`);
    return;
  }
  const rows: Row[] = [];
  const pools: PoolRow[] = [];
  const code: Record<string, Record<string, number>> = {};
  const gesture = await gestureW1Blob();
  const needs = blobNeeds(gesture.blob);
  const hex = (n: number) => `0x${n.toString(16)}u`;
  const gestureStandalone: Record<string, Awaited<ReturnType<typeof standalone>>> = {};
  // Odd shapes (row tails, leftover rows, every requantisation branch) vs the portable kernels.
  const sweep: Record<string, Record<string, number>> = {};
  for (const b of BOARDS) {
    const outDir = path.join(tmp, b.id);
    execFileSync(
      'make',
      [
        '-s',
        '-C',
        path.join(root, 'firmware/kernels/bench'),
        `BOARD=${b.board}`,
        `OUT=${outDir}`,
        `KERNEL_FLAGS=${b.flags}`,
      ],
      { stdio: 'pipe' },
    );
    const elf = path.join(outDir, 'bench.elf');
    const text = await runBenchImage(b, elf);
    const overhead = Number(/DONE (\d+)/.exec(text)?.[1] ?? 0);
    const plain = new Map<string, number>();
    const checks = new Map<string, number>();
    for (const m of text.matchAll(/CHECK (\S+) (\S+) (\d+)/g)) checks.set(`${m[1]} ${m[2]}`, Number(m[3]));
    sweep[b.id] = Object.fromEntries(
      [...checks]
        .filter(([k]) => /^(sweep|conv_sweep|gru_sweep|pool_sweep|requant32) /.test(k))
        .map(([k, n]) => [
          k.startsWith('sweep ')
            ? k.slice(6)
            : k.startsWith('requant32 ')
              ? 'requant32'
              : `${k.slice(0, k.indexOf('_'))} ${k.slice(k.indexOf(' ') + 1)}`,
          n,
        ]),
    );
    const bench = [...text.matchAll(/BENCH (\S+) (\S+) (\d+) (\d+) (\d+)/g)].map((m) => ({
      shape: m[1]!,
      variant: m[2]!,
      macs: Number(m[3]),
      n: Number(m[4]) - overhead,
      w: Number(m[5]),
    }));
    for (const m of text.matchAll(/POOL (\S+) (\S+) (\d+) (\d+)/g)) {
      const instructions = Number(m[4]) - overhead;
      pools.push({
        board: b.id,
        shape: m[1]!,
        variant: m[2]!,
        outputs: Number(m[3]),
        instructions,
        instr_per_output: Number((instructions / Number(m[3])).toFixed(2)),
        mismatches_vs_loop_nest: checks.get(`${m[1]} ${m[2]}`),
      });
    }
    for (const r of bench) if (r.variant === 'plain_c_s8') plain.set(r.shape, r.n / r.macs);
    for (const r of bench) {
      const ipm = r.n / r.macs;
      const c = CMSIS[r.shape];
      rows.push({
        board: b.id,
        shape: r.shape,
        variant: r.variant,
        macs: r.macs,
        instructions: r.n,
        instr_per_mac: Number(ipm.toFixed(3)),
        ratio_to_plain_c_s8: Number((ipm / plain.get(r.shape)!).toFixed(3)),
        weight_bytes: r.w,
        cmsis_nn:
          b.id === 'm4'
            ? r.variant === 's8'
              ? c?.s8_m4
              : r.variant === 's4'
                ? c?.s4_m4
                : r.variant === 'plain_c_s8'
                  ? c?.plain_m4
                  : undefined
            : r.variant === 's8'
              ? c?.s8_m0
              : undefined,
        mismatches_vs_portable: checks.get(`${r.shape} ${r.variant}`),
      });
    }
    code[b.id] = {
      // M4: the SIMD kernels and their assembly loops; M0: the _c kernels and their Thumb-1 loops.
      fc_s8: sizeOf(elf, /^bb_fc_s8(_c)?$|^bb_s8_rows4(_t1)?$/),
      fc_s4: sizeOf(elf, /^bb_fc_s4(_c)?$|^bb_s4_(rows2|blocks4)$|^bb_s4p_rows_t1$/),
      fc_s2: sizeOf(elf, /^bb_fc_s2(_c)?$|^bb_s2_(rows2|blocks4)$|^bb_s2p_rows_t1$|^bb_s2_masks$/),
      fc_b1: sizeOf(
        elf,
        /^bb_fc_b1(_c|_tab)?$|^bb_b1_rows[234](_t1)?$|^bb_b1_masks$|^bb_b1_tab_\w+$|^bb_b1_tables$/,
      ),
      conv_b1: sizeOf(elf, /^bb_conv2d_b1$|^bb_conv_b1_\w+$|^bb_b1_conv_\w+$|^bb_b1_shifts_ok$/),
      fc_shared: sizeOf(elf, /^bb_fc_finish|^bb_pairs_(fc|pack|group)$|^bb_fc_out$/),
      portable_fc_and_dots: sizeOf(elf, /^bb_fc_\w+_ref$|^bb_dot_\w+$/),
      all_kernels: sizeOf(
        elf,
        /^bb_(fc|dot|conv|depthwise|gru|max_pool|avg_pool|pool|relu|argmax|tanh|sigmoid|s8_rows4|s4_rows|s4_blocks4|s4p_rows|s2_rows|s2_blocks4|s2p_rows|b1_rows|b1_conv|b1_shifts|b1_masks|b1_tab|b1_tables|b1_matvec|b1_nib|b1_pair|s2_masks|pairs_|cp_|packed_matvec|requant32)/,
      ),
      firmware_all_kernels_text: firmwareText(
        `${b.id}-all`,
        b.board,
        b.flags ? [`BB_ENGINE_CFLAGS=${b.flags}`] : [],
      ),
      // The gesture model of seed 000 (conv → pool → GRU → dense, binary weights): its kernels and width only.
      firmware_gesture_b1_only_text: firmwareText(`${b.id}-gesture`, b.board, [
        `BB_ENGINE_CFLAGS=-DBB_ENGINE_KERNELS=${hex(needs.kernels)} -DBB_ENGINE_WBITS=${hex(needs.wbits)} ${b.flags}`,
      ]),
    };
    if (b.flags) continue; // the standalone images are measured with the default kernels
    gestureStandalone[b.id] = await standalone(b.board, gesture, 'speed');
    gestureStandalone[`${b.id}-size`] = await standalone(b.board, gesture, 'size');
    gestureStandalone[`${b.id}-size-hostcheck`] = await standalone(b.board, gesture, 'size', 'host');
  }
  rmSync(tmp, { recursive: true, force: true });
  if (json) {
    console.log(
      JSON.stringify(
        {
          unit: 'instructions (QEMU -icount)',
          rows,
          pools,
          code_bytes: code,
          gesture_standalone: gestureStandalone,
          sweep_mismatches_vs_portable: sweep,
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(
    'kernel bench — instructions per MAC under QEMU -icount (whole layer incl. requantisation), same boot as the plain C int8 loop',
  );
  console.log(
    'board shape                variant      instr/MAC  vs plain C s8  CMSIS-NN  weight B  vs portable',
  );
  for (const r of rows) {
    console.log(
      `${r.board.padEnd(5)} ${r.shape.padEnd(20)} ${r.variant.padEnd(12)} ${r.instr_per_mac.toFixed(2).padStart(9)}  ${r.ratio_to_plain_c_s8.toFixed(2).padStart(13)}  ${(r.cmsis_nn?.toFixed(2) ?? '—').padStart(8)}  ${String(r.weight_bytes).padStart(8)}  ${r.mismatches_vs_portable === undefined ? '' : r.mismatches_vs_portable === 0 ? 'bit-exact' : `${r.mismatches_vs_portable} MISMATCHES`}`,
    );
  }
  console.log(
    '\npools — instructions per output, the kernel the runner calls against the plain loop nest (bb_*_pool_s8_ref)',
  );
  console.log('board shape                kind     loop nest   kernel   speed-up  vs loop nest');
  for (const r of pools.filter((x) => !x.variant.endsWith('_ref'))) {
    const ref = pools.find(
      (x) => x.board === r.board && x.shape === r.shape && x.variant === `${r.variant}_ref`,
    );
    console.log(
      `${r.board.padEnd(5)} ${r.shape.padEnd(20)} ${r.variant.padEnd(7)} ${(ref?.instr_per_output.toFixed(2) ?? '—').padStart(10)} ${r.instr_per_output.toFixed(2).padStart(8)}  ${ref ? `${(ref.instructions / r.instructions).toFixed(1)}×`.padStart(8) : '—'.padStart(8)}  ${r.mismatches_vs_loop_nest === undefined ? '' : r.mismatches_vs_loop_nest === 0 ? 'bit-exact' : `${r.mismatches_vs_loop_nest} MISMATCHES`}`,
    );
  }
  console.log('\ncode bytes (arm-none-eabi-nm sizes; firmware: arm-none-eabi-size text)');
  for (const [b, c] of Object.entries(code))
    console.log(
      `${b}: ${Object.entries(c)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  console.log(
    `\nseed 000 gesture model (conv → pool → GRU → dense, W1A8) as a standalone image (firmware/standalone: the model compiled in, only its kernels ${hex(needs.kernels)} / widths ${hex(needs.wbits)}, no serial protocol; "-size": kernels -Os instead of -O2; "-hostcheck": the blob's structure checked by bitbench, its CRC by the board); bytes from the link map`,
  );
  for (const [b, g] of Object.entries(gestureStandalone)) {
    console.log(
      `${b}: engine code ${g.engine.flash} + engine RAM ${g.engine.ram} + model blob ${g.model_bytes} + arena ${g.arena_bytes} = ${g.model_total_bytes} B ` +
        `(seed 000 budget ~10 kB = 10240 B: ${g.model_total_bytes <= 10240 ? 'FITS' : 'OVER'}); ` +
        `+ board support ${g.board_support.flash} B flash / ${g.board_support.ram} B RAM, stack high-water ${g.stack_bytes} B; ` +
        `image text ${g.image.text} data ${g.image.data} bss ${g.image.bss}; output vs host reference: ${g.bit_exact ? 'bit-exact' : 'MISMATCH'}; ${g.elapsed} instructions`,
    );
  }
  // The issue's goals, each against this run's numbers.
  const ipm = (board: string, shape: string, variant: string) =>
    rows.find((r) => r.board === board && r.shape === shape && r.variant === variant)?.instr_per_mac;
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  console.log('\ngoals (issue: integer engine)');
  for (const [shape, c] of Object.entries(CMSIS)) {
    const s8m4 = ipm('m4', shape, 's8');
    if (c.s8_m4 !== undefined && s8m4 !== undefined)
      console.log(
        `  m4 ${shape}: s8 ${s8m4.toFixed(2)} ≤ CMSIS-NN s8 ${c.s8_m4} → ${verdict(s8m4 <= c.s8_m4)}`,
      );
    const b1 = ipm('m4', shape, 'b1');
    if (c.s8_m4 !== undefined && b1 !== undefined)
      console.log(
        `  m4 ${shape}: b1 ${b1.toFixed(2)} ≤ ½ CMSIS-NN s8 ${(c.s8_m4 / 2).toFixed(3)} → ${verdict(b1 <= c.s8_m4 / 2)}`,
      );
    for (const m0 of ['m0', 'm0-asm']) {
      const s8m0 = ipm(m0, shape, 's8');
      if (c.s8_m0 !== undefined && s8m0 !== undefined)
        console.log(
          `  ${m0} ${shape}: s8 ${s8m0.toFixed(2)} ≤ CMSIS-NN M0 s8 ${c.s8_m0} → ${verdict(s8m0 <= c.s8_m0)}`,
        );
    }
  }
  for (const b of BOARDS.map((x) => x.id))
    for (const shape of new Set(rows.filter((r) => r.board === b).map((r) => r.shape))) {
      const s8 = ipm(b, shape, 's8')!;
      const s4 = ipm(b, shape, 's4')!;
      console.log(`  ${b} ${shape}: s4 ${s4.toFixed(2)} ≤ our s8 ${s8.toFixed(2)} → ${verdict(s4 <= s8)}`);
      // The issue's "faster than int8, not just smaller", for the other packed widths too.
      const s2 = ipm(b, shape, 's2')!;
      const b1 = ipm(b, shape, 'b1')!;
      console.log(
        `  ${b} ${shape}: s2 ${s2.toFixed(2)}, b1 ${b1.toFixed(2)} ≤ our s8 ${s8.toFixed(2)} → ${verdict(s2 <= s8 && b1 <= s8)}`,
      );
    }
  // Pools: the kernel the runner calls never runs more instructions than the loop nest it replaced.
  for (const r of pools.filter((x) => !x.variant.endsWith('_ref'))) {
    const ref = pools.find(
      (x) => x.board === r.board && x.shape === r.shape && x.variant === `${r.variant}_ref`,
    );
    if (ref)
      console.log(
        `  ${r.board} ${r.shape} ${r.variant}: ${r.instructions} ≤ loop nest ${ref.instructions}, bit-exact → ${verdict(r.instructions <= ref.instructions && r.mismatches_vs_loop_nest === 0)}`,
      );
  }
  // The budget is seed 000's Cortex-M0 target, held by the M0 size builds (--build size); the speed and M4 builds are printed above.
  for (const [b, g] of Object.entries(gestureStandalone).filter(([id]) => id.startsWith('m0-size')))
    console.log(
      `  ${b} gesture model (code + weights + arena) ${g.model_total_bytes} B ≤ ~10 kB (10240 B) → ${verdict(g.model_total_bytes <= 10240)}`,
    );
  console.log(
    '\nodd-shape sweep, mismatches vs the portable kernels (fc: in_len 1–80 and longer, 1–9 rows; conv: rows 1–195, widths 1–5, heights 1 and 3, padding, strides 1–2, 1–9 channels, multipliers above and below 0.5 — binary only on the M0; GRU (binary, 4- and 2-bit): inputs 1–13, 50, 97, 1–7, 12 and 16 units; pool: random max/avg pools vs the loop nest; requant32: every shift vs the exact int64 form)',
  );
  for (const [b, m] of Object.entries(sweep))
    console.log(
      `${b}: ${Object.entries(m)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
}

void main();
