import { execFile } from 'node:child_process';
import { constants as fsc, existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  DetectedDrive,
  FlashPlan,
  FlashResult,
  FlashTool,
  RealBoardId,
} from '../../shared/api/firmware';
import { BitbenchError } from '../../shared/errors';
import { Hints, type HintAudience } from '../../shared/hints';

/**
 * Getting our firmware onto a real Nucleo board. The ST-LINK on every Nucleo shows up as a USB
 * mass-storage drive (NODE_F401RE, …): copying a .bin onto it programs the flash and resets the
 * board, no tool needed. Without the drive (older ST-LINK firmware, drive disabled) st-flash or
 * OpenOCD do it. None of this has been run against a real board here — no hardware on our machines.
 */
export interface RealBoardDef {
  /** The volume name the ST-LINK gives the drive. */
  driveName: string;
  flashAddress: string;
  /** OpenOCD config files; target/… exists in every OpenOCD release, board/… not always. */
  openocdConfigs: string[];
}

export const REAL_BOARDS: Record<RealBoardId, RealBoardDef> = {
  'nucleo-f401re': {
    driveName: 'NODE_F401RE',
    flashAddress: '0x08000000',
    openocdConfigs: ['interface/stlink.cfg', 'target/stm32f4x.cfg'],
  },
  'nucleo-g071rb': {
    driveName: 'NODE_G071RB',
    flashAddress: '0x08000000',
    openocdConfigs: ['interface/stlink.cfg', 'target/stm32g0x.cfg'],
  },
};

/** Files the ST-LINK / mbed interface firmware puts on its drive. */
const MARKER_FILES = ['DETAILS.TXT', 'MBED.HTM'];

export interface FlasherEnv {
  /** Repository/app root holding firmware/. */
  firmwareRoot: string;
  platform?: NodeJS.Platform;
  user?: string;
  /** Folders that hold mounted volumes; default per platform (see volumeRoots). */
  roots?: string[];
  /** PATH to search for st-flash and openocd. */
  pathEnv?: string;
  /** Whom the advice speaks to: the CLI names its command, the app its Build firmware button. */
  audience?: HintAudience;
}

export function firmwareImage(firmwareRoot: string, board: RealBoardId): string {
  return path.join(firmwareRoot, 'build', board, 'bitbench.bin');
}

/** Where removable volumes are mounted: udisks on Linux, /Volumes on macOS, drive letters on Windows. */
export function volumeRoots(platform: NodeJS.Platform = process.platform, user = safeUser()): string[] {
  if (platform === 'darwin') return ['/Volumes'];
  if (platform === 'win32') return 'DEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((l) => `${l}:\\`);
  return [`/media/${user}`, `/run/media/${user}`, '/media'];
}

function safeUser(): string {
  try {
    return process.env.USER ?? os.userInfo().username;
  } catch {
    return 'user';
  }
}

function boardOfDrive(name: string): RealBoardId | null {
  const upper = name.toUpperCase();
  for (const [id, def] of Object.entries(REAL_BOARDS) as Array<[RealBoardId, RealBoardDef]>) {
    if (upper === def.driveName) return id;
  }
  return null;
}

/** Why `dir` looks like a Nucleo/mbed drive (empty when it does not). */
export function driveEvidence(dir: string): string[] {
  const evidence: string[] = [];
  const name = path.basename(dir.replace(/[\\/]+$/, '')) || dir;
  if (/^NODE_/i.test(name)) evidence.push(`volume name ${name}`);
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return evidence;
  }
  const upper = new Set(entries.map((e) => e.toUpperCase()));
  for (const m of MARKER_FILES) if (upper.has(m)) evidence.push(m);
  return evidence;
}

function describeDrive(dir: string, evidence: string[]): DetectedDrive {
  const name = path.basename(dir.replace(/[\\/]+$/, '')) || dir;
  return { path: dir, name, evidence, board: boardOfDrive(name) };
}

/**
 * Mounted volumes that look like a board's drive. On Windows each root is itself a volume (D:\ …);
 * elsewhere each root holds volumes as folders. Unreadable roots are skipped.
 */
export function detectDrives(roots: string[], platform: NodeJS.Platform = process.platform): DetectedDrive[] {
  const found: DetectedDrive[] = [];
  const seen = new Set<string>();
  const consider = (dir: string) => {
    const key = path.resolve(dir);
    if (seen.has(key)) return;
    seen.add(key);
    const ev = driveEvidence(dir);
    if (ev.length > 0) found.push(describeDrive(dir, ev));
  };
  for (const root of roots) {
    if (!existsSync(root)) continue;
    if (platform === 'win32' && /^[A-Z]:\\$/i.test(root)) {
      consider(root);
      continue;
    }
    let names: string[] = [];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const n of names) {
      const dir = path.join(root, n);
      try {
        if (statSync(dir).isDirectory()) consider(dir);
      } catch {
        // a volume that vanished between readdir and stat
      }
    }
  }
  return found;
}

/** A program on PATH (with Windows' .exe), or undefined. */
export function findOnPath(
  name: string,
  pathEnv = process.env.PATH ?? '',
  platform = process.platform,
): string | undefined {
  const exts = platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of pathEnv.split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      try {
        if (statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function findTools(pathEnv?: string, platform?: NodeJS.Platform): FlashTool[] {
  const tools: FlashTool[] = [];
  for (const name of ['st-flash', 'openocd'] as const) {
    const p = findOnPath(name, pathEnv, platform);
    if (p) tools.push({ name, path: p });
  }
  return tools;
}

const INSTALL_ADVICE =
  'Plug the Nucleo in with its ST-LINK USB port (its NODE_… drive should mount), or install a probe tool: ' +
  '`apt-get install stlink-tools` (st-flash) or `apt-get install openocd` on Debian/Ubuntu, ' +
  '`brew install stlink` / `brew install open-ocd` on macOS, STM32CubeProgrammer on Windows.';

/** What `flash` would do right now, without doing it. */
export function planFlash(board: RealBoardId, env: FlasherEnv): FlashPlan {
  const platform = env.platform ?? process.platform;
  const roots = env.roots ?? volumeRoots(platform, env.user);
  const image = firmwareImage(env.firmwareRoot, board);
  const imageExists = existsSync(image);
  const drives = detectDrives(roots, platform);
  const tools = findTools(env.pathEnv, platform);
  const drive = pickDrive(drives, board);
  const method = drive ? 'drive' : (tools[0]?.name ?? 'none');
  const def = REAL_BOARDS[board];
  const build = imageExists
    ? ''
    : ` First build it: ${Hints.buildRealFirmware(env.audience ?? 'cli', board)}.`;
  const advice =
    method === 'drive'
      ? `Copy ${path.basename(image)} to ${drive!.path}; the ST-LINK programs the board and resets it.${build}`
      : method === 'none'
        ? `No ${def.driveName} drive under ${roots.slice(0, 3).join(', ')}${roots.length > 3 ? ', …' : ''} and neither st-flash nor openocd on PATH. ${INSTALL_ADVICE}`
        : `No board drive found; ${method} will program ${def.flashAddress} through the ST-LINK.${build}`;
  return {
    board,
    image,
    imageExists,
    imageBytes: imageExists ? statSync(image).size : null,
    drives,
    tools,
    method,
    searched: roots,
    advice,
  };
}

/** The drive to use: one named for this board, else the only unnamed one; never another board's. */
function pickDrive(drives: DetectedDrive[], board: RealBoardId): DetectedDrive | undefined {
  const own = drives.find((d) => d.board === board);
  if (own) return own;
  const anonymous = drives.filter((d) => d.board === null);
  return anonymous.length === 1 ? anonymous[0] : undefined;
}

/**
 * Copies the image onto the drive and flushes it: the ST-LINK starts programming when the file is
 * closed, so a half-written file must not be left behind. Verifies the size that landed.
 */
export async function copyToDrive(image: string, drive: string): Promise<{ target: string; bytes: number }> {
  const data = await fsp.readFile(image);
  const target = path.join(drive, path.basename(image));
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC);
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    throw new BitbenchError(
      'device',
      `Could not write ${target}: ${(err as Error).message}. Is the drive mounted read-write and not full?`,
    );
  } finally {
    await fh?.close();
  }
  // The drive may already have unmounted (the board resets after programming): a missing file then is fine.
  const landed = await fsp.stat(target).then(
    (s) => s.size,
    () => data.length,
  );
  if (landed !== data.length) {
    throw new BitbenchError(
      'device',
      `${target} holds ${landed} B after the copy, the image is ${data.length} B: the copy was cut short.`,
    );
  }
  return { target, bytes: data.length };
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err)
        reject(
          new BitbenchError(
            'device',
            `${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim().slice(-600)}`,
          ),
        );
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** Flashes the firmware image to a real board by the first way that is available. */
export async function flashFirmware(
  board: RealBoardId,
  env: FlasherEnv & { drive?: string },
): Promise<FlashResult> {
  const t0 = Date.now();
  const plan = planFlash(board, env);
  if (!plan.imageExists) {
    throw new BitbenchError(
      'not_found',
      `No firmware image at ${plan.image}. Build it first: ${Hints.buildRealFirmware(env.audience ?? 'cli', board)} (needs gcc-arm-none-eabi).`,
    );
  }
  const done = (
    method: FlashResult['method'],
    target: string,
    bytes: number,
    message: string,
  ): FlashResult => ({
    board,
    method,
    target,
    bytes,
    ms: Date.now() - t0,
    message,
  });
  if (env.drive) {
    if (!existsSync(env.drive) || !statSync(env.drive).isDirectory()) {
      throw new BitbenchError('not_found', `Drive ${env.drive} does not exist or is not a folder.`);
    }
    const ev = driveEvidence(env.drive);
    if (ev.length === 0) {
      throw new BitbenchError(
        'bad_request',
        `${env.drive} does not look like a Nucleo drive (no NODE_ name, no DETAILS.TXT or MBED.HTM); refusing to copy there.`,
      );
    }
    const other = boardOfDrive(path.basename(env.drive.replace(/[\\/]+$/, '')));
    if (other && other !== board) {
      throw new BitbenchError('bad_request', `${env.drive} is the drive of a ${other}, not a ${board}.`);
    }
    const r = await copyToDrive(plan.image, env.drive);
    return done(
      'drive',
      r.target,
      r.bytes,
      `Copied ${r.bytes} B to ${r.target}; the board reprograms and resets.`,
    );
  }
  if (plan.method === 'drive') {
    const drive = pickDrive(plan.drives, board)!;
    const r = await copyToDrive(plan.image, drive.path);
    return done(
      'drive',
      r.target,
      r.bytes,
      `Copied ${r.bytes} B to ${r.target}; the board reprograms and resets.`,
    );
  }
  const def = REAL_BOARDS[board];
  const bytes = plan.imageBytes ?? 0;
  if (plan.method === 'st-flash') {
    const tool = plan.tools.find((t) => t.name === 'st-flash')!;
    const args = ['--reset', 'write', plan.image, def.flashAddress];
    await run(tool.path, args, 120_000);
    return done(
      'st-flash',
      `${tool.path} ${args.join(' ')}`,
      bytes,
      `st-flash wrote ${bytes} B at ${def.flashAddress} and reset the board.`,
    );
  }
  if (plan.method === 'openocd') {
    const tool = plan.tools.find((t) => t.name === 'openocd')!;
    const elf = plan.image.replace(/\.bin$/, '.elf');
    const args = [
      ...def.openocdConfigs.flatMap((f) => ['-f', f]),
      '-c',
      `program ${elf.replace(/\\/g, '/')} verify reset exit`,
    ];
    await run(tool.path, args, 120_000);
    return done(
      'openocd',
      `${tool.path} ${args.join(' ')}`,
      bytes,
      `OpenOCD programmed and verified ${path.basename(elf)}, then reset the board.`,
    );
  }
  throw new BitbenchError('unavailable', plan.advice);
}
