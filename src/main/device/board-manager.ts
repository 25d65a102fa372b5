// All boards of this process: virtual boards it started, serial ports it opened, discovery.
// One instance per AppContext: ctx.singleton('boards', () => new BoardManager(ctx)).
import type { BoardEntry, BoardList, ConnectionState, ParsedBoardSpec } from '../../shared/api/boards';
import { parseBoardSpec, VIRTUAL_BOARD_IDS, type VirtualBoardId } from '../../shared/api/boards';
import { BitbenchError } from '../../shared/errors';
import { Hints } from '../../shared/hints';
import { Timeouts, type HelloInfo } from '../../shared/protocol';
import type { AppContext } from '../context';
import { BoardsRepo } from '../store/boards-repo';
import { BoardConnection, openClient, type OpenOptions } from './board-connection';
import { counterUnitOf } from './counter-unit';
import { BoardClosedError } from './errors';
import { discoverSerialPorts } from './discovery';
import { launchQemu, type QemuProcess } from './qemu-launcher';
import { qemuArgs, VIRTUAL_BOARDS, virtualAvailability, virtualUnavailableReason } from './virtual-boards';
import {
  listRunningVirtual,
  registerVirtual,
  stopRunningVirtual,
  type RunningVirtual,
} from './virtual-registry';

export { BoardConnection } from './board-connection';

export function parseSpecOrThrow(spec: string): ParsedBoardSpec {
  const p = parseBoardSpec(spec);
  if ('error' in p) throw new BitbenchError('bad_request', p.error);
  return p;
}

export interface ConnectOptions extends Omit<OpenOptions, 'handshakeMs'> {
  handshakeMs?: number;
}

export class BoardManager {
  private readonly connections = new Map<string, BoardConnection>();
  private readonly pending = new Map<string, Promise<BoardConnection>>();
  private readonly virtuals = new Map<VirtualBoardId, QemuProcess>();
  /** QEMUs this manager is stopping on purpose: their exit is a stop, not a failure. */
  private readonly stopping = new Set<QemuProcess>();
  private readonly states = new Map<string, { state: ConnectionState; error: string | null }>();
  private readonly repo: BoardsRepo;
  private closing = false;

  constructor(private readonly ctx: AppContext) {
    this.repo = new BoardsRepo(ctx.db);
    ctx.onClose(() => this.closeAll());
  }

  /** The open connection for `spec`, if any. */
  get(spec: string): BoardConnection | undefined {
    const c = this.connections.get(parseSpecOrThrow(spec).spec);
    return c?.isOpen ? c : undefined;
  }

  /** Connects (starting QEMU for a virtual board), or returns the open connection. */
  connect(spec: string, opts: ConnectOptions = {}): Promise<BoardConnection> {
    const parsed = parseBoardSpec(spec);
    if ('error' in parsed) return Promise.reject(new BitbenchError('bad_request', parsed.error));
    const open = this.connections.get(parsed.spec);
    if (open?.isOpen) return Promise.resolve(open);
    const inflight = this.pending.get(parsed.spec);
    if (inflight) return inflight;
    const p = this.doConnect(parsed, opts).finally(() => this.pending.delete(parsed.spec));
    this.pending.set(parsed.spec, p);
    return p;
  }

  private async doConnect(parsed: ParsedBoardSpec, opts: ConnectOptions): Promise<BoardConnection> {
    if (this.closing) throw new BitbenchError('unavailable', 'the board manager is shutting down');
    this.setState(parsed.spec, 'connecting', null, null);
    try {
      let path: string;
      let handshakeMs = opts.handshakeMs ?? Timeouts.helloRealMs;
      let qemu: QemuProcess | undefined;
      if (parsed.kind === 'virtual') {
        qemu = await this.startVirtual(parsed.spec);
        path = qemu.ptyPath;
        handshakeMs = opts.handshakeMs ?? Timeouts.helloVirtualMs;
      } else path = parsed.path;
      // The app's errors point at its Devices page, the CLI's at `bitbench boards list`.
      const openOpts: OpenOptions = {
        audience: this.ctx.audience,
        ...opts,
        handshakeMs,
      };
      let client;
      try {
        client = await openClient(path, openOpts);
      } catch (err) {
        // A QEMU that just died (its exit not yet reaped) took its pty with it: start a fresh one once.
        if (
          qemu &&
          err instanceof BitbenchError &&
          err.code === 'not_found' &&
          (await exitsWithin(qemu, 1000))
        ) {
          qemu = await this.startVirtual(parsed.spec);
          path = qemu.ptyPath;
          client = await openClient(path, openOpts);
        } else if (qemu && err instanceof BitbenchError && err.code === 'timeout') {
          const tail = qemu.output().trim().split('\n').slice(-4).join('\n');
          throw new BitbenchError(
            'timeout',
            `${parsed.spec} (${path}): the virtual board started but its firmware never answered HELLO. ` +
              `${Hints.rebuildVirtualFirmware(this.ctx.audience)}.` +
              (tail ? `\nQEMU said:\n${tail}` : ''),
          );
        } else throw err;
      }
      const conn = new BoardConnection(parsed.spec, client, openOpts);
      conn.onState((state, err) => {
        if (state === 'connected') this.recordSeen(parsed, conn.info);
        this.setState(
          parsed.spec,
          state,
          conn.port,
          state === 'connected' ? conn.info : null,
          err?.message ?? null,
        );
      });
      this.connections.set(parsed.spec, conn);
      this.recordSeen(parsed, client.info!);
      this.setState(parsed.spec, 'connected', path, client.info!);
      return conn;
    } catch (err) {
      this.setState(parsed.spec, 'error', null, null, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /** Starts QEMU for a virtual board (no-op if it runs) and returns the process. */
  async startVirtual(spec: string): Promise<QemuProcess> {
    const parsed = parseSpecOrThrow(spec);
    if (parsed.kind !== 'virtual') throw new BitbenchError('bad_request', `${spec} is not a virtual board`);
    const running = this.virtuals.get(parsed.id);
    if (running?.running) return running;
    const def = VIRTUAL_BOARDS[parsed.id];
    const why = virtualUnavailableReason(def, undefined, this.ctx.audience);
    if (why) throw new BitbenchError('unavailable', `${parsed.spec} cannot start: ${why}.`);
    const proc = await launchQemu({ label: parsed.spec, args: qemuArgs(def) });
    this.virtuals.set(parsed.id, proc);
    const forget = registerVirtual({
      spec: parsed.spec,
      qemuPid: proc.qemuPid,
      ownerPid: process.pid,
      owner: this.ctx.shell,
      ptyPath: proc.ptyPath,
      startedAt: new Date().toISOString(),
    });
    void proc.exited.then(async (code) => {
      forget();
      if (this.virtuals.get(parsed.id) === proc) this.virtuals.delete(parsed.id);
      // Stopped by us, or asked to stop (SIGTERM: `boards stop`, exit code 0), or it died.
      const failure =
        this.stopping.delete(proc) || code === 0 ? null : unexpectedExit(parsed.spec, proc, code);
      // QEMU gone: the pty is gone with it, so the connection is too.
      const conn = this.connections.get(parsed.spec);
      if (conn?.isOpen && conn.port === proc.ptyPath) {
        const why = new BoardClosedError(
          proc.ptyPath,
          failure ?? `QEMU for ${parsed.spec} was stopped; start the board again`,
        );
        await conn.close(why).catch(() => {});
      }
      if (!this.closing && !this.virtuals.get(parsed.id)?.running) {
        if (failure) this.setState(parsed.spec, 'error', null, null, failure);
        else this.setState(parsed.spec, 'stopped', null, null);
      }
    });
    return proc;
  }

  async stopVirtual(spec: string): Promise<boolean> {
    const parsed = parseSpecOrThrow(spec);
    if (parsed.kind !== 'virtual') throw new BitbenchError('bad_request', `${spec} is not a virtual board`);
    const conn = this.connections.get(parsed.spec);
    if (conn) {
      this.connections.delete(parsed.spec);
      await conn.close().catch(() => {});
    }
    const proc = this.virtuals.get(parsed.id);
    if (!proc) return conn !== undefined;
    this.virtuals.delete(parsed.id);
    this.stopping.add(proc);
    await proc.stop();
    this.setState(parsed.spec, 'stopped', null, null);
    return true;
  }

  /**
   * Stops `spec` wherever it runs: this process's QEMU, and those other bitbench processes of this user
   * started (a `boards start` in another terminal, the app). Returns what was running.
   */
  async stopEverywhere(spec: string): Promise<RunningVirtual[]> {
    const parsed = parseSpecOrThrow(spec);
    if (parsed.kind !== 'virtual')
      throw new BitbenchError(
        'bad_request',
        `${parsed.spec}: only virtual boards (virtual:m4, virtual:m0) can be stopped; disconnect a serial board instead`,
      );
    const running = listRunningVirtual(parsed.spec);
    const mine = this.virtuals.get(parsed.id);
    if (mine?.running) await this.stopVirtual(parsed.spec);
    const others = running.filter((e) => e.qemuPid !== mine?.qemuPid);
    const left = (
      await Promise.all(others.map(async (e) => ((await stopRunningVirtual(e)) ? null : e)))
    ).filter((e) => e !== null);
    if (left.length)
      throw new BitbenchError(
        'device',
        `${parsed.spec}: QEMU ${left.map((e) => `pid ${e.qemuPid}`).join(', ')} did not stop; end it by hand (kill -9)`,
      );
    return running;
  }

  /** Closes the connection; a virtual board's QEMU is stopped too unless `stopVirtual` is false. */
  async disconnect(spec: string, opts: { stopVirtual?: boolean } = {}): Promise<boolean> {
    const parsed = parseSpecOrThrow(spec);
    await this.pending.get(parsed.spec)?.catch(() => undefined);
    if (parsed.kind === 'virtual' && (opts.stopVirtual ?? true)) return this.stopVirtual(parsed.spec);
    const conn = this.connections.get(parsed.spec);
    if (!conn) return false;
    this.connections.delete(parsed.spec);
    await conn.close().catch(() => {});
    this.setState(parsed.spec, 'disconnected', conn.port, null);
    return true;
  }

  /** The QEMU process of a running virtual board (tests and `boards start` use it). */
  virtualProcess(spec: string): QemuProcess | undefined {
    const p = parseSpecOrThrow(spec);
    return p.kind === 'virtual' ? this.virtuals.get(p.id) : undefined;
  }

  async list(): Promise<BoardList> {
    const boards: BoardEntry[] = [];
    const seen = new Map(this.repo.list().map((r) => [r.spec, r]));
    const stateOf = (spec: string) => this.states.get(spec);
    // Why a serial board is not connected any more: it vanished, or its connect failed.
    const lostReason = (spec: string) => {
      const st = stateOf(spec);
      return st && (st.state === 'disconnected' || st.state === 'error') ? st.error : null;
    };
    for (const id of VIRTUAL_BOARD_IDS) {
      const def = VIRTUAL_BOARDS[id];
      const conn = this.connections.get(def.spec);
      const proc = this.virtuals.get(id);
      const availability = virtualAvailability(def, undefined, this.ctx.audience);
      const why = availability.reason ?? null;
      const info = conn?.isOpen ? conn.info : (seen.get(def.spec)?.info ?? null);
      const st = stateOf(def.spec);
      boards.push({
        ...blankEntry(def.spec, 'virtual', def.name),
        state: conn?.isOpen
          ? 'connected'
          : this.pending.has(def.spec)
            ? 'connecting'
            : proc?.running
              ? 'disconnected'
              : st?.state === 'error'
                ? 'error'
                : 'stopped',
        port: proc?.running ? proc.ptyPath : null,
        error: !conn?.isOpen && !proc?.running && st?.state === 'error' ? st.error : null,
        runningElsewhere: listRunningVirtual(def.spec)
          .filter((e) => e.qemuPid !== proc?.qemuPid)
          .map((e) => ({ owner: e.owner, ownerPid: e.ownerPid, qemuPid: e.qemuPid, port: e.ptyPath })),
        unavailableReason: why,
        firmwareMissing: availability.firmwareMissing,
        info,
        counter: info ? counterUnitOf(info) : null,
        lastSeenAt: seen.get(def.spec)?.lastSeenAt ?? null,
      });
    }
    const discovery = await discoverSerialPorts();
    const listed = new Set<string>();
    for (const p of discovery.ports) {
      listed.add(p.path);
      const conn = this.connections.get(p.path);
      const info = conn?.isOpen ? conn.info : (seen.get(p.path)?.info ?? null);
      boards.push({
        ...blankEntry(p.path, 'serial', info?.board ?? p.manufacturer ?? 'serial port'),
        error: conn?.isOpen ? null : lostReason(p.path),
        state: conn?.isOpen ? 'connected' : this.pending.has(p.path) ? 'connecting' : 'available',
        port: p.path,
        info,
        counter: info ? counterUnitOf(info) : null,
        manufacturer: p.manufacturer,
        serialNumber: p.serialNumber,
        vendorId: p.vendorId,
        productId: p.productId,
        lastSeenAt: seen.get(p.path)?.lastSeenAt ?? null,
      });
    }
    // Ports opened by hand (ptys never show up in discovery) and boards seen before.
    for (const [spec, conn] of this.connections) {
      if (listed.has(spec) || spec.startsWith('virtual:') || !conn.isOpen) continue;
      listed.add(spec);
      boards.push({
        ...blankEntry(spec, 'serial', conn.info.board),
        state: 'connected',
        port: conn.port,
        info: conn.info,
        counter: counterUnitOf(conn.info),
        lastSeenAt: seen.get(spec)?.lastSeenAt ?? null,
      });
    }
    // Ports being connected to (a reloaded page must not offer Connect again).
    for (const spec of this.pending.keys()) {
      if (listed.has(spec) || spec.startsWith('virtual:')) continue;
      listed.add(spec);
      const row = seen.get(spec);
      boards.push({
        ...blankEntry(spec, 'serial', row?.name ?? 'serial port'),
        state: 'connecting',
        port: spec,
        info: row?.info ?? null,
        counter: row?.info ? counterUnitOf(row.info) : null,
        lastSeenAt: row?.lastSeenAt ?? null,
      });
    }
    for (const row of seen.values()) {
      // A pseudo-terminal's number is reused by the next program that opens one (a shell, another
      // QEMU): a pty seen before is no board to offer again.
      if (row.kind !== 'serial' || listed.has(row.spec) || isPty(row.spec)) continue;
      boards.push({
        ...blankEntry(row.spec, 'serial', row.name),
        error: lostReason(row.spec),
        state: 'disconnected',
        port: row.spec,
        info: row.info,
        counter: row.info ? counterUnitOf(row.info) : null,
        lastSeenAt: row.lastSeenAt,
      });
    }
    return { boards, discoveryNote: discovery.note };
  }

  /** Closes every connection and stops every QEMU this process started. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.pending.values()]);
    await Promise.allSettled([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
    await Promise.allSettled([...this.virtuals.values()].map((p) => (this.stopping.add(p), p.stop())));
    this.virtuals.clear();
  }

  private recordSeen(parsed: ParsedBoardSpec, info: HelloInfo): void {
    try {
      this.repo.seen(parsed.spec, info.board, parsed.kind, info);
    } catch {
      // the board works without the history row; a locked database must not fail a connect
    }
  }

  private setState(
    spec: string,
    state: ConnectionState,
    port: string | null,
    info: HelloInfo | null,
    error: string | null = null,
  ): void {
    this.states.set(spec, { state, error });
    this.ctx.events.emit('board', { spec, state, port, info, error, at: new Date().toISOString() });
  }
}

function isPty(path: string): boolean {
  return /^\/dev\/(pts\/\d+|ttys\d+|ttyp\w+)$/.test(path);
}

/** Why a QEMU that nobody asked to stop ended, with the last thing it printed. */
function unexpectedExit(spec: string, proc: QemuProcess, code: number | null): string {
  const how =
    code === null
      ? 'without an exit code'
      : code > 128
        ? `killed by signal ${code - 128}`
        : `exit code ${code}`;
  const said = proc
    .output()
    .split('\n')
    .map((l) => l.trim())
    // Not the launcher's own lines, nor the shell's "Killed" that repeats the signal.
    .filter((l) => l && !/^char device redirected|^bitbench-qemu-pid|^(Killed|Terminated)$/.test(l))
    .at(-1);
  return `QEMU for ${spec} exited unexpectedly (${how}${said ? `: ${said}` : ''}); start the board again`;
}

async function exitsWithin(proc: QemuProcess, ms: number): Promise<boolean> {
  if (!proc.running) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const exited = await Promise.race([proc.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return exited;
}

function blankEntry(spec: string, kind: 'virtual' | 'serial', name: string): BoardEntry {
  return {
    spec,
    kind,
    name,
    state: 'available',
    port: null,
    error: null,
    runningElsewhere: [],
    unavailableReason: null,
    firmwareMissing: false,
    info: null,
    counter: null,
    manufacturer: null,
    serialNumber: null,
    vendorId: null,
    productId: null,
    lastSeenAt: null,
  };
}

/** The process-wide manager of `ctx`. */
export function boardManager(ctx: AppContext): BoardManager {
  return ctx.singleton('boards', () => new BoardManager(ctx));
}

/**
 * A connection to `spec` that answers now. A board that vanished can leave a connection that still
 * looks open until its port reports the loss (a killed QEMU, an unplugged USB board): one short PING
 * tells, and such a connection is dropped and opened afresh (a virtual board restarts).
 */
export async function liveConnection(ctx: AppContext, spec: string): Promise<BoardConnection> {
  const boards = boardManager(ctx);
  const conn = await boards.connect(spec);
  try {
    await conn.client.ping(undefined, { timeoutMs: 300, retries: 1 });
    return conn;
  } catch {
    await boards.disconnect(spec).catch(() => false);
    return boards.connect(spec);
  }
}
