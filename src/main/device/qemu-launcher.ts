// Starts QEMU with the board's UART on a pseudo-terminal, and makes sure it never outlives us.
//
// No orphan, even when this process is SIGKILLed: QEMU runs under a tiny POSIX sh watchdog whose
// stdin is a pipe held only by this process. When we die for any reason the kernel closes the pipe,
// the watchdog's `read` sees EOF and SIGKILLs QEMU. When QEMU exits the watchdog exits too.
// (Node's 'exit' handler also kills QEMU directly on a normal exit, so nothing waits on the pipe.)
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { BitbenchError } from '../../shared/errors';

const WATCHDOG = `
exec 3<&0 </dev/null
"$@" 3<&- &
q=$!
echo "bitbench-qemu-pid $q" >&2
{ while read -r _ <&3; do :; done; kill -KILL "$q" 2>/dev/null; } &
w=$!
exec 3<&-
trap 'kill -TERM "$q" 2>/dev/null' TERM INT HUP
while :; do wait "$q"; rc=$?; kill -0 "$q" 2>/dev/null || break; done
kill "$w" 2>/dev/null
exit "$rc"
`;

export interface QemuLaunchOptions {
  /** qemu-system-arm binary; default $BITBENCH_QEMU or qemu-system-arm on PATH. */
  qemu?: string;
  args: string[];
  /** How long to wait for QEMU to report its pty. */
  startTimeoutMs?: number;
  /** Label for messages ("virtual:m4"). */
  label: string;
}

export interface QemuProcess {
  readonly label: string;
  readonly ptyPath: string;
  /** The watchdog shell's pid. */
  readonly pid: number;
  /** QEMU's own pid. */
  readonly qemuPid: number;
  readonly exited: Promise<number | null>;
  readonly running: boolean;
  /** Output QEMU printed (bounded), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<{ child: ChildProcess; qemuPid: number }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort on a normal exit; SIGKILL of this process is covered by the watchdog.
  process.on('exit', () => {
    for (const p of live) {
      try {
        if (p.qemuPid > 0) process.kill(p.qemuPid, 'SIGKILL');
        else if (p.child.pid) process.kill(p.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** The executable `bin` (a path, or a name looked up on $PATH), or undefined. */
export function onPath(bin: string): string | undefined {
  if (bin.includes('/')) {
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {
      return undefined;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** The qemu-system-arm to use, or undefined when it is not installed. */
export function findQemu(explicit?: string): string | undefined {
  return onPath(explicit ?? process.env.BITBENCH_QEMU ?? 'qemu-system-arm');
}

export async function launchQemu(opts: QemuLaunchOptions): Promise<QemuProcess> {
  if (process.platform === 'win32') {
    throw new BitbenchError(
      'unavailable',
      'Virtual boards need a POSIX host (Linux or macOS) for the QEMU pty.',
    );
  }
  const qemu = findQemu(opts.qemu);
  if (!qemu) {
    throw new BitbenchError(
      'unavailable',
      `${opts.label}: qemu-system-arm not found. Install it (Debian/Ubuntu: sudo apt-get install qemu-system-arm) or set BITBENCH_QEMU.`,
    );
  }
  installExitHook();
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'bitbench-qemu', qemu, ...opts.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The pipe must not keep our event loop alive, and a broken pipe when QEMU is gone is harmless.
  child.stdin?.on('error', () => {});
  let out = '';
  const collect = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : null);
      resolve(exitCode);
    }),
  );
  const entry = { child, qemuPid: 0 };
  live.add(entry);
  void exited.then(() => live.delete(entry));

  const timeoutMs = opts.startTimeoutMs ?? 5000;
  const started = await new Promise<{ pty: string; qemuPid: number } | Error>((resolve) => {
    const check = () => {
      const pty = /char device redirected to (\/dev\/\S+)/.exec(out)?.[1];
      const pid = /bitbench-qemu-pid (\d+)/.exec(out)?.[1];
      if (pty && pid) {
        cleanup();
        resolve({ pty, qemuPid: Number(pid) });
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve(new Error(`QEMU did not report its pty within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = () => {
      cleanup();
      resolve(new Error(`QEMU exited during start-up`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', onExit);
    check();
  });
  const stop = async () => {
    if (exitCode !== undefined) return;
    const pid = entry.qemuPid;
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    } else child.kill('SIGTERM');
    if (await settlesWithin(exited, 3000)) return;
    child.stdin?.end(); // the watchdog SIGKILLs QEMU on EOF
    if (await settlesWithin(exited, 1000)) return;
    for (const p of [pid, child.pid]) {
      try {
        if (p) process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await settlesWithin(exited, 1000);
  };
  if (started instanceof Error) {
    await stop();
    const tail = out.trim().split('\n').slice(-6).join('\n');
    throw new BitbenchError(
      'device',
      `${opts.label}: ${started.message}.${tail ? ` QEMU said:\n${tail}` : ''}\nCommand: ${qemu} ${opts.args.join(' ')}`,
    );
  }
  entry.qemuPid = started.qemuPid;
  return {
    label: opts.label,
    ptyPath: started.pty,
    pid: child.pid ?? 0,
    qemuPid: started.qemuPid,
    exited,
    get running() {
      return exitCode === undefined;
    },
    output: () => out,
    stop,
  };
}

function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
