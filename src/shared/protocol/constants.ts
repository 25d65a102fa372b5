// Constants of the bitbench serial protocol, version 1. docs/protocol.md is the source of truth;
// firmware/core/bb_protocol.h is the C mirror. Runtime-neutral: no node:* imports here.

export const PROTOCOL_VERSION = 1;

/** Decoded message: u8 type, u8 flags, u16 seq, payload, u32 CRC-32. */
export const HEADER_BYTES = 4;
export const CRC_BYTES = 4;
export const MESSAGE_OVERHEAD = HEADER_BYTES + CRC_BYTES;
/** No board may advertise a max_payload above this. */
export const PAYLOAD_LIMIT = 4096;
/** Largest decoded message a receiver accepts; anything larger is dropped. */
export const MAX_MESSAGE_BYTES = MESSAGE_OVERHEAD + PAYLOAD_LIMIT;
/** Largest COBS-encoded frame including its zero delimiter (one overhead byte per 254, +1 start, +1 delimiter). */
export const MAX_FRAME_BYTES = MAX_MESSAGE_BYTES + Math.ceil(MAX_MESSAGE_BYTES / 254) + 2;

export const Flag = {
  RESPONSE: 0x01,
  ERROR: 0x02,
  EVENT: 0x04,
} as const;

export const Command = {
  HELLO: 0x01,
  PING: 0x02,
  /** Memory and link counters (stack high-water mark, arena use, dropped frames). */
  STATS: 0x03,
  STREAM_START: 0x10,
  STREAM_STOP: 0x11,
  SAMPLES: 0x12,
  MODEL_BEGIN: 0x20,
  MODEL_CHUNK: 0x21,
  MODEL_COMMIT: 0x22,
  MODEL_INFO: 0x23,
  INFER: 0x30,
  LAYER_OUTPUT: 0x31,
  RESET: 0x40,
} as const;
export type CommandName = keyof typeof Command;
export type CommandCode = (typeof Command)[CommandName];

export function commandName(code: number): string {
  for (const [name, c] of Object.entries(Command)) if (c === code) return name;
  return `0x${code.toString(16).padStart(2, '0')}`;
}

export const BoardErrorCode = {
  BAD_REQUEST: 1,
  UNKNOWN_COMMAND: 2,
  BAD_STATE: 3,
  CRC_MISMATCH: 4,
  TOO_LARGE: 5,
  NO_MODEL: 6,
  NOT_IMPLEMENTED: 7,
  UNSUPPORTED_MODEL: 8,
  BUSY: 9,
} as const;
export type BoardErrorName = keyof typeof BoardErrorCode;

export function boardErrorName(code: number): BoardErrorName | `ERROR_${number}` {
  for (const [name, c] of Object.entries(BoardErrorCode)) if (c === code) return name as BoardErrorName;
  return `ERROR_${code}`;
}

/**
 * Line rate of our firmware on real boards (docs/protocol.md, "Physical link"): the ST-LINK virtual COM
 * port drives the board's UART at the rate the host opens it with, so the host must open it at this
 * rate (a pty ignores it). Firmware built with BB_UART_BAUD=… needs that rate instead.
 */
export const PROTOCOL_BAUD_RATE = 460800;

/** Host-side timing (docs/protocol.md, "Timeouts"). */
export const Timeouts = {
  responseMs: 500,
  /** MODEL_COMMIT and INFER run the CRC / the model before answering. */
  slowResponseMs: 2000,
  retries: 3,
  helloVirtualMs: 5000,
  helloRealMs: 10000,
} as const;

/** Channel mask bit i is channel i, in this order. */
export const CHANNEL_COUNT = 6;
export const ALL_CHANNELS_MASK = 0x3f;

export const CounterKind = {
  CYCLES: 0,
  INSTRUCTIONS: 1,
  MICROSECONDS: 2,
} as const;
export type CounterKindName = 'cycles' | 'instructions' | 'microseconds';
export function counterKindName(kind: number): CounterKindName {
  return kind === CounterKind.INSTRUCTIONS
    ? 'instructions'
    : kind === CounterKind.MICROSECONDS
      ? 'microseconds'
      : 'cycles';
}

/** HelloInfo.kernel_mask bits, in bit order. */
export const KERNEL_NAMES = [
  'conv1d',
  'conv2d',
  'depthwise',
  'dense',
  'gru',
  'pool',
  'relu',
  'softmax',
] as const;

/** HelloInfo.weight_bits_mask: bit (n-1) set means n-bit weights. */
export function weightBitsFromMask(mask: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 8; bit++) if (mask & (1 << bit)) out.push(bit + 1);
  return out;
}

export function kernelsFromMask(mask: number): string[] {
  return KERNEL_NAMES.filter((_, i) => (mask & (1 << i)) !== 0);
}

export const ModelState = { NONE: 0, ACTIVE: 1, LOADING: 2 } as const;
export const MODEL_SLOT_NONE = 0xff;
export const MODEL_HASH_BYTES = 8;
export const HELLO_FIXED_BYTES = 38;
export const MODEL_INFO_BYTES = 24;
export const SAMPLES_HEADER_BYTES = 12;
export const STATS_BYTES = 20;
