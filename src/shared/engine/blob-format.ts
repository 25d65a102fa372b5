import { z } from 'zod';

/**
 * The model blob, format version 1: what the host exporter writes, the host reference
 * interpreter reads and the firmware runs in place from its model slot. docs/model-format.md is
 * the prose version; firmware/engine/bb_blob.h mirrors these constants. Change all three together
 * and bump BLOB_VERSION when a layout changes.
 *
 * Little-endian. Every section starts on a 4-byte boundary (word loads on Cortex-M0 fault when
 * unaligned). No field the device reads is a float: scales are carried for the host only.
 */
export const BLOB_MAGIC = 0x444d4242; // "BBMD" read as a little-endian u32
export const BLOB_VERSION = 1;
export const BLOB_HEADER_BYTES = 64;
export const LAYER_HEADER_BYTES = 104;
export const WEIGHT_SET_BYTES = 32;
export const MODEL_HASH_BYTES = 8;
/** Tensor dims are u16 on the wire; the runner indexes with 32-bit offsets. */
export const MAX_DIM = 0xffff;
/** Upper bound on layers: the runner keeps per-layer bookkeeping in static arrays. */
export const MAX_LAYERS = 64;

/** Model header field offsets. */
export const H = {
  magic: 0, // u32
  version: 4, // u16
  headerBytes: 6, // u16
  crc32: 8, // u32, CRC-32 over bytes [12, totalSize)
  totalSize: 12, // u32
  hash: 16, // u8[8]: first 8 bytes of SHA-256 over bytes [28, totalSize)
  modelId: 24, // u32, free for the host (database id); not in the hash
  nLayers: 28, // u16
  flags: 30, // u16, 0
  arenaMin: 32, // u32: largest layer input + output (ping-pong between the arena's ends) + scratch
  arenaAll: 36, // u32: every layer output kept (LAYER_OUTPUT for all layers) + scratch
  scratchBytes: 40, // u32: largest kernel scratch
  inH: 44, // u16
  inW: 46, // u16
  inC: 48, // u16
  outLen: 50, // u16: bytes of the final output
  inZp: 52, // i8
  outZp: 53, // i8
  numClasses: 54, // u16
  inScale: 56, // f32, host only
  outScale: 60, // f32, host only
} as const;

/** Layer record field offsets (relative to the record start). */
export const L = {
  op: 0, // u8 (OpCode)
  weightBits: 1, // u8: 1, 2, 4, 8; 0 for layers without weights
  inZp: 2, // i8
  outZp: 3, // i8
  actMin: 4, // i8
  actMax: 5, // i8
  padding: 6, // u8: 0 valid, 1 same
  flags: 7, // u8: bit0 GRU return_sequences
  inH: 8, // u16 ×3: in_h, in_w, in_c
  outH: 14, // u16 ×3: out_h, out_w, out_c
  kh: 20, // u16
  kw: 22, // u16
  sh: 24, // u16
  sw: 26, // u16
  padTop: 28, // u16
  padLeft: 30, // u16
  recordBytes: 32, // u32: this record with its payload, a multiple of 4
  reserved: 36, // u32, 0
  setA: 40, // WeightSet: the layer's weights (GRU: input kernel) or, for weightless ops, requant only
  setB: 72, // WeightSet: GRU recurrent kernel; zero elsewhere
} as const;

/** WeightSet field offsets (relative to the set); offsets inside are relative to the record start. */
export const W = {
  nRows: 0, // u32: output channels (GRU: 3·units, gate order z, r, h)
  rowLen: 4, // u32: weights per row
  rowStride: 8, // u32: bytes per packed row, a multiple of 4
  weightsOff: 12, // u32: packed rows
  biasOff: 16, // u32: i32[nRows]
  wsumOff: 20, // u32: i32[nRows], Σ of the row's integer weights (lets kernels fold the input zero point)
  multOff: 24, // u32: i32[nRows], requant multiplier in [2^30, 2^31)
  shiftOff: 28, // u32: i32[nRows], requant shift in [−31, 30]
} as const;

export const OpCode = {
  conv2d: 1, // conv1d is conv2d with kh = 1
  depthwiseConv2d: 2,
  dense: 3,
  gru: 4,
  maxPool2d: 5, // 1-D pools are 2-D with kh = 1
  avgPool2d: 6,
  relu: 7, // requantise + clamp (also a plain requantise when the clamp is the full range)
  flatten: 8, // no data movement: the runner aliases the buffer
} as const;
export type OpCodeName = keyof typeof OpCode;
export const OP_NAMES: Record<number, OpCodeName> = Object.fromEntries(
  Object.entries(OpCode).map(([k, v]) => [v, k as OpCodeName]),
) as Record<number, OpCodeName>;

/** HELLO kernel_mask bit per op (docs/protocol.md). */
export const KERNEL_MASK_BIT: Record<OpCodeName, number> = {
  conv2d: 0x0001 | 0x0002, // conv1d and conv2d share a kernel
  depthwiseConv2d: 0x0004,
  dense: 0x0008,
  gru: 0x0010,
  maxPool2d: 0x0020,
  avgPool2d: 0x0020,
  relu: 0x0040,
  flatten: 0,
};
export const weightBitsMaskBit = (bits: number): number => 1 << (bits - 1);

/** Integer range of each weight bit width (restricted symmetric; 1-bit is {−1, +1}). */
export const WEIGHT_RANGE: Record<1 | 2 | 4 | 8, number> = { 1: 1, 2: 1, 4: 7, 8: 127 };

/** Bytes per packed row: rows are padded to a whole number of 32-bit words. */
export function rowStrideBytes(rowLen: number, bits: number): number {
  return Math.ceil((rowLen * bits) / 32) * 4;
}

/**
 * Where weight `i` of a row lives, per bit width (the C header firmware/kernels/bb_kernels.h says the same):
 *  8: byte i, int8.
 *  4: word i>>3; inside it, j = i & 7 → byte (j & 3), low nibble when j < 4, high nibble when j ≥ 4
 *     (two's complement nibble). This order lets the Cortex-M4 path unpack a word into SIMD lanes
 *     with two ANDs and four SXTB16 (see docs/model-format.md).
 *  2: word i>>4, bits 2·(i & 15) .. +1, two's complement (01 = +1, 11 = −1, 00 = 0; 10 is invalid).
 *  1: word i>>5, bit (i & 31): 1 → +1, 0 → −1.
 */
export function packRow(values: ArrayLike<number>, bits: 1 | 2 | 4 | 8, out: Uint8Array, at: number): void {
  const n = values.length;
  if (bits === 8) {
    for (let i = 0; i < n; i++) out[at + i] = values[i]! & 0xff;
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    let byte: number;
    let shift: number;
    let field: number;
    if (bits === 4) {
      const j = i & 7;
      byte = (i >> 3) * 4 + (j & 3);
      shift = j < 4 ? 0 : 4;
      field = v & 0xf;
    } else if (bits === 2) {
      const bit = 2 * (i & 15);
      byte = (i >> 4) * 4 + (bit >> 3);
      shift = bit & 7;
      field = v & 0x3;
    } else {
      byte = (i >> 5) * 4 + ((i & 31) >> 3);
      shift = i & 7;
      field = v > 0 ? 1 : 0;
    }
    out[at + byte] = out[at + byte]! | (field << shift);
  }
}

/** Reads weight `i` of a packed row starting at byte `at` (inverse of packRow). */
export function unpackWeight(buf: Uint8Array, at: number, i: number, bits: number): number {
  switch (bits) {
    case 8:
      return (buf[at + i]! << 24) >> 24;
    case 4: {
      const j = i & 7;
      const b = buf[at + (i >> 3) * 4 + (j & 3)]!;
      const nib = j < 4 ? b & 0xf : b >> 4;
      return (nib << 28) >> 28;
    }
    case 2: {
      const bit = 2 * (i & 15);
      const b = buf[at + (i >> 4) * 4 + (bit >> 3)]!;
      const f = (b >> (bit & 7)) & 3;
      return (f << 30) >> 30;
    }
    default: {
      const b = buf[at + (i >> 5) * 4 + ((i & 31) >> 3)]!;
      return (b >> (i & 7)) & 1 ? 1 : -1;
    }
  }
}

/**
 * The GRU's own fixed-point parameters (the `extra` of a `gru` layer in the integer model).
 * See docs/integer-arithmetic.md § GRU. Gate order z, r, h; rows are [3·units][in] and [3·units][units].
 * The hidden state is int8 Q7 (scale 1/128, zero point 0): the layer's output quantisation must be that.
 */
const int32 = z.number().int().min(-2147483648).max(2147483647);
const requant = z.object({
  multiplier: z.array(int32),
  shift: z.array(z.number().int().min(-31).max(30)),
});
export const GruExtraSchema = z.object({
  /** Integer levels of the input kernel, layout [3u][in]. */
  kernel: z.array(z.number().int().min(-127).max(127)),
  /** Integer levels of the recurrent kernel, layout [3u][u]. */
  recurrentKernel: z.array(z.number().int().min(-127).max(127)),
  /** int32 at inputScale·kernelScale[c]. */
  kernelBias: z.array(int32),
  /** int32 at (1/128)·recurrentScale[c]. */
  recurrentBias: z.array(int32),
  /** M = inputScale·kernelScale[c]·4096: accumulator → Q3.12 gate pre-activation. */
  kernelRequant: requant,
  /** M = (1/128)·recurrentScale[c]·4096. */
  recurrentRequant: requant,
  kernelScale: z.array(z.number().positive()).optional(),
  recurrentScale: z.array(z.number().positive()).optional(),
});
export type GruExtra = z.infer<typeof GruExtraSchema>;

/** GRU fixed-point constants shared by host and device. */
export const GRU_PRE_FRAC_BITS = 12; // gate pre-activations in Q3.12, saturated to int16
export const GRU_GATE_FRAC_BITS = 15; // sigmoid/tanh outputs in Q15
export const GRU_STATE_SCALE = 1 / 128; // hidden state int8 Q7

/** A parsed blob, as the host reference runs it (views into the blob bytes; nothing copied). */
export interface BlobWeightSet {
  nRows: number;
  rowLen: number;
  rowStride: number;
  weights: Uint8Array;
  bias: Int32Array;
  wsum: Int32Array;
  mult: Int32Array;
  shift: Int32Array;
}

export interface BlobLayer {
  index: number;
  op: OpCodeName;
  weightBits: number;
  inZp: number;
  outZp: number;
  actMin: number;
  actMax: number;
  padding: 'valid' | 'same';
  returnSequences: boolean;
  inShape: [number, number, number];
  outShape: [number, number, number];
  kernel: [number, number];
  strides: [number, number];
  pad: [number, number];
  a: BlobWeightSet;
  b: BlobWeightSet | null;
  /** Byte offset of the record inside the blob. */
  offset: number;
  recordBytes: number;
}

export interface ParsedBlob {
  version: number;
  totalSize: number;
  crc32: number;
  hash: string; // 16 hex digits
  modelId: number;
  arenaMin: number;
  arenaAll: number;
  scratchBytes: number;
  inShape: [number, number, number];
  outLen: number;
  inZp: number;
  outZp: number;
  numClasses: number;
  inScale: number;
  outScale: number;
  layers: BlobLayer[];
}

export const tensorBytes = (s: readonly [number, number, number]): number => s[0] * s[1] * s[2];
export const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Kernel scratch a layer needs (bytes); the firmware computes the same with its
 * *_get_buffer_size functions and refuses a blob that promises less.
 *  conv2d: one im2col column (kh·kw·in_c bytes) for border outputs and kh > 1.
 *  gru:    int32 pre-activations 2 × 3u, plus the int8 state u.
 */
export function layerScratchBytes(
  op: OpCodeName,
  l: { kernel: [number, number]; inShape: number[]; units?: number },
): number {
  if (op === 'conv2d') return align4(l.kernel[0] * l.kernel[1] * l.inShape[2]!);
  if (op === 'gru') return 4 * 6 * l.units! + align4(l.units!);
  return 0;
}
