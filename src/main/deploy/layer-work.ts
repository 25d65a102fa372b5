import { tensorBytes, type BlobLayer, type ParsedBlob } from '../../shared/engine/blob-format';
import type { IntegerModel } from '../../shared/quant/integer-model';

/**
 * What each layer of a blob asks of the device: MACs for the layers with weights, and for the
 * others the element operations (a pool's window reads, a ReLU's elements), plus the number of
 * outputs it writes (each costs a requantisation and a store). The cost model and the per-layer
 * report both read these, so "counts per MAC" means the same thing everywhere.
 */
export interface LayerWork {
  index: number;
  /** The integer model's layer name (blob records keep no names; they are 1:1 with its layers). */
  name: string;
  /** The integer model's op (`conv1d`), as the user wrote it. */
  op: string;
  /** The firmware kernel that runs it (`conv2d` for a conv1d), the cost model's key. */
  kernel: string;
  /** Weight bit width; null for layers without weights. */
  weightBits: number | null;
  macs: number;
  /** MACs for weighted layers, element operations for the rest. */
  work: number;
  outputs: number;
  /**
   * The kernel's loop work outside the MAC loop and the per-output requantisation, for the kernels
   * where it does not scale with either (0 for the others):
   * - a conv (firmware bb_conv_generic), per output position: the column's setup and the call into
   *   the dot-product kernel, plus, where the column is gathered into scratch (every position of a
   *   kernel taller than one row, the padded edges of a one-row one), one pass per kernel tap and a
   *   copy per input channel. In byte copies: `positions × 40 + gathered × kh·kw·(in_c + 4)`. The
   *   weights 40 and 4 are what fits the im2col path on both virtual boards (bench/_deploy-fit.ts);
   *   with few filters this is most of a conv's counts (4 filters on a 1-channel 28×28 image:
   *   a gather per position shared by only 4 outputs).
   * - a GRU (bb_gru.c): time steps × units, each step's 6·units dot-product calls with their
   *   requantisation and the units' gate arithmetic; outputs are that only with return_sequences.
   *   (A 4-bit dot product's last `n mod 8` inputs had a per-element loop of their own until
   *   2026-12-07 and a term here; bb_dot_s4 now adds them at fixed shifts, and the term fitted to 0.)
   *   With 1-bit weights (bb_gru_b1: products on subset-sum tables) the step also builds the tables
   *   of x and h and reads them per row byte: see GRU_B1_STEP and the two weights after it.
   * - a pool (since 2026-12-07): its window reads when the firmware runs its general window loops,
   *   0 for the 1×2 and 2×2 windows it unrolls.
   */
  loopWork: number;
  /**
   * Kernel height of a conv (1 for a conv1d): the firmware runs a one-row kernel straight from the
   * input, a taller one through an im2col column, at very different costs. 1 for other layers.
   */
  kernelH: number;
  /**
   * A conv the M4's blocked binary kernel takes when its weights are 1-bit (firmware bb_conv_b1.c:
   * 4 ≤ row ≤ 256; any requant shift since 2026-12-07, when multipliers ≥ 0.25 — what binary layers'
   * scales give — stopped sending it to the per-position kernel; any kernel height (taller kernels on
   * gathered columns) and any number of filters (1–3 as one block of four) since the firmware after
   * 2026-12-07's fourth pass, ≥ 4 filters and kh = 1 before); false otherwise.
   */
  rowBlockable: boolean;
  /**
   * A conv the M0's binary mask kernel takes when its weights are 1-bit (firmware bb_conv_b1.c,
   * bb_conv_b1_swar, speed builds since 2026-12-07: any kernel height, rows of ≤ 128 inputs, ≤ 16
   * filters and filters × ⌈row/4⌉ ≤ 64, so that every row's lane masks fit one block); the others
   * run the per-position subset-sum tables. False otherwise.
   */
  rowMaskable: boolean;
  /** Output channels: a conv's filters, a dense layer's outputs (the last dimension of the output). */
  outChannels: number;
  /**
   * Outputs of a conv or dense layer whose channel's requant shift is ≥ 0 (a multiplier ≥ 0.5, as
   * binary layers' scales often give): bb_requant32 takes those through its 64-bit shifts, about
   * twice the usual per-output cost on the M4's binary kernels (cost-model.ts costTerms). For a max
   * pool (since 2026-12-07) the outputs it requantises: all of them, or none when the pool keeps
   * its input's scale and zero point (the identity requant: a clamp, no multiply). 0 for the other
   * layers.
   */
  wideOutputs: number;
}

const WEIGHTED = new Set(['conv2d', 'depthwiseConv2d', 'dense', 'gru']);

/** Byte copies a conv's column costs per output position (setup and the dot-product call). */
export const CONV_POSITION_COPIES = 40;
/** Byte copies one gathered kernel tap costs beyond its in_c bytes (the tap loop, bounds checks). */
export const CONV_TAP_COPIES = 4;
/**
 * A 1-bit GRU's step (bb_gru_b1, speed builds since 2026-12-07) beyond its units' gates and
 * requantisation, in unit-steps: a fixed part, the subset-sum tables built from x and h (one pair of
 * 16-entry tables per weight byte of a row: ⌈in/8⌉ + ⌈units/8⌉), and each of the 3·units rows' table
 * reads per weight byte, ~0.1 unit-steps a byte. Fitted on the sweep's 1-bit GRUs (bench/_deploy-fit.ts:
 * with these weights one d fits both boards within 5 %, where steps × units alone left 24 % on the M4).
 */
export const GRU_B1_STEP = 0.6;
export const GRU_B1_TABLE_BYTE = 0.5;
export const GRU_B1_ROW_BYTE = 0.1;

/**
 * A GRU's `loopWork` (see LayerWork): steps × units, or with 1-bit weights also the subset-sum
 * tables and their reads (GRU_B1_*). A 1-bit GRU whose rows fit bb_gru_pairs' buffer runs on ±1
 * pair words since 2026-12-07 (no tables); its loop work keeps this form all the same (stored
 * profiles stay comparable), and the cost model reads the shape back from it (cost-model.ts gruShape).
 */
export function gruLoopWork(steps: number, inputs: number, units: number, weightBits: number): number {
  if (weightBits === 1) {
    const bytes = Math.ceil(inputs / 8) + Math.ceil(units / 8);
    return steps * (units + GRU_B1_STEP + GRU_B1_TABLE_BYTE * bytes + GRU_B1_ROW_BYTE * units * bytes);
  }
  return steps * units;
}

/**
 * A conv's `loopWork` (see LayerWork): its output positions, each a column setup, plus the im2col
 * gather of the positions whose column bb_conv_generic cannot read in place (kernel taller than one
 * row, receptive field outside the input, or the row's read running past its end).
 */
function convLoopWork(l: BlobLayer): number {
  const [inH, inW, inC] = l.inShape;
  const [outH, outW] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.strides;
  const [padT, padL] = l.pad;
  const inBytes = inH * inW * inC;
  // What the dot product reads: int8 rows run over their padded stride.
  const inLen = l.weightBits === 8 ? l.a.rowStride : l.a.rowLen;
  let gathered = 0;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sh - padT;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = ox * sw - padL;
      const inside = y0 >= 0 && x0 >= 0 && y0 + kh <= inH && x0 + kw <= inW;
      if (!(inside && kh === 1 && (y0 * inW + x0) * inC + inLen <= inBytes)) gathered++;
    }
  }
  return outH * outW * CONV_POSITION_COPIES + gathered * kh * kw * (inC + CONV_TAP_COPIES);
}

function workOf(l: BlobLayer): { macs: number; work: number; outputs: number; loopWork: number } {
  const outputs = tensorBytes(l.outShape);
  switch (l.op) {
    case 'conv2d': {
      const macs = outputs * l.a.rowLen;
      return { macs, work: macs, outputs, loopWork: convLoopWork(l) };
    }
    case 'depthwiseConv2d': {
      const macs = outputs * l.a.rowLen;
      return { macs, work: macs, outputs, loopWork: 0 };
    }
    case 'dense': {
      const macs = l.a.nRows * l.a.rowLen;
      return { macs, work: macs, outputs, loopWork: 0 };
    }
    case 'gru': {
      // Input kernel [3u][in] and recurrent kernel [3u][u], once per time step.
      const steps = l.a.rowLen > 0 ? Math.round(tensorBytes(l.inShape) / l.a.rowLen) : 0;
      const perStep = l.a.nRows * l.a.rowLen + (l.b ? l.b.nRows * l.b.rowLen : 0);
      const macs = steps * perStep;
      const units = l.b ? l.b.rowLen : 0;
      return { macs, work: macs, outputs, loopWork: gruLoopWork(steps, l.a.rowLen, units, l.weightBits) };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      // bb_pool_s8.c unrolls the 1×2 and 2×2 windows (speed builds); any other runs its general loops.
      const [kh, kw] = l.kernel;
      const unrolled = (kh === 1 || kh === 2) && kw === 2;
      return { macs: 0, work: outputs * kh * kw, outputs, loopWork: unrolled ? 0 : outputs * kh * kw };
    }
    case 'relu':
      return { macs: 0, work: outputs, outputs, loopWork: 0 };
    case 'flatten':
      return { macs: 0, work: 0, outputs: 0, loopWork: 0 };
  }
}

/** Rows that fit the M0 binary mask conv's one block (firmware BB_B1S_MAX_WORDS, _MAX_ROWS, _MASK_WORDS). */
function maskable(rowLen: number, rows: number): boolean {
  const words = Math.ceil(rowLen / 4);
  return rowLen >= 1 && words <= 32 && rows <= 16 && rows * words <= 64;
}

/**
 * LayerWork.wideOutputs: per output position, the channels whose shift is ≥ 0; for a max pool, the
 * outputs that take a requantisation (none with the identity requant, mult 2^30 and shift 1, which
 * bb_max_pool_s8 applies without a multiply).
 */
function wideOutputs(l: BlobLayer): number {
  if (l.op === 'maxPool2d')
    return l.a.mult[0] === 2 ** 30 && l.a.shift[0] === 1 ? 0 : tensorBytes(l.outShape);
  if (l.op !== 'conv2d' && l.op !== 'dense') return 0;
  let wide = 0;
  for (let c = 0; c < l.a.nRows; c++) if (l.a.shift[c]! >= 0) wide++;
  return wide * (l.op === 'conv2d' ? l.outShape[0] * l.outShape[1] : 1);
}

/** The M4's blocked binary conv's row limits (firmware bb_conv_b1.c): 4 ≤ row ≤ 256 inputs, ≥ 1 filter. */
export function b1RowBlockable(rowLen: number, rows: number): boolean {
  return rowLen >= 4 && rowLen <= 256 && rows >= 1;
}

export function layerWork(blob: ParsedBlob, model?: IntegerModel): LayerWork[] {
  return blob.layers.map((l, i) => {
    const named = model?.layers[i];
    return {
      index: i,
      name: named?.name ?? `layer${i}`,
      op: named?.op ?? l.op,
      kernel: l.op,
      weightBits: WEIGHTED.has(l.op) ? l.weightBits : null,
      kernelH: l.op === 'conv2d' || l.op === 'depthwiseConv2d' ? l.kernel[0] : 1,
      rowBlockable: l.op === 'conv2d' && b1RowBlockable(l.a.rowLen, l.a.nRows),
      rowMaskable: l.op === 'conv2d' && maskable(l.a.rowLen, l.a.nRows),
      outChannels: l.outShape[2],
      wideOutputs: wideOutputs(l),
      ...workOf(l),
    };
  });
}
