// The QEMU virtual boards: which machine, which firmware image, which command line.
// firmware/README.md ("Launching the virtual boards") is where the firmware side documents these.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { VirtualBoardId } from '../../shared/api/boards';
import { Hints, type HintAudience } from '../../shared/hints';
import { appRoot } from '../paths';
import { findQemu } from './qemu-launcher';

export interface VirtualBoardDef {
  id: VirtualBoardId;
  spec: `virtual:${VirtualBoardId}`;
  name: string;
  machine: string;
  /** Folder under firmware/build/. */
  buildDir: string;
  /** QEMU -icount shift: each instruction advances virtual time by 2^shift ns. */
  icountShift: number;
  /** Where the launcher writes the config word 0xBBCF00nn ("icount shift nn") for the firmware. */
  configAddr: number;
  /** Where a sensor replay file (BBRP) is preloaded. */
  replayAddr: number;
  replayMaxBytes: number;
}

// Mirrors firmware/README.md "Launching the virtual boards" (and scripts/run-qemu.sh): the config word
// lives in RAM (QEMU's data= loader cannot write the nRF51 flash), the replay in code memory.
export const VIRTUAL_BOARDS: Record<VirtualBoardId, VirtualBoardDef> = {
  m4: {
    id: 'm4',
    spec: 'virtual:m4',
    name: 'QEMU mps2-an386 (Cortex-M4)',
    machine: 'mps2-an386',
    buildDir: 'mps2-an386',
    icountShift: 5,
    configAddr: 0x20000000,
    replayAddr: 0x00100000,
    replayMaxBytes: 0x00100000,
  },
  m0: {
    id: 'm0',
    spec: 'virtual:m0',
    name: 'QEMU micro:bit (Cortex-M0, 16 KiB RAM)',
    machine: 'microbit',
    buildDir: 'microbit',
    icountShift: 6,
    configAddr: 0x20000000,
    replayAddr: 0x0000c000,
    replayMaxBytes: 0x0000c000,
  },
};

/** firmware/ of this checkout or install; BITBENCH_FIRMWARE_DIR overrides it. */
export function firmwareRoot(): string {
  return process.env.BITBENCH_FIRMWARE_DIR
    ? path.resolve(process.env.BITBENCH_FIRMWARE_DIR)
    : path.join(appRoot(), 'firmware');
}

export function firmwareElf(def: VirtualBoardDef, root = firmwareRoot()): string {
  return path.join(root, 'build', def.buildDir, 'bitbench.elf');
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * The sensor replay (BBRP file, docs/replay-format.md) preloaded into the board: $BITBENCH_REPLAY_<ID>
 * or $BITBENCH_REPLAY, else firmware/build/<board>/replay.bbrp, resources/replay/<id>.bbrp,
 * resources/replay/default.bbrp (scripts/make-replay.mjs).
 * Without one the firmware streams its synthetic test signal.
 */
export function replayFile(def: VirtualBoardDef, root = firmwareRoot()): string | undefined {
  const candidates = [
    process.env[`BITBENCH_REPLAY_${def.id.toUpperCase()}`],
    process.env.BITBENCH_REPLAY,
    path.join(root, 'build', def.buildDir, 'replay.bbrp'),
    path.join(appRoot(), 'resources', 'replay', `${def.id}.bbrp`),
    path.join(appRoot(), 'resources', 'replay', 'default.bbrp'),
  ];
  return candidates.find((f): f is string => !!f && existsSync(f) && statSync(f).size <= def.replayMaxBytes);
}

/**
 * The QEMU command line (firmware/README.md, "Launching the virtual boards"). Other images for the
 * same board (the kernel bench, the standalone image) pass their ELF, a `file:` serial and no replay.
 */
export function qemuArgs(
  def: VirtualBoardDef,
  root = firmwareRoot(),
  opts: { elf?: string; serial?: string; replay?: boolean } = {},
): string[] {
  const args = [
    '-M',
    def.machine,
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    opts.serial ?? 'pty',
    '-icount',
    `shift=${def.icountShift}`,
    '-kernel',
    opts.elf ?? firmwareElf(def, root),
    '-device',
    `loader,addr=${hex(def.configAddr)},data=${hex((0xbbcf0000 | def.icountShift) >>> 0)},data-len=4`,
  ];
  const replay = opts.replay === false ? undefined : replayFile(def, root);
  if (replay) args.push('-device', `loader,file=${replay},addr=${hex(def.replayAddr)},force-raw=on`);
  return args;
}

/**
 * Why this virtual board cannot start here, or undefined when it can; what to do is worded for
 * `audience` (the CLI user runs a command, the app user is told how without one at hand).
 */
export function virtualUnavailableReason(
  def: VirtualBoardDef,
  root = firmwareRoot(),
  audience: HintAudience = 'cli',
): string | undefined {
  return virtualAvailability(def, root, audience).reason;
}

/**
 * The same check, and whether the firmware image is all that is missing (building it makes the
 * board available: the Devices page's Build firmware).
 */
export function virtualAvailability(
  def: VirtualBoardDef,
  root = firmwareRoot(),
  audience: HintAudience = 'cli',
): { reason: string | undefined; firmwareMissing: boolean } {
  if (process.platform === 'win32')
    return { reason: 'virtual boards need a Linux or macOS host', firmwareMissing: false };
  if (!findQemu())
    return {
      reason: 'qemu-system-arm is not installed (Debian/Ubuntu: sudo apt-get install qemu-system-arm)',
      firmwareMissing: false,
    };
  if (!existsSync(firmwareElf(def, root))) {
    const elf = path.relative(process.cwd(), firmwareElf(def, root)) || firmwareElf(def, root);
    const reason =
      audience === 'cli'
        ? `the firmware is not built (${elf} missing): ${Hints.buildVirtualFirmware(audience)}`
        : `the virtual board's firmware is not built (${elf} missing): ${Hints.buildVirtualFirmware(audience)}`;
    return { reason, firmwareMissing: true };
  }
  return { reason: undefined, firmwareMissing: false };
}
