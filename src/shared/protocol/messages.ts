// Decoded payload types of the bitbench serial protocol (docs/protocol.md), with zod schemas for the
// ones that cross the main ↔ UI boundary. Runtime-neutral.
import { z } from 'zod';

export const CounterKindSchema = z.enum(['cycles', 'instructions', 'microseconds']);

export const HelloInfoSchema = z.object({
  protocolVersion: z.number().int(),
  maxPayload: z.number().int(),
  clockHz: z.number().int(),
  ramBytes: z.number().int(),
  ramFree: z.number().int(),
  flashBytes: z.number().int(),
  flashFree: z.number().int(),
  modelSlotBytes: z.number().int(),
  arenaBytes: z.number().int(),
  counterKind: CounterKindSchema,
  icountShift: z.number().int(),
  kernelMask: z.number().int(),
  kernels: z.array(z.string()),
  weightBitsMask: z.number().int(),
  weightBits: z.array(z.number().int()),
  board: z.string(),
  cpu: z.string(),
  firmwareVersion: z.string(),
  buildId: z.string(),
});
export type HelloInfo = z.infer<typeof HelloInfoSchema>;

export const ModelStateName = z.enum(['none', 'active', 'loading']);

export const ModelInfoSchema = z.object({
  state: ModelStateName,
  /** Active slot index; null when no slot is active. */
  slot: z.number().int().nullable(),
  size: z.number().int(),
  crc32: z.number().int(),
  /** 16 hex digits; all zeros when the blob carries none. */
  modelHash: z.string(),
  arenaNeeded: z.number().int(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export interface StreamStartReply {
  rateHz: number;
  channelMask: number;
  scales: number[];
}

export interface StreamStopReply {
  framesSent: number;
  framesDropped: number;
}

export interface SamplesEvent {
  frameNo: number;
  t0Us: number;
  nSamples: number;
  nChannels: number;
  data: Int16Array;
}

export interface ModelBeginReply {
  resumeOffset: number;
  slot: number;
}

export type InferReply =
  | { done: false }
  | {
      done: true;
      elapsed: number;
      counterKind: z.infer<typeof CounterKindSchema>;
      layerElapsed: number[];
      output: Uint8Array;
    };

/** STATS: memory the board has used since reset, and frames its receiver dropped. */
export interface BoardStats {
  stackBytes: number;
  /** Deepest the stack has been since reset (painted-stack watermark). */
  stackHwmBytes: number;
  arenaBytes: number;
  /** Arena the last successful INFER used (0 before any). */
  arenaUsedLast: number;
  /** Frames the board dropped (bad CRC, malformed, too short or too long). */
  rxDroppedFrames: number;
}

export interface LayerOutputReply {
  totalLen: number;
  data: Uint8Array;
}

/** One decoded message (after COBS and CRC checks). */
export interface Message {
  type: number;
  flags: number;
  seq: number;
  payload: Uint8Array;
}
