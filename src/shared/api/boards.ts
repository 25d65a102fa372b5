import { z } from 'zod';
import { HelloInfoSchema, ModelInfoSchema } from '../protocol/messages';
import { method } from './define';

/**
 * One board specifier, used everywhere (CLI --board, UI, recording, flashing):
 * `virtual:m4`, `virtual:m0`, or a serial port path (/dev/ttyACM0, /dev/pts/3, COM3).
 */
export const VIRTUAL_BOARD_IDS = ['m4', 'm0'] as const;
export type VirtualBoardId = (typeof VIRTUAL_BOARD_IDS)[number];

export type ParsedBoardSpec =
  | { kind: 'virtual'; spec: `virtual:${VirtualBoardId}`; id: VirtualBoardId }
  | { kind: 'serial'; spec: string; path: string };

export const BOARD_SPEC_HELP =
  'Use virtual:m4 (QEMU Cortex-M4), virtual:m0 (QEMU Cortex-M0) or a serial port path such as /dev/ttyACM0 or COM3 (see `bitbench boards list`).';

/** Parses a board specifier; returns an error message naming it when it is not one. */
export function parseBoardSpec(raw: string): ParsedBoardSpec | { error: string } {
  const s = raw.trim();
  if (s.toLowerCase().startsWith('virtual:')) {
    const id = s.slice('virtual:'.length).toLowerCase();
    if ((VIRTUAL_BOARD_IDS as readonly string[]).includes(id)) {
      return { kind: 'virtual', spec: `virtual:${id as VirtualBoardId}`, id: id as VirtualBoardId };
    }
    return { error: `Unknown virtual board "${raw}". ${BOARD_SPEC_HELP}` };
  }
  if (/^\/dev\/\S+$/.test(s) || /^COM\d+$/i.test(s) || /^\\\\\.\\COM\d+$/i.test(s)) {
    return { kind: 'serial', spec: s, path: s };
  }
  return { error: `Unknown board specifier "${raw}". ${BOARD_SPEC_HELP}` };
}

export const BoardSpecInput = z.string().min(1).max(256);

export const ConnectionStateSchema = z.enum([
  'stopped',
  'available',
  'connecting',
  'connected',
  'disconnected',
  'error',
]);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

/** What the counter in every timing result counts, with the unit spelled out. */
export const CounterUnitSchema = z.object({
  kind: z.enum(['cycles', 'instructions', 'microseconds']),
  /** Human label, e.g. "instructions (QEMU -icount shift=3)" or "cycles @ 84 MHz". */
  label: z.string(),
});
export type CounterUnit = z.infer<typeof CounterUnitSchema>;

/** A virtual board another bitbench process runs: `boards stop` ends it, its port is usable when free. */
export const RunningElsewhereSchema = z.object({
  /** 'cli', 'boards start', 'electron' or 'headless-host'. */
  owner: z.string(),
  ownerPid: z.number().int(),
  qemuPid: z.number().int(),
  port: z.string(),
});
export type RunningElsewhere = z.infer<typeof RunningElsewhereSchema>;

export const StopResultSchema = z.object({
  spec: z.string(),
  /** What was running and is stopped now: this process's board and those of other processes. */
  stopped: z.array(RunningElsewhereSchema),
});
export type StopResult = z.infer<typeof StopResultSchema>;

export const BoardEntrySchema = z.object({
  spec: z.string(),
  kind: z.enum(['virtual', 'serial']),
  name: z.string(),
  state: ConnectionStateSchema,
  /** Port path once known (the QEMU pty for virtual boards). */
  port: z.string().nullable(),
  /** Why the board failed (state `error`): a connect that failed, a QEMU that died. */
  error: z.string().nullable(),
  /** A virtual board's QEMUs that other bitbench processes run (a `boards start`, the app). */
  runningElsewhere: z.array(RunningElsewhereSchema),
  /** Why a virtual board cannot start here (no QEMU, no firmware build), else null. */
  unavailableReason: z.string().nullable(),
  /**
   * A virtual board that cannot start only because its firmware image is not built: `firmware.build`
   * (every board) makes it available (the Devices page's Build firmware button).
   */
  firmwareMissing: z.boolean(),
  info: HelloInfoSchema.nullable(),
  counter: CounterUnitSchema.nullable(),
  manufacturer: z.string().nullable(),
  serialNumber: z.string().nullable(),
  vendorId: z.string().nullable(),
  productId: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
});
export type BoardEntry = z.infer<typeof BoardEntrySchema>;

export const BoardListSchema = z.object({
  boards: z.array(BoardEntrySchema),
  /** Set when serial port discovery failed or is limited (e.g. no udevadm). */
  discoveryNote: z.string().nullable(),
});
export type BoardList = z.infer<typeof BoardListSchema>;

export const BoardInfoSchema = z.object({
  spec: z.string(),
  port: z.string(),
  state: ConnectionStateSchema,
  info: HelloInfoSchema,
  counter: CounterUnitSchema,
  model: ModelInfoSchema.nullable(),
});
export type BoardInfo = z.infer<typeof BoardInfoSchema>;

export const PingStatsSchema = z.object({
  spec: z.string(),
  port: z.string(),
  count: z.number().int(),
  payloadBytes: z.number().int(),
  failures: z.number().int(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  meanMs: z.number(),
  minMs: z.number(),
  maxMs: z.number(),
  /** The board's counter unit, so every output says what "time" means on it. */
  counter: CounterUnitSchema,
});
export type PingStats = z.infer<typeof PingStatsSchema>;

/**
 * Line rate for a serial board: its firmware's BB_UART_BAUD when built with another one. Default
 * $BITBENCH_BAUD, else 460800 (docs/protocol.md); ignored by virtual boards and by an open connection.
 */
export const BaudRateInput = z.number().int().min(300).max(4_000_000).optional();

const BoardInput = z.object({ board: BoardSpecInput, baudRate: BaudRateInput });

export const boardsService = {
  /** Virtual boards, serial ports found, boards seen before. */
  list: method(z.object({}).default({}), BoardListSchema),
  /** Connects (starting a virtual board if needed) and returns HELLO and model info. */
  info: method(BoardInput, BoardInfoSchema),
  connect: method(BoardInput, BoardInfoSchema),
  /** Closes the connection; `stopVirtual` also stops QEMU for a virtual board (default true). */
  disconnect: method(
    z.object({ board: BoardSpecInput, stopVirtual: z.boolean().default(true) }),
    z.object({ disconnected: z.boolean() }),
  ),
  /**
   * Stops a virtual board wherever it runs (this process, a `boards start` elsewhere, the app);
   * nothing running is not an error (`stopped` is empty).
   */
  stop: method(z.object({ board: BoardSpecInput }), StopResultSchema),
  ping: method(
    z.object({
      board: BoardSpecInput,
      baudRate: BaudRateInput,
      count: z.number().int().min(1).max(100_000).default(100),
      payloadBytes: z.number().int().min(0).max(4096).default(0),
    }),
    PingStatsSchema,
  ),
};

/** Pushed on every connection state change. */
export const BoardEventSchema = z.object({
  spec: z.string(),
  state: ConnectionStateSchema,
  port: z.string().nullable(),
  info: HelloInfoSchema.nullable(),
  error: z.string().nullable(),
  at: z.string(),
});
export type BoardEvent = z.infer<typeof BoardEventSchema>;
