import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { KERNEL_MASK_BIT, weightBitsMaskBit, type ParsedBlob } from '../../shared/engine/blob-format';
import { BitbenchError } from '../../shared/errors';
import { findQemu, onPath } from '../device/qemu-launcher';
import { VIRTUAL_BOARDS, qemuArgs, type VirtualBoardDef } from '../device/virtual-boards';
import { readBlob } from './blob-reader';
import { exportC } from './c-export';
import { writeFilesAtomic } from '../write-file-atomic';

/**
 * The standalone inference image (firmware/standalone): one model blob compiled in with only the
 * kernels and weight widths it uses, no serial protocol. Builds it for a board, attributes every
 * byte of the link map to a part (engine, model, arena, board support), and runs it on QEMU.
 * Seed 000's "~10 kB" budget is engine code + weights + arena; the board support (vectors,
 * startup, UART) and the stack are reported beside it.
 */

/** The model, engine and arena need more flash or RAM than the board has (the linker said so). */
export class StandaloneTooLargeError extends Error {
  override name = 'StandaloneTooLargeError';
}

/** A build the user's input makes impossible (not a toolchain failure). */
export class StandaloneBuildError extends Error {
  override name = 'StandaloneBuildError';
}

/** A firmware board folder (firmware/boards/<board>) that has a QEMU virtual board. */
export type StandaloneBoard = 'microbit' | 'mps2-an386';

/** The image links with the board's own link.ld, so QEMU runs it as the launcher runs the firmware. */
function virtualBoard(board: StandaloneBoard): VirtualBoardDef {
  return Object.values(VIRTUAL_BOARDS).find((d) => d.buildDir === board)!;
}

export interface Bytes {
  flash: number;
  ram: number;
}

export interface StandaloneFootprint {
  board: StandaloneBoard;
  kernel_mask: number;
  weight_bits_mask: number;
  /** Kernels, model runner, blob checks (with CRC-32) and the timing counter (firmware/kernels, core/bb_timing.c, bb_crc32.c). */
  engine: Bytes;
  /** The model blob: packed weights, int32 biases, requantisation tables, header. */
  model_bytes: number;
  /** The static activation arena (the blob's arena_min: largest layer input + output + scratch). */
  arena_bytes: number;
  /** engine flash + engine RAM + model + arena: what seed 000's ~10 kB budget counts. */
  model_total_bytes: number;
  /** Vector table, startup, UART/counter HAL and libc helpers; main.c and the test input. */
  board_support: Bytes;
  app: Bytes;
  /** arm-none-eabi-size of the whole image. */
  image: { text: number; data: number; bss: number };
}

export interface StandaloneRun {
  out: Int8Array;
  elapsed: number;
  stack_bytes: number;
}

/** Why the image cannot be built or run here, or null when it can. */
export function standaloneUnavailable(run: boolean): string | null {
  if (!onPath('arm-none-eabi-gcc'))
    return 'arm-none-eabi-gcc is not installed (apt install gcc-arm-none-eabi)';
  if (!onPath('make')) return 'make is not installed';
  if (run && !findQemu()) return 'qemu-system-arm is not installed (apt install qemu-system-arm)';
  return null;
}

/** The kernel and weight-width masks (firmware BB_ENGINE_KERNELS / BB_ENGINE_WBITS) a blob needs. */
export function blobNeeds(blob: Uint8Array | ParsedBlob): { kernels: number; wbits: number } {
  let kernels = 0;
  let wbits = 0;
  for (const l of (blob instanceof Uint8Array ? readBlob(blob) : blob).layers) {
    kernels |= KERNEL_MASK_BIT[l.op];
    if (l.weightBits > 0) wbits |= weightBitsMaskBit(l.weightBits);
  }
  return { kernels, wbits };
}

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}u`;

const execFileAsync = promisify(execFile);

/**
 * Writes model.c/model.h and input.c into `dir` and builds `dir/build/standalone.elf`.
 * `firmwareDir` is the repository's firmware/ folder. `make` runs as a child process without
 * blocking the caller's event loop (the app's main process keeps serving the UI); `signal` kills it.
 */
export async function buildStandalone(
  firmwareDir: string,
  dir: string,
  blob: Uint8Array,
  input: Int8Array,
  board: StandaloneBoard,
  opt: 'speed' | 'size' = 'speed',
  /** device: every blob check on the device; host: the device checks integrity only (CHECK=host). */
  check: 'device' | 'host' = 'device',
  signal?: AbortSignal,
): Promise<{ elf: string; map: string; kernels: number; wbits: number }> {
  // make runs in firmware/standalone (-C): every path it is given must be absolute.
  dir = path.resolve(dir);
  firmwareDir = path.resolve(firmwareDir);
  if (/\s/.test(dir))
    throw new StandaloneBuildError(
      `the build folder "${dir}" has a space in its path, which make cannot handle`,
    );
  mkdirSync(dir, { recursive: true });
  const c = exportC(blob, 'model');
  // With `footprint --keep <dir>` these are the user's files: replaced whole, never left half-written.
  writeFilesAtomic([
    [path.join(dir, c.headerName), c.header],
    [path.join(dir, c.sourceName), c.source],
    [
      path.join(dir, 'input.c'),
      `#include <stdint.h>\nconst uint32_t bb_standalone_input_len = ${input.length}u;\n` +
        `const int8_t bb_standalone_input[${Math.max(1, input.length)}] = {${Array.from(input).join(', ')}};\n`,
    ],
  ]);
  const parsed = readBlob(blob);
  const { kernels, wbits } = blobNeeds(parsed);
  const out = path.join(dir, 'build');
  const args = [
    '-s',
    '-C',
    path.join(firmwareDir, 'standalone'),
    `BOARD=${board}`,
    `MODEL_DIR=${dir}`,
    `OUT=${out}`,
  ];
  // The runner's per-layer tables sized to this model; OPT=size: the kernels -Os instead of -O2.
  args.push(
    `KERNELS=${hex(kernels)}`,
    `WBITS=${hex(wbits)}`,
    `MAX_LAYERS=${parsed.layers.length}`,
    `OPT=${opt}`,
    `CHECK=${check}`,
  );
  try {
    await execFileAsync('make', args, { encoding: 'utf8', signal });
  } catch (e) {
    if (signal?.aborted) throw new BitbenchError('cancelled', 'Cancelled by the user.');
    const err = e as { stderr?: string; message: string };
    const overflow = [...(err.stderr ?? '').matchAll(/region `(\w+)' overflowed by (\d+) bytes/g)];
    if (overflow.length > 0)
      throw new StandaloneTooLargeError(
        `the image does not fit ${board}: ${overflow.map((m) => `${m[1]} short by ${m[2]} B`).join(', ')} ` +
          `(arena ${parsed.arenaMin} B, model ${blob.length} B)`,
      );
    throw new Error(`building the standalone image failed: ${err.stderr?.trim() || err.message}`);
  }
  return { elf: path.join(out, 'standalone.elf'), map: path.join(out, 'standalone.map'), kernels, wbits };
}

/** One retained input section of a GNU ld map: its output section, size and object file. */
export interface MapSection {
  section: string;
  size: number;
  object: string;
}

/** The input sections the linker kept (after "Linker script and memory map"; discarded ones come before). */
export function parseLinkMap(text: string): MapSection[] {
  const start = text.indexOf('Linker script and memory map');
  if (start < 0) throw new Error('not a GNU ld map file (no "Linker script and memory map")');
  const lines = text.slice(start).split('\n');
  const out: MapSection[] = [];
  let pending: string | null = null;
  for (const line of lines) {
    // " .text.name  0xADDR  0xSIZE object" on one line, or the name alone with the rest on the next.
    const one = /^ (\.[^\s*]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    if (one) {
      out.push({ section: one[1]!, size: parseInt(one[2]!, 16), object: one[3]!.trim() });
      pending = null;
      continue;
    }
    const name = /^ (\.[^\s*]+)\s*$/.exec(line);
    if (name) {
      pending = name[1]!;
      continue;
    }
    const rest = /^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    if (rest && pending)
      out.push({ section: pending, size: parseInt(rest[1]!, 16), object: rest[2]!.trim() });
    pending = null;
  }
  return out;
}

/** Flash and RAM of a set of sections: .bss/.noinit/.stack cost RAM, .data both, the rest flash. */
function bytesOf(sections: MapSection[]): Bytes {
  let flash = 0;
  let ram = 0;
  for (const s of sections) {
    if (/^\.(bss|noinit|stack)/.test(s.section) || s.section === 'COMMON') ram += s.size;
    else if (s.section.startsWith('.data')) {
      flash += s.size;
      ram += s.size;
    } else flash += s.size;
  }
  return { flash, ram };
}

/** Attributes a built image's link map to the footprint's parts. */
export function footprintOf(
  build: { elf: string; map: string; kernels: number; wbits: number },
  board: StandaloneBoard,
): StandaloneFootprint {
  // Only what is loaded on the device (debug info and attributes are listed in the map as well).
  const sections = parseLinkMap(readFileSync(build.map, 'utf8')).filter(
    (s) => s.size > 0 && /^\.(text|rodata|vectors|data|bss|noinit|ARM\.exidx)/.test(s.section),
  );
  const under = (part: string) => sections.filter((s) => s.object.includes(`${path.sep}${part}${path.sep}`));
  const engine = bytesOf([...under('engine'), ...under('core')]);
  const modelObj = sections.filter((s) => s.object.endsWith(`${path.sep}model${path.sep}model.o`));
  const mainObj = sections.filter((s) => s.object.endsWith(`${path.sep}main.o`));
  const input = sections.filter((s) => s.object.endsWith(`${path.sep}input.o`));
  const arena = bytesOf(mainObj.filter((s) => s.section.startsWith('.bss'))).ram;
  const app = bytesOf([...mainObj.filter((s) => !s.section.startsWith('.bss')), ...input]);
  const counted = new Set([...under('engine'), ...under('core'), ...modelObj, ...mainObj, ...input]);
  const board_support = bytesOf(sections.filter((s) => !counted.has(s)));
  const model_bytes = bytesOf(modelObj).flash;
  const size = execFileSync('arm-none-eabi-size', [build.elf], { encoding: 'utf8' });
  const [text, data, bss] = size.trim().split('\n')[1]!.trim().split(/\s+/).map(Number) as [
    number,
    number,
    number,
  ];
  return {
    board,
    kernel_mask: build.kernels,
    weight_bits_mask: build.wbits,
    engine,
    model_bytes,
    arena_bytes: arena,
    model_total_bytes: engine.flash + engine.ram + model_bytes + arena,
    board_support,
    app,
    image: { text, data, bss },
  };
}

/**
 * Runs a bare-metal image (standalone model, kernel bench) on the board's QEMU machine, its UART
 * written to `outFile`, until `finished` returns a value for what the image has printed so far
 * (or throws); then stops QEMU.
 */
export async function runImage<T>(
  elf: string,
  board: StandaloneBoard,
  outFile: string,
  finished: (text: string) => T | undefined,
  timeoutMs = 60_000,
  signal?: AbortSignal,
): Promise<T> {
  const args = qemuArgs(virtualBoard(board), undefined, { elf, serial: `file:${outFile}`, replay: false });
  // A previous run's output (a kept build folder) must not be read as this run's.
  rmSync(outFile, { force: true });
  const proc = spawn(findQemu() ?? 'qemu-system-arm', args, { stdio: 'ignore' });
  try {
    const t0 = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      if (signal?.aborted) throw new BitbenchError('cancelled', 'Cancelled by the user.');
      const result = finished(existsSync(outFile) ? readFileSync(outFile, 'utf8') : '');
      if (result !== undefined) return result;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`${board}: the image printed no DONE within ${timeoutMs / 1000} s`);
    }
  } finally {
    proc.kill('SIGKILL');
  }
}

/** Runs the standalone image until it prints DONE (or REFUSED); returns its output, counter and stack. */
export function runStandalone(
  elf: string,
  board: StandaloneBoard,
  outFile: string,
  timeoutMs = 60_000,
  signal?: AbortSignal,
): Promise<StandaloneRun> {
  return runImage(
    elf,
    board,
    outFile,
    (text) => {
      // Whole lines: the file is read while QEMU may still be writing it.
      const refused = /REFUSED (\d+) ([^\r\n]*)\r?\n/.exec(text);
      if (refused)
        throw new Error(`the standalone image refused the model: ${refused[2]} (status ${refused[1]})`);
      if (!/DONE[^\n]*\n/.test(text)) return undefined;
      const hexOut = /OUT ([0-9a-f]*)/.exec(text)![1]!;
      const out = new Int8Array(hexOut.length / 2);
      for (let i = 0; i < out.length; i++)
        out[i] = (parseInt(hexOut.slice(2 * i, 2 * i + 2), 16) << 24) >> 24;
      return {
        out,
        elapsed: Number(/ELAPSED (\d+)/.exec(text)![1]),
        stack_bytes: Number(/STACK (\d+)/.exec(text)![1]),
      };
    },
    timeoutMs,
    signal,
  );
}
