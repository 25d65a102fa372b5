// Which virtual boards the bitbench processes of this user run, so that one process can see and stop
// a board another one started (`bitbench boards stop virtual:m0` for a `boards start` in another
// terminal, or for the app's board). One small JSON file per running QEMU in the run folder, written
// when QEMU has started and removed when it exits; a file whose QEMU is gone (a SIGKILLed owner) is
// stale and removed by whoever reads it.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VirtualBoardId } from '../../shared/api/boards';

export interface RunningVirtual {
  spec: `virtual:${VirtualBoardId}`;
  qemuPid: number;
  /** The bitbench process that started it (and owns its lifetime). */
  ownerPid: number;
  /** The owner's shell: 'cli', 'electron' or 'headless-host'. */
  owner: string;
  ptyPath: string;
  startedAt: string;
}

/** $BITBENCH_RUN_DIR, else the per-user $XDG_RUNTIME_DIR, else a per-user folder in the temporary folder. */
export function runDir(): string {
  if (process.env.BITBENCH_RUN_DIR) return path.resolve(process.env.BITBENCH_RUN_DIR);
  if (process.env.XDG_RUNTIME_DIR)
    return path.join(process.env.XDG_RUNTIME_DIR, 'bitbench', 'virtual-boards');
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `bitbench-${user}`, 'virtual-boards');
}

const fileOf = (dir: string, e: Pick<RunningVirtual, 'spec' | 'qemuPid'>) =>
  path.join(dir, `${e.spec.replace(':', '-')}-${e.qemuPid}.json`);

/** Records a running QEMU; returns the function that forgets it. Never throws (the board runs without). */
export function registerVirtual(entry: RunningVirtual): () => void {
  const dir = runDir();
  const file = fileOf(dir, entry);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
  } catch {
    return () => {};
  }
  return () => rmSync(file, { force: true });
}

/** Whether `pid` is a live qemu-system process (a recycled pid of another program does not count). */
export function isQemuProcess(pid: number): boolean {
  try {
    process.kill(pid, 0); // EPERM: another user's process, not a board of ours either
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /(^|\/)qemu-system-/.test(cmd.split('\0')[0] ?? '');
  } catch {
    return false;
  }
}

/** The virtual boards running now (every process of this user), stale entries removed; `spec` filters. */
export function listRunningVirtual(spec?: string): RunningVirtual[] {
  const dir = runDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: RunningVirtual[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let e: RunningVirtual;
    try {
      e = JSON.parse(readFileSync(file, 'utf8')) as RunningVirtual;
    } catch {
      continue; // being written, or not ours
    }
    if (typeof e.qemuPid !== 'number' || !isQemuProcess(e.qemuPid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (!spec || e.spec === spec) out.push(e);
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * Stops one registered QEMU: SIGTERM (QEMU exits cleanly, its owner sees exit code 0 and reports the
 * board stopped), SIGKILL after `graceMs`. Resolves true once it is gone.
 */
export async function stopRunningVirtual(e: RunningVirtual, graceMs = 3000): Promise<boolean> {
  if (!isQemuProcess(e.qemuPid)) return true;
  const gone = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (!isQemuProcess(e.qemuPid)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return !isQemuProcess(e.qemuPid);
  };
  try {
    process.kill(e.qemuPid, 'SIGTERM');
  } catch {
    return !isQemuProcess(e.qemuPid);
  }
  if (await gone(graceMs)) return true;
  try {
    process.kill(e.qemuPid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  return gone(1000);
}
