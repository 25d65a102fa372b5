import type { Command } from 'commander';
import type { BoardEntry, BoardEvent, BoardInfo, PingStats, StopResult } from '../../../shared/api/boards';
import { BitbenchError } from '../../../shared/errors';
import { hex32 } from '../../device/model-load';
import { command, fail, optionsOf, type CliRuntime } from '../runtime';
import { withSnakeCase } from '../snake-case';

const kib = (n: number) => `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;

function renderEntry(b: BoardEntry): string {
  const where = b.port ? ` on ${b.port}` : '';
  const detail = b.unavailableReason
    ? `unavailable: ${b.unavailableReason}`
    : b.info
      ? `${b.info.board}, ${b.info.cpu}, firmware ${b.info.firmwareVersion}; counter: ${b.counter?.label ?? '?'}`
      : [b.manufacturer, b.vendorId && b.productId ? `${b.vendorId}:${b.productId}` : null]
          .filter(Boolean)
          .join(' ') || 'not probed yet';
  const more = [
    b.error ? `error: ${b.error}` : null,
    ...b.runningElsewhere.map(
      (e) => `also running in ${ownerName[e.owner] ?? e.owner} (pid ${e.ownerPid}) on ${e.port}`,
    ),
  ].filter((x) => x !== null);
  return [`${b.spec.padEnd(16)} ${b.state.padEnd(12)} ${b.name}${where}`, detail, ...more].join(
    `\n${' '.repeat(17)}`,
  );
}

export function renderInfo(v: BoardInfo): string {
  const i = v.info;
  const model = v.model
    ? v.model.state === 'active'
      ? `active in slot ${v.model.slot}, ${v.model.size} B, crc ${hex32(v.model.crc32)}`
      : v.model.state
    : 'unknown (MODEL_INFO not answered)';
  return [
    `${v.spec} on ${v.port} — ${v.state}`,
    `board         ${i.board} (${i.cpu} @ ${(i.clockHz / 1e6).toFixed(i.clockHz % 1e6 ? 2 : 0)} MHz)`,
    `counter       ${v.counter.label}`,
    `RAM           ${kib(i.ramBytes)}, ${kib(i.ramFree)} free`,
    `flash         ${kib(i.flashBytes)}, ${kib(i.flashFree)} free`,
    `model slot    ${kib(i.modelSlotBytes)}; inference arena ${kib(i.arenaBytes)}`,
    `protocol      v${i.protocolVersion}, max payload ${i.maxPayload} B`,
    `firmware      ${i.firmwareVersion} (build ${i.buildId || '?'})`,
    `kernels       ${i.kernels.length ? i.kernels.join(', ') : 'none yet'}; weight bits ${i.weightBits.length ? i.weightBits.join('/') : 'none yet'}`,
    `model         ${model}`,
  ].join('\n');
}

function renderPing(v: PingStats): string {
  const f = (x: number) => x.toFixed(3);
  return [
    `PING ${v.spec} (${v.port}): ${v.count} round trips of ${v.payloadBytes} B, ${v.failures} failed`,
    `round trip    p50 ${f(v.p50Ms)} ms   p99 ${f(v.p99Ms)} ms   mean ${f(v.meanMs)} ms   (min ${f(v.minMs)}, max ${f(v.maxMs)}; host wall clock)`,
    `board counter ${v.counter.label}`,
  ].join('\n');
}

function boardOption(cmd: Command): Command {
  return cmd
    .requiredOption('--board <spec>', 'virtual:m4, virtual:m0 or a serial port path')
    .option(
      '--baud <rate>',
      "serial line rate: the firmware's BB_UART_BAUD (default $BITBENCH_BAUD, else 460800; ptys ignore it)",
    );
}

/** --baud as a number, or undefined for the default. */
function baudOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 300 || n > 4_000_000)
    fail(`--baud ${raw}: give the line rate in baud, a whole number from 300 to 4000000`);
  return n;
}

export function registerBoardsCommands(program: Command, rt: CliRuntime): void {
  const boards = program
    .command('boards')
    .description('boards: virtual (QEMU) and serial; list, info, ping, start, stop');

  command(boards, 'list', 'virtual boards, serial ports found, boards seen before').action(
    async (_o, cmd: Command) => {
      const opts = optionsOf(cmd);
      const { services } = await rt.open(opts);
      // --json: snake_case fields (as every other command's) beside the camelCase ones scripts already use.
      const list = withSnakeCase(await services.boards.list({}));
      rt.print(opts, list, (v) =>
        [
          ...v.boards.map(renderEntry),
          v.boards.some((b) => b.kind === 'serial')
            ? null
            : 'No serial boards found — plug one in, or use virtual:m4 / virtual:m0.',
          v.discoveryNote ? `note: ${v.discoveryNote}` : null,
        ]
          .filter((x) => x !== null)
          .join('\n'),
      );
    },
  );

  boardOption(
    command(boards, 'info', 'connect and show the board: CPU, clock, memory, firmware, counter unit, model'),
  ).action(async (_o, cmd: Command) => {
    const opts = optionsOf<{ db?: string; json?: boolean; board: string; baud?: string }>(cmd);
    const baudRate = baudOf(opts.baud);
    const { services } = await rt.open(opts);
    rt.print(opts, withSnakeCase(await services.boards.info({ board: opts.board, baudRate })), renderInfo);
  });

  boardOption(command(boards, 'ping', 'round-trip latency: p50 / p99 / mean in ms'))
    .option('--count <n>', 'round trips', '100')
    .option('--size <bytes>', 'payload bytes per ping', '0')
    .action(async (_o, cmd: Command) => {
      const opts = optionsOf<{
        db?: string;
        json?: boolean;
        board: string;
        baud?: string;
        count: string;
        size: string;
      }>(cmd);
      const baudRate = baudOf(opts.baud);
      const count = Number(opts.count);
      const size = Number(opts.size);
      if (!Number.isInteger(count) || count < 1 || count > 100_000)
        fail(`--count ${opts.count}: give a whole number from 1 to 100000`);
      if (!Number.isInteger(size) || size < 0 || size > 4096)
        fail(`--size ${opts.size}: give a whole number of bytes from 0 to 4096`);
      const { services } = await rt.open(opts);
      rt.print(
        opts,
        withSnakeCase(await services.boards.ping({ board: opts.board, baudRate, count, payloadBytes: size })),
        renderPing,
      );
    });

  command(
    boards,
    'start <spec>',
    'start a virtual board and keep it running until Ctrl-C or `boards stop` (prints its pty)',
  ).action(async (spec: string, _o, cmd: Command) => {
    const opts = optionsOf(cmd);
    if (!spec.startsWith('virtual:'))
      fail(`${spec}: only virtual boards (virtual:m4, virtual:m0) can be started`);
    const { ctx, services } = await rt.open(opts);
    const info = await services.boards.connect({ board: spec });
    // Free the pty for other programs (`--board /dev/pts/N`); this process only keeps QEMU alive.
    await services.boards.disconnect({ board: info.spec, stopVirtual: false });
    rt.print(
      opts,
      withSnakeCase(info),
      (v) =>
        `${renderInfo(v)}\n\nRunning. Other commands reach this board with --board ${v.port} ` +
        `(--board ${v.spec} starts a board of its own).\n` +
        `Press Ctrl-C or run \`bitbench boards stop ${v.spec}\` to stop it.`,
    );
    const ended = await new Promise<BoardEvent | 'signal'>((resolve) => {
      const onSignal = () => resolve('signal');
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const unsubscribe = ctx.events.subscribe((name, payload) => {
        const e = payload as BoardEvent;
        if (name !== 'board' || e.spec !== info.spec || (e.state !== 'stopped' && e.state !== 'error'))
          return;
        unsubscribe();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve(e);
      });
    });
    if (ended === 'signal') {
      await services.boards.disconnect({ board: info.spec, stopVirtual: true });
      return;
    }
    if (ended.state === 'error')
      throw new BitbenchError('device', ended.error ?? `QEMU for ${info.spec} exited unexpectedly`);
    if (!opts.json) process.stderr.write(`${info.spec} stopped.\n`);
  });

  command(
    boards,
    'stop <spec>',
    'stop a virtual board wherever it runs: a `boards start` in another terminal, the app, this machine',
  ).action(async (spec: string, _o, cmd: Command) => {
    const opts = optionsOf(cmd);
    const { services } = await rt.open(opts);
    rt.print(opts, withSnakeCase(await services.boards.stop({ board: spec })), renderStop);
  });
}

const ownerName: Record<string, string> = {
  cli: 'a bitbench command',
  electron: 'the bitbench app',
  'headless-host': 'the bitbench headless host',
};

export function renderStop(v: StopResult): string {
  if (v.stopped.length === 0) return `${v.spec} is not running; nothing to stop.`;
  return v.stopped
    .map(
      (e) =>
        `Stopped ${v.spec} on ${e.port} (QEMU pid ${e.qemuPid}, started by ${ownerName[e.owner] ?? e.owner}, pid ${e.ownerPid}).`,
    )
    .join('\n');
}
