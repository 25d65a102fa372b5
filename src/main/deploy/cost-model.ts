import { b1RowBlockable, CONV_POSITION_COPIES, gruLoopWork, type LayerWork } from './layer-work';

/**
 * Per-kernel cost model: the counts one layer takes on a board, estimated as
 *
 *   counts ≈ s · (a + b · work + c · outputs + d · loopWork)
 *
 * a = fixed per-layer cost (call, setup), b = per MAC (or per element operation for pools and
 * ReLU), c = per output (requantisation, clamp, store), d = per unit of the kernel's loop work
 * outside those two (LayerWork.loopWork: a conv's per-position column setup and im2col gather, a
 * GRU's per-step, per-unit dot calls and gates; 0 for the other kernels, whose rows have no d).
 * The binary kernels that compute more than the layer's MACs (whole blocks of filters, three-row
 * passes, tables per block of rows) have terms of their own in place of work, outputs and loop work
 * (costTerms).
 * (a, b, c, d) per kernel × weight width ×
 * CPU family are defaults measured on the virtual boards; s is the board's calibration: the
 * ratio of measured to default-estimated counts over that kernel and width in the board's
 * earlier profiles (1 before any). One factor per kernel keeps the shape the defaults learned
 * from many layer sizes while the board's own runs fix the level (clock, memory wait states,
 * an optimised kernel the defaults did not see).
 *
 * The defaults come from `npm run bench -- deploy --fit-defaults` (bench/_deploy-fit.ts): ~600
 * single-layer models per board of every kernel and width (conv1d 16–128 steps × 3–32 channels,
 * kernel 3–7, 4–64 filters; 3×3 and 5×5 conv2d up to 28×28×16 with 1–32 filters; dense 30–2048
 * inputs × 4–64 outputs; GRUs of 2–64 steps with 2–32 units; pools, ReLU) run on virtual:m4 and
 * virtual:m0 under QEMU -icount, fitted by least squares on relative error. The conv2d, conv2d_kh1
 * and gru rows were refitted on 2026-12-07 with the loop-work term (without it a 4-filter 3×3 conv on a 28×28
 * image measured +65 % over its estimate on the M4, the gesture model's 5-unit GRU +64–77 %); the
 * other rows are the fit of earlier that day (after the kernel rewrites of 2026-12-05/06), which
 * the current sweep still finds within a few points. After the binary kernels of 2026-12-07 the
 * 1-bit rows of the kernels they changed were refitted (`--bits 1`, with 70 binary-shaped 1-bit
 * layers added to the sweep: M4 conv2d_b1_blocked; M0 conv2d and conv2d_kh1, the table path) and
 * the new binary kernels got rows (conv2d_b1_mask, dense_b1_short, gru_b1); the others' 1-bit rows
 * run unchanged code and kept theirs (gru/1 only calibrates 1-bit GRUs profiled before gru_b1).
 * Then gru/2, /4 and /8 were refitted once more (`--ops gru --bits 2,4,8`) after bb_gru's gate
 * rows moved to the 32-bit requantiser and bb_dot_s4's row tails to fixed shifts (the 4-bit tail
 * term of the GRU's loop work went with it: it fitted best at 0). Last, the binary kernels that
 * compute more than the layer's MACs got terms of their own (costTerms: the M4's blocked conv in
 * whole blocks of four filters, its 1-bit dense in passes of three or four rows, the M0's 1-bit dense
 * tables per block of 32 rows, the short rows' tables, a one-row 1-bit conv's dense call per
 * position) and the M0's bit-serial row pairs a row (`dense_b1_pairs`); those rows (1-bit
 * conv2d_b1_blocked, conv2d_kh1, dense, dense_b1_short, dense_b1_pairs) were refitted on a sweep with
 * few-filter convs and few-output dense layers added (`--ops conv1d,conv2d,dense --bits 1`).
 * After the 4/2-bit pair kernels of 2026-12-07 (firmware bb_conv_pairs.c, bb_gru_pairs, the M4's
 * bb_fc_short, then the M0's too) those paths got cost kernels of their own (`conv2d_pairs`, `gru_pairs`, `dense_short`,
 * chosen with the firmware's limits: BB_* below) and the 2- and 4-bit conv2d, conv2d_kh1, gru and dense
 * rows went back to fitting only the old kernels (`--ops conv1d,conv2d,gru,dense --bits 2,4`, with
 * pair-shaped layers added to the sweep: pairSpecs in bench/_deploy-fit.ts).
 * After the binary GRU moved to ±1 pair words where its rows fit (bb_gru_b1, the firmware after
 * 2026-12-07's second pass; the tables' rows of 9–16 inputs on a one-load path), 1-bit GRUs got a
 * `gru_pairs` row and `gru_b1` was refitted (`--ops gru --bits 1`, with binaryPairGruSpecs added):
 * fit median 2.3 % / 1.5 % (M4 / M0), worst 6.6 % / 6.3 % on gru_pairs; held out (`--seed 101`)
 * median 2.1 % / 1.7 %, worst 6.6 % / 8.2 %; gru_b1 held out worst 11.0 % / 9.6 %.
 * After the binary convs taller than one row moved to the M4's blocked kernel (and its few-filter
 * convs to ±1 pair words, the M0's few-row binary dense to a set-bit loop, the M4's 1-bit dense tail
 * to a cheaper packing: the firmware after 2026-12-07's fourth pass), `conv2d_b1_gathered`, 1-bit
 * `conv2d_pairs` and `dense_b1_few` got rows and the M4's 1-bit `dense`, `conv2d_kh1` and `conv2d`
 * rows were refitted (`--ops conv1d,conv2d,dense --bits 1`, binaryTallSpecs added; errors in
 * docs/deploy-and-profile.md).
 * The pool rows were refitted after the pool kernels of 2026-12-07 (bb_pool_s8.c: unrolled 1×2 and
 * 2×2 windows, max pools requantised only where the scale changes, the M4's four channels at a
 * time; `--ops maxPool1d,avgPool1d,maxPool2d,avgPool2d`, 56 layers a row with poolSpecs' unrolled
 * windows): a max pool's `c` multiplies the outputs it requantises (LayerWork.wideOutputs), both
 * pools' `d` the window reads of windows the firmware does not unroll (LayerWork.loopWork), and on
 * the M4 a max pool's `b` its four-channel compares (costTerms). Held out (`--seed 101`): median
 * 9–10 % off on the M4 (worst avg 23 %, max 65 %), 8–10 % on the M0 (worst avg 25 %, max 79 %):
 * the per-position loop, which few channels do not amortise, is in no term.
 * Convs with a one-row kernel (`conv2d_kh1`: every conv1d), the M4's blocked binary conv
 * (`conv2d_b1_blocked`), the M0's binary mask conv (`conv2d_b1_mask`) and taller convs (im2col
 * per position) have separate rows (costKernel). They are
 * instruction counts; a real board reports cycles, so its first profile calibrates s.
 */
export type Coeffs = readonly [a: number, b: number, c: number, d?: number];
type KernelTable = Record<string, Partial<Record<'1' | '2' | '4' | '8' | 'any', Coeffs>>>;

const ARMV7M: KernelTable = {
  conv2d: {
    1: [4188, 0.77, 41.5, 4.84],
    2: [1326, 1.15, 49.8, 5.13],
    4: [853, 1.25, 45.4, 5.51],
    8: [0, 1.52, 47.1, 4.57],
  },
  conv2d_kh1: {
    1: [226, 0.85, 25.6, 3.23],
    2: [361, 1.43, 38.7, 4.29],
    4: [707, 1.39, 42.9, 4.49],
    8: [139, 1.53, 48.3, 2.91],
  },
  conv2d_b1_blocked: { 1: [653, 0.54, 25.8, 9.87] },
  conv2d_b1_gathered: { 1: [1164, 0.95, 30.8, 3.39] },
  dense: { 1: [141, 0.85, 19.2, 98.43], 2: [227, 1.45, 44.1], 4: [250, 1.52, 41.3], 8: [156, 1.53, 50.5] },
  depthwiseConv2d: {
    1: [1035, 32.52, 97.8],
    2: [1336, 30.33, 106.4],
    4: [646, 33.16, 78.2],
    8: [625, 25.7, 78.7],
  },
  gru: {
    1: [246, 8.02, 4.7, 502.04],
    2: [546, 6.98, 7.2, 490.07],
    4: [55, 3.88, 9.6, 436.93],
    8: [266, 4.25, 13, 427.61],
  },
  gru_b1: { 1: [189, 0.27, 2.6, 336.69] },
  dense_b1_short: { 1: [172, 2.6, 42.2, 93.55] },
  conv2d_pairs: { 1: [332, 1.07, 32.5, 5.6], 2: [337, 1, 33.5, 5.48], 4: [303, 1.1, 31.9, 5.47] },
  dense_short: { 2: [126, 4.88, 70], 4: [124, 3.16, 59.5] },
  dense_short16: { 4: [181, 10.99, 56.2] },
  gru_pairs: { 1: [517, 1.63, 10, 338.12], 2: [1452, 1.46, 14.5, 357.2], 4: [1122, 1.49, 0, 356.37] },
  gru_packed: { 2: [361, 2.95, 0, 386.2], 4: [75, 3.71, 3.5, 323.4] },
  maxPool2d: { any: [253, 8.34, 44.5, 9.26] },
  avgPool2d: { any: [302, 0, 35.6, 7.54] },
  relu: { any: [0, 44.92, 0] },
  flatten: { any: [27, 0, 0] },
};

const ARMV6M: KernelTable = {
  conv2d: {
    1: [0, 2.67, 26.8, 16.11],
    2: [1417, 3.2, 159.3, 9.56],
    4: [0, 3.77, 144.6, 8.48],
    8: [251, 4.98, 122.2, 5.74],
  },
  conv2d_kh1: {
    1: [300, 1.89, 82.5, 6.2],
    2: [0, 3.45, 146.6, 12.91],
    4: [757, 3.91, 136.7, 10.01],
    8: [180, 4.9, 128, 3.85],
  },
  dense: { 1: [382, 1.98, 75.3, 74.3], 2: [528, 4.12, 115], 4: [442, 4.29, 115.5], 8: [194, 4.93, 129.4] },
  depthwiseConv2d: {
    1: [1718, 48.52, 172.9],
    2: [2324, 44.12, 183.2],
    4: [966, 45.32, 149.2],
    8: [1024, 34.74, 147.8],
  },
  gru: {
    1: [292, 11.96, 5.2, 1041.78],
    2: [623, 10.94, 8.6, 802.72],
    4: [0, 6.3, 18.8, 832.82],
    8: [422, 6.64, 30.5, 712.68],
  },
  gru_b1: { 1: [138, 0, 27, 534.14] },
  dense_b1_short: { 1: [209, 2.45, 91.4, 96.51] },
  dense_b1_pairs: { 1: [470, 2.28, 11.4, 51.16] },
  dense_b1_few: { 1: [90, 5.7, 121, 11.94] },
  conv2d_b1_mask: { 1: [707, 3.53, 85.7, 5.74] },
  conv2d_pairs: { 2: [0, 2.52, 93.2, 6.66], 4: [0, 2.6, 90, 6.75] },
  gru_pairs: { 1: [691, 3.2, 19.6, 590.99], 2: [1607, 2.89, 28.8, 630.41], 4: [599, 2.9, 0, 634.81] },
  gru_packed: { 2: [166, 5.69, 8.9, 600.94], 4: [444, 6.37, 6.9, 568.09] },
  dense_short: { 2: [157, 7.35, 119.3], 4: [153, 7.62, 103.8] },
  maxPool2d: { any: [409, 8.9, 60.8, 1.62] },
  avgPool2d: { any: [405, 1.52, 62.7, 8.93] },
  relu: { any: [6, 115.48, 0] },
  flatten: { any: [35, 0, 0] },
};

/**
 * The limits of the 4- and 2-bit pair kernels (speed builds; firmware names): costKernel() sends a
 * layer to their cost rows exactly when the firmware runs them.
 * - `bb_conv_pairs` (bb_conv_pairs.c, both cores): rows of ≤ BB_PAIRS_MAX_LEN inputs (padded to 4),
 *   the whole layer in one block when ≤ BB_CP_MAX_ROWS filters' expanded rows fit BB_CP_W_WORDS
 *   words (in groups of BB_CP_GROUP rows), else blocks of whole groups of ≥ BB_CP_MIN_BLOCK rows
 *   (bb_cp_block_rows); the others keep bb_conv_generic over the fc kernel (`conv2d_kh1` / `conv2d`).
 * - `bb_gru_pairs` (bb_gru.c): ≤ BB_PAIRS_MATVEC_MAX_LEN inputs and units, the 3·units rows of both
 *   kernels within BB_GRU_PAIRS_WORDS pair words (`gru_pairs`); the others of ≤ BB_GRU_PACKED_MAX_LEN
 *   inputs and units run every step's rows straight from their packed words (bb_packed_matvec,
 *   `gru_packed`), larger ones keep bb_gru (`gru`).
 * - `bb_fc_short` (bb_fc_common.h, from bb_fc_s4.c / bb_fc_s2.c on the M4, bb_fc_pairs_c.c on the
 *   M0): dense layers of ≤ BB_FC_SHORT_MAX_ROWS rows of ≤ BB_FC_SHORT_MAX_LEN inputs, row by row on
 *   the dot product (`dense_short`); on the M4 4-bit layers of ≤ 4 rows of 9–BB_FC_SHORT16_MAX_LEN
 *   inputs run bb_fc_s4_short16 (`dense_short16`: x's lane words once, two weight words a row).
 */
export const BB_PAIRS_MAX_LEN = 64;
export const BB_PAIRS_MATVEC_MAX_LEN = 32;
export const BB_CP_MAX_ROWS = 16;
export const BB_CP_MIN_BLOCK = 8;
export const BB_CP_W_WORDS = { armv7m: 128, armv6m: 64 } as const;
export const BB_CP_GROUP = { armv7m: 4, armv6m: 2 } as const;
export const BB_GRU_PAIRS_WORDS = 128;
export const BB_GRU_PACKED_MAX_LEN = 64;
export const BB_FC_SHORT_MAX_LEN = 8;
export const BB_FC_SHORT_MAX_ROWS = 4;
/** The M4's bb_fc_s4_short16: 4-bit dense layers of ≤ BB_FC_SHORT16_MAX_LEN inputs and ≤ 4 rows. */
export const BB_FC_SHORT16_MAX_LEN = 16;
/** The M0's bb_fc_b1_few: 1-bit dense layers of < 4 rows of 9–BB_FC_B1_FEW_MAX_LEN inputs (since the firmware after 2026-12-07's fourth pass). */
export const BB_FC_B1_FEW_MAX_LEN = 32;

/**
 * The M4's binary conv of rows of < 4 inputs (which the blocked kernel does not take) runs the pair
 * kernel on ±1 pair words where it fits (bb_conv_b1.c, since the firmware after 2026-12-07's fourth
 * pass): from the layer's work, outputs and filters.
 */
function b1ConvPairs(l: { work?: number; outputs?: number; outChannels?: number | null }): boolean {
  const f = l.outChannels ?? 0;
  if (!(f > 0) || !(l.outputs !== undefined && l.outputs > 0) || l.work === undefined) return false;
  return convPairBlockRows(true, l.work / l.outputs, f) > 0;
}

/** The M4's blocked binary kernel's limits (LayerWork.rowBlockable) from a stored layer's work, outputs and filters. */
function b1ConvBlockable(l: { work: number; outputs: number; outChannels?: number | null }): boolean {
  return b1RowBlockable(l.outputs > 0 ? l.work / l.outputs : 0, l.outChannels ?? 0);
}

/** bb_cp_rows: the rows a block of `rows` filters expands (whole groups; the M4 pads 1–2 to 2). */
function convPairRows(m4: boolean, rows: number): number {
  const g = m4 ? BB_CP_GROUP.armv7m : BB_CP_GROUP.armv6m;
  const full = Math.floor(rows / g) * g;
  const rem = rows - full;
  return full + (rem === 0 ? 0 : m4 && rem <= 2 ? 2 : g);
}

/**
 * bb_cp_block_rows: the filters per block of the pair conv on a row of `rowLen` inputs and `filters`
 * filters (all of them: one block), or 0 when the layer keeps bb_conv_generic.
 */
export function convPairBlockRows(m4: boolean, rowLen: number, filters: number): number {
  const lenp = 4 * Math.ceil(rowLen / 4);
  const nw = lenp / 2;
  if (lenp < 4 || lenp > BB_PAIRS_MAX_LEN || !(filters > 0)) return 0;
  const words = m4 ? BB_CP_W_WORDS.armv7m : BB_CP_W_WORDS.armv6m;
  const g = m4 ? BB_CP_GROUP.armv7m : BB_CP_GROUP.armv6m;
  if (filters <= BB_CP_MAX_ROWS && convPairRows(m4, filters) * nw <= words) return filters;
  const b = Math.min(BB_CP_MAX_ROWS, Math.floor(Math.floor(words / nw) / g) * g);
  return b >= BB_CP_MIN_BLOCK ? b : 0;
}

/** bb_gru_pairs' limits: a GRU of `inputs` features and `units` units runs on pair words. */
export function gruPairsFit(inputs: number, units: number): boolean {
  const nx = (4 * Math.ceil(inputs / 4)) / 2;
  const nh = (4 * Math.ceil(units / 4)) / 2;
  return (
    inputs >= 1 &&
    units >= 1 &&
    inputs <= BB_PAIRS_MATVEC_MAX_LEN &&
    units <= BB_PAIRS_MATVEC_MAX_LEN &&
    3 * units * (nx + nh) <= BB_GRU_PAIRS_WORDS
  );
}

/** bb_gru_pairs' other path: a GRU over the pair rows' buffer that runs bb_packed_matvec per step. */
export function gruPackedFit(inputs: number, units: number): boolean {
  return (
    !gruPairsFit(inputs, units) &&
    inputs >= 1 &&
    units >= 1 &&
    inputs <= BB_GRU_PACKED_MAX_LEN &&
    units <= BB_GRU_PACKED_MAX_LEN
  );
}

/**
 * bb_packed_matvec's multiplies (SMLAD on the M4, MULS on the M0, two MACs each) per row of `len`
 * inputs: 4-bit 4 per weight word, 2 for rows of ≤ 4 inputs; 2-bit 8 per word, 4 for rows
 * of ≤ 8 inputs (their fields 4–7 moved next to 0–3).
 */
export function packedRowMuls(len: number, bits: number): number {
  if (bits === 4) return len <= 4 ? 2 : 4 * Math.ceil(len / 8);
  return len <= 8 ? 4 : 8 * Math.ceil(len / 16);
}

/**
 * `gru_packed`: a multiply of a row that loops over its weight words (M4: 4-bit rows of > 16 inputs,
 * 2-bit of > 16; M0: the fc loops bb_s4p_rows / bb_s2p_rows, rows of > 8 / > 16 inputs) costs
 * GRU_PACKED_LOOP_MUL of one whose packed x or h stays in registers; each step's packing of x and h
 * (and the two calls) GRU_PACKED_STEP unit-steps. Fitted on the sweep's GRUs over the pair rows'
 * buffer: without the step term the M4's 2-bit GRUs of 16 units were 12–16 % over, those of 5 under.
 */
export const GRU_PACKED_LOOP_MUL = 1.6;
export const GRU_PACKED_STEP = 1.5;

function packedLoops(m4: boolean, len: number, bits: number): boolean {
  return m4 || bits === 2 ? len > 16 : len > 8;
}

/**
 * A GRU's inputs and units from its LayerWork (units: outChannels; steps: loopWork / units, which
 * gruLoopWork gives for widths other than 1; inputs from work = steps · 3·units · (inputs + units)).
 * A 1-bit GRU's loop work also counts its subset-sum tables (layer-work.ts gruLoopWork): its shape is
 * the inputs (1–GRU_B1_SHAPE_MAX_INPUTS) whose steps from work are whole and give that loop work.
 * Null without the fields (a run_layers row from before migration 0016).
 */
const GRU_B1_SHAPE_MAX_INPUTS = 4096;
function gruShape(l: {
  work?: number;
  loopWork?: number | null;
  outChannels?: number | null;
  weightBits?: number | null;
}): { steps: number; inputs: number; units: number } | null {
  const u = l.outChannels ?? 0;
  const loop = l.loopWork ?? 0;
  if (!(u > 0) || !(loop > 0) || l.work === undefined) return null;
  if (l.weightBits === 1) {
    for (let inputs = 1; inputs <= GRU_B1_SHAPE_MAX_INPUTS; inputs++) {
      const steps = Math.round(l.work / (3 * u * (inputs + u)));
      if (!(steps > 0)) break;
      if (steps * 3 * u * (inputs + u) !== l.work) continue;
      if (Math.abs(gruLoopWork(steps, inputs, u, 1) - loop) <= 1e-6 * loop)
        return { steps, inputs, units: u };
    }
    return null;
  }
  const steps = Math.round(loop / u);
  if (!(steps > 0)) return null;
  const inputs = Math.round(l.work / (steps * 3 * u)) - u;
  return inputs >= 1 ? { steps, inputs, units: u } : null;
}

/** Which default table a CPU uses: ARMv6-M (M0/M0+/M1) has no DSP/SIMD and a slower multiply path. */
export function cpuFamily(cpu: string): 'armv6m' | 'armv7m' {
  return /cortex-m0|cortex-m1\b|cortex-m23/i.test(cpu) ? 'armv6m' : 'armv7m';
}

/**
 * The cost model's kernel on `cpu`: a conv whose kernel is one row high (every conv1d, a 1×k
 * conv2d) runs straight from the input (`conv2d_kh1`), a taller one gathers an im2col column per
 * output position first (`conv2d`), at up to twice the cost per output. 1-bit layers follow the
 * binary kernels of the speed builds (firmware bb_model_runner.c, bb_conv_b1.c, bb_fc_b1*.c):
 * - on the M4, one-row convs that qualify run the blocked kernel that expands four rows' masks once
 *   per layer (`conv2d_b1_blocked`, ~30–45 instructions per output where the others take 60–120);
 *   since the firmware after 2026-12-07's fourth pass taller ones too, on columns gathered a chunk of
 *   an output row at a time (`conv2d_b1_gathered`), and 1–3 filters as one block of four; rows of
 *   < 4 inputs run ±1 pair words where the pair kernel takes them (`conv2d_pairs` 1-bit);
 * - on the M0, convs of any height whose rows' lane masks fit one block (LayerWork.rowMaskable:
 *   ≤ 16 filters, filters × ⌈row/4⌉ ≤ 64) run the mask kernel (`conv2d_b1_mask`: the column read
 *   once per position, every row ANDed against it four lanes at a time); the others keep the
 *   per-position subset-sum tables (`conv2d_kh1` / `conv2d`);
 * - dense rows of ≤ 8 inputs (work ≤ 8 × outputs) run `bb_fc_b1_short` on both cores
 *   (`dense_b1_short`: one weight byte per row, no four-row passes or tables per call); longer rows
 *   run `dense` (the M4's USADA8 passes, the M0's subset-sum tables from 4 outputs: costTerms),
 *   except fewer than 4 outputs on the M0, which run a set-bit loop up to 32 inputs (`dense_b1_few`,
 *   since the fourth pass) and bb_fc_b1_c's bit-serial row pairs beyond (`dense_b1_pairs`);
 * - GRUs run `bb_gru_b1`: where their rows fit bb_gru_pairs' buffer (gruPairsFit, the 4/2-bit
 *   limits) on ±1 pair words expanded once per call (`gru_pairs` 1-bit, since the firmware after
 *   2026-12-07's second pass), else each step's products on subset-sum tables of x and h (`gru_b1`,
 *   whose loop work counts the tables: layer-work.ts GRU_B1_*). A 1-bit GRU stored as `gru` (profiled
 *   before this kernel, its loop work steps × units) calibrates `gru/1`, which nothing estimates; one
 *   stored as `gru_b1` whose shape now runs on pair words calibrates nothing (calibrate: PAIR_KERNELS).
 * 4- and 2-bit layers (speed builds, BB_* limits above) run the pair kernels where they fit:
 * - convs of short rows run `bb_conv_pairs` (`conv2d_pairs`: any kernel height, the rows expanded
 *   into pair words once per block of filters, each block packing every position's column again);
 * - small GRUs run `bb_gru_pairs` (`gru_pairs`: the rows expanded once per call), larger ones of
 *   ≤ 64 inputs and units bb_packed_matvec per step (`gru_packed`, since 2026-12-07's second pass);
 * - dense heads of ≤ 4 rows × ≤ 8 inputs run `bb_fc_short` row by row (`dense_short`; on the M0
 *   since the firmware after 2026-12-07's pair kernels, which ran them on bb_fc_pairs_c); on the M4
 *   4-bit ones of 9–16 inputs run `bb_fc_s4_short16` (`dense_short16`, terms of its own: costTerms).
 * Each gets its own defaults and calibration. A layer without the fields counts as a tall conv
 * (and a dense layer without work and outputs as `dense`); a conv or GRU without outChannels (a
 * run_layers row from before migration 0016) as the kernel it ran before the pair kernels.
 */
export function costKernel(
  cpu: string,
  l: {
    kernel: string;
    weightBits?: number | null;
    kernelH?: number | null;
    rowBlockable?: boolean;
    rowMaskable?: boolean;
    work?: number;
    outputs?: number;
    loopWork?: number | null;
    outChannels?: number | null;
  },
): string {
  const m4 = cpuFamily(cpu) === 'armv7m';
  const pairs = l.weightBits === 4 || l.weightBits === 2;
  if (l.kernel === 'dense') {
    if (l.outputs === undefined || !(l.outputs > 0)) return 'dense';
    if (pairs) {
      if (l.outputs > BB_FC_SHORT_MAX_ROWS) return 'dense';
      const work = l.work ?? Infinity;
      if (work <= BB_FC_SHORT_MAX_LEN * l.outputs) return 'dense_short';
      return m4 && l.weightBits === 4 && work <= BB_FC_SHORT16_MAX_LEN * l.outputs
        ? 'dense_short16'
        : 'dense';
    }
    if (l.weightBits !== 1) return 'dense';
    if ((l.work ?? Infinity) <= 8 * l.outputs) return 'dense_b1_short';
    if (m4 || l.outputs >= 4) return 'dense';
    return (l.work ?? Infinity) <= BB_FC_B1_FEW_MAX_LEN * l.outputs ? 'dense_b1_few' : 'dense_b1_pairs';
  }
  if (l.kernel === 'gru') {
    if (l.weightBits === 1) {
      const g = gruShape(l);
      return g !== null && gruPairsFit(g.inputs, g.units) ? 'gru_pairs' : 'gru_b1';
    }
    const g = pairs ? gruShape(l) : null;
    if (g === null) return 'gru';
    return gruPairsFit(g.inputs, g.units)
      ? 'gru_pairs'
      : gruPackedFit(g.inputs, g.units)
        ? 'gru_packed'
        : 'gru';
  }
  if (l.kernel !== 'conv2d') return l.kernel;
  if (pairs && l.outChannels && l.outputs && l.work !== undefined) {
    if (convPairBlockRows(m4, l.work / l.outputs, l.outChannels) > 0) return 'conv2d_pairs';
  }
  if (!m4 && l.weightBits === 1 && l.rowMaskable === true) return 'conv2d_b1_mask';
  if (m4 && l.weightBits === 1 && l.kernelH != null) {
    if (l.rowBlockable === true) return l.kernelH === 1 ? 'conv2d_b1_blocked' : 'conv2d_b1_gathered';
    if (l.rowBlockable === false && b1ConvPairs(l)) return 'conv2d_pairs';
  }
  return l.kernelH !== 1 ? 'conv2d' : 'conv2d_kh1';
}

export function defaultCoeffs(cpu: string, kernel: string, bits: number | null): Coeffs {
  const table = cpuFamily(cpu) === 'armv6m' ? ARMV6M : ARMV7M;
  const row =
    table[kernel] ??
    (kernel === 'conv2d_b1_blocked' || kernel === 'conv2d_b1_mask' ? table.conv2d_kh1 : undefined) ??
    (kernel === 'gru_b1' || kernel === 'gru_pairs' || kernel === 'gru_packed' ? table.gru : undefined) ??
    (kernel.startsWith('conv2d') ? table.conv2d! : table.dense!);
  const key = (bits === null ? 'any' : String(bits)) as '1' | '2' | '4' | '8' | 'any';
  return row[key] ?? row.any ?? row['8'] ?? [150, 2, 100];
}

/** What a cost kernel's (b, c, d) multiply: its work, outputs and loop work as the firmware runs them. */
export interface CostTerms {
  work: number;
  outputs: number;
  loopWork: number;
}

/** A layer as the cost model reads it: LayerWork, or a run_layers row (where later fields may be null). */
export type CostedLayer = Pick<LayerWork, 'kernel' | 'weightBits' | 'work' | 'outputs'> &
  Partial<Pick<LayerWork, 'kernelH' | 'rowBlockable' | 'rowMaskable'>> & {
    costKernel?: string | null;
    loopWork?: number | null;
    outChannels?: number | null;
    wideOutputs?: number | null;
  };

/**
 * The M4's blocked binary conv (`conv2d_b1_blocked`) in terms of what it computes: whole blocks of
 * four filters (6 filters cost 8), each row padded to whole words (`work`: padded filters ×
 * positions × 4·⌈row/4⌉); per computed output its requantisation, an output of a shift ≥ 0 about
 * 1 + BLOCKED_WIDE_OUTPUT times one of a lower shift (`outputs`); per block the expansion of four
 * rows' masks, BLOCKED_MASK_WORD gather bytes a word, and the gather of every padded position's
 * column again (`loopWork`: blocks × (gathered bytes + BLOCKED_MASK_WORD · words)). Weights fitted
 * on the sweep's blocked convs (bench/_deploy-fit.ts; 78 layers, 2026-12-07).
 */
export const BLOCKED_WIDE_OUTPUT = 1.4;
export const BLOCKED_MASK_WORD = 8;
/**
 * The M4's blocked binary conv on a kernel taller than one row (`conv2d_b1_gathered`, since the
 * firmware after 2026-12-07's fourth pass): the blocked conv's work and outputs; its loop work per
 * block every position's column gathered again, a copy per kernel row (GATHERED_ROW, plus a byte
 * each for rows of < 4 bytes, else a word of four) instead of the generic gather's per-tap loop, plus
 * the blocked conv's mask expansion. The kernel rows come from the conv's loop work, which gives the
 * taps (LayerWork: positions × 40 + positions × (row + 4·taps) for a tall kernel): kh = √taps, the
 * square kernels the models use.
 */
export const GATHERED_ROW = 6;

function gatheredTerms(l: CostedLayer, f: number, wide: number, loop: number): CostTerms | null {
  const positions = l.outputs / f;
  const row = l.work / l.outputs;
  const taps = (loop / positions - CONV_POSITION_COPIES - row) / 4;
  if (!(positions > 0) || !(taps >= 1)) return null;
  const kh = Math.max(1, Math.round(Math.sqrt(taps)));
  const seg = row / kh;
  const padded = 4 * Math.ceil(f / 4);
  const words = Math.ceil(row / 4);
  const perRow = GATHERED_ROW + (seg < 4 ? seg : Math.ceil(seg / 4));
  return {
    work: positions * padded * 4 * words,
    outputs: positions * padded + BLOCKED_WIDE_OUTPUT * wide * (padded / f),
    loopWork: (padded / 4) * (positions * kh * perRow + BLOCKED_MASK_WORD * words),
  };
}

/**
 * The M4's 1-bit dense (`bb_fc_b1`, rows of > 8 inputs): passes of four rows, or of three when the
 * rows left are not a multiple of four (fewer than three rows still run a three-row pass, the
 * spare rows' sums discarded: a 2-output layer computes 3 rows). `work`: the passes' rows × the
 * row's whole 8-input groups; `outputs`: an output of a shift ≥ 0 counts 1 + DENSE_B1_WIDE_OUTPUT;
 * `loopWork`: the passes, plus DENSE_B1_TAIL_ROW per row with a 1–7-input tail (its masks looked
 * up per row). Weights fitted on the sweep's 1-bit dense layers, 1–64 outputs.
 */
export const DENSE_B1_WIDE_OUTPUT = 1.9;
export const DENSE_B1_TAIL_ROW = 0.25;
/**
 * `dense_b1_short` (rows of ≤ 8 inputs, both cores): its loop work counts table groups, as the M0's
 * tables do: the pair it builds with 8 rows or more (2 groups; then two reads per row, no work per
 * input), or Σx, which costs about one group per DENSE_B1_SHORT_SUM_INPUTS inputs (fewer rows: the
 * rows' bit loops are its work). Fitted on the sweep's short dense layers of both boards.
 */
export const DENSE_B1_SHORT_SUM_INPUTS = 10;
/**
 * The M0's bit-serial row pairs (bb_fc_b1_c below 4 rows: per input LDRB + SXTB, per row LSRS + BCC
 * + ADD) in units of the tables' MACs (`bb_fc_b1_tab`: two table reads per weight byte and row):
 * one padded input of a row costs this many, so both paths share the M0's `dense` unit of work and a
 * conv running either per position one `b`. Their loop work: Σx and the tail copy, inputs / 8.
 */
export const DENSE_B1_PAIR_MAC = 3.25;
/** The M0's 1-bit dense tables (`bb_fc_b1_tab`) take at most this many rows and inputs per build. */
const TAB_ROWS = 32;
const TAB_INPUTS = 48;

/** bb_fc_b1's passes over n rows (4 when the rows left are a multiple of 4, else 3): [fours, threes]. */
function denseB1Passes(n: number): [number, number] {
  let fours = 0;
  let threes = 0;
  for (let c = 0; c < n;) {
    const left = n - c;
    if (left % 4 === 0) {
      fours += left / 4;
      break;
    }
    threes++;
    c += Math.min(left, 3);
  }
  return [fours, threes];
}

/**
 * One call of the 1-bit dense kernel (bb_fc_b1 on the M4, bb_fc_b1_c on the M0) on `rows` rows of
 * `inputs` weights, `wide` of them requantised at a shift ≥ 0: what it computes (see costTerms).
 */
function denseB1Call(m4: boolean, inputs: number, rows: number, wide: number): CostTerms {
  // bb_fc_b1_short: one weight byte per row; with 8 rows or more one pair of subset-sum tables and
  // two reads per row (no per-input work), with fewer Σx and a loop over each row's bits.
  if (inputs <= 8)
    return rows >= 8
      ? { work: 0, outputs: rows, loopWork: 2 }
      : { work: inputs * rows, outputs: rows, loopWork: inputs / DENSE_B1_SHORT_SUM_INPUTS };
  if (m4) {
    const [fours, threes] = denseB1Passes(rows);
    return {
      work: 8 * Math.floor(inputs / 8) * (4 * fours + 3 * threes),
      outputs: rows + DENSE_B1_WIDE_OUTPUT * wide,
      loopWork: fours + threes + (inputs % 8 !== 0 ? DENSE_B1_TAIL_ROW * rows : 0),
    };
  }
  if (rows < 4)
    return {
      work: DENSE_B1_PAIR_MAC * 2 * Math.ceil(rows / 2) * 32 * Math.ceil(inputs / 32),
      outputs: rows,
      loopWork: inputs / 8,
    };
  let groups = 0;
  for (let i0 = 0; i0 < inputs; i0 += TAB_INPUTS)
    groups += 2 * Math.ceil(Math.min(TAB_INPUTS, inputs - i0) / 8);
  return {
    work: 2 * Math.ceil(rows / 2) * 8 * Math.ceil(inputs / 8),
    outputs: rows,
    loopWork: Math.ceil(rows / TAB_ROWS) * groups,
  };
}

/**
 * A 1-bit one-row conv on neither binary conv kernel (`conv2d_kh1` 1-bit: on the M4 fewer than 4
 * filters or rows of < 4 or > 256 inputs, on the M0 more filters or longer rows than the mask conv
 * takes) runs the 1-bit dense kernel at every output position (bb_conv_generic over bb_fc_b1): its
 * work and outputs are the positions × that call's, its loop work the conv's plus, per position,
 * CONV_B1_CALL_LOOP byte copies per unit of the call's loop work (a pass on the M4, a table group on
 * the M0). Fitted on the sweep's 1-bit one-row convs of both boards (taller 1-bit convs gather their
 * columns, whose loop work already grows with the row as the tables do: they keep plain terms).
 */
export const CONV_B1_CALL_LOOP = 12;

/**
 * `conv2d_pairs` (bb_conv_pairs) in units of a gathered byte: each block of filters repeats every
 * position's column (its set-up CONV_PAIRS_POSITION, the gather of LayerWork.loopWork without
 * bb_conv_generic's CONV_POSITION_COPIES, and the packing of the padded column into pair words,
 * CONV_PAIRS_PACK per entry: the M4's SXTB16 lanes take a word of four, the M0's a word of two);
 * each expanded weight (rows × padded row, once per layer) costs CONV_PAIRS_EXPAND. Fitted on the
 * sweep's 4- and 2-bit pair convs of both boards (bench/_deploy-fit.ts, 2026-12-07): with the
 * conv's plain loop work the M4's rows were off by up to 30 % (few filters at many positions over,
 * many filters in blocks under).
 */
export const CONV_PAIRS_POSITION = 13;
export const CONV_PAIRS_PACK = { armv7m: 0.45, armv6m: 0.9 } as const;
export const CONV_PAIRS_EXPAND = { armv7m: 2.4, armv6m: 4 } as const;

/**
 * The pair conv's terms (see costTerms): `work` the expanded rows (whole groups, per block) × the row
 * padded to 4 × positions; `loopWork` per block each position's column again (CONV_PAIRS_*), plus
 * the expansion of the rows.
 */
function convPairTerms(m4: boolean, l: CostedLayer): CostTerms | null {
  const f = l.outChannels ?? null;
  const loop = l.loopWork ?? null;
  if (f === null || !(f > 0) || loop === null || !(l.outputs > 0)) return null;
  const lenp = 4 * Math.ceil(l.work / l.outputs / 4);
  const bmax = convPairBlockRows(m4, l.work / l.outputs, f);
  if (bmax === 0) return null;
  const positions = l.outputs / f;
  let rows = 0;
  let blocks = 0;
  for (let c = 0; c < f; c += bmax, blocks++) rows += convPairRows(m4, Math.min(bmax, f - c));
  const fam = m4 ? 'armv7m' : 'armv6m';
  const gathered = loop - positions * CONV_POSITION_COPIES;
  return {
    work: positions * rows * lenp,
    outputs: l.outputs,
    loopWork:
      blocks * (gathered + CONV_PAIRS_POSITION * positions + CONV_PAIRS_PACK[fam] * positions * lenp) +
      CONV_PAIRS_EXPAND[fam] * rows * lenp,
  };
}

/**
 * `gru_pairs` (bb_gru_pairs): a MAC of a row longer than 8 inputs costs GRU_PAIRS_LOOP_MAC of one
 * whose packed x or h (4 or 8 inputs: bb_pairs_matvec's nw = 2 and 4 paths) stays in registers; the
 * expansion of the 6·units rows into pair words, once per call, GRU_PAIRS_EXPAND_* unit-steps per
 * word (4-bit fields cost more to unpack than 2-bit ones). Fitted on the sweep's pair GRUs; without
 * them the held-out GRUs (`--seed 101`) were off by up to 35 % (a 2-step GRU of 2 units at 4 bits).
 */
export const GRU_PAIRS_LOOP_MAC = 2.2;
export const GRU_PAIRS_EXPAND_S4 = 0.1;
export const GRU_PAIRS_EXPAND_S2 = 0.05;
/**
 * 1-bit rows expand a nibble at a time from a table (bb_b1_pairs_row): ~4 instructions a pair word.
 * A 1-bit GRU's steps on pair words also cost GRU_PAIRS_B1_STEP unit-steps each beyond their units
 * (packing x and h, the two calls): without it the sweep's 1-unit GRUs were 13–17 % under, with it
 * the fit's worst is 6.6 % (M4) / 6.3 % (M0). The 4/2-bit rows were fitted without such a term.
 */
export const GRU_PAIRS_EXPAND_B1 = 0.01;
export const GRU_PAIRS_B1_STEP = 0.3;

/**
 * The terms a layer's estimate multiplies on `kernel` (costKernel's choice on `cpu`). Most kernels
 * take LayerWork's work, outputs and loop work as they are; the binary ones whose firmware computes
 * more than the layer's MACs, or whose setup scales with neither, get their own:
 * - `conv2d_b1_blocked` (M4): see BLOCKED_*; needs outChannels and wideOutputs;
 * - `dense` 1-bit on the M4: see DENSE_B1_*; needs wideOutputs;
 * - `dense` 1-bit on the M0 (≥ 4 outputs, > 8 inputs: `bb_fc_b1_tab`): work is the row pairs'
 *   weight bytes × 8, loop work the subset-sum table groups built, 2·⌈inputs/8⌉ per block of
 *   TAB_ROWS rows (a 4-output layer builds as many as a 32-output one);
 * - `dense_b1_pairs` (M0, < 4 outputs, > 8 inputs: bb_fc_b1_c's bit-serial row pairs): work is the
 *   row pairs × the inputs padded to whole 32-input words (× DENSE_B1_PAIR_MAC), loop work inputs / 8;
 * - `dense_b1_short`: see DENSE_B1_SHORT_SUM_INPUTS;
 * - `conv2d_kh1` 1-bit: the dense call's terms per position (CONV_B1_CALL_LOOP); needs outChannels
 *   (and wideOutputs on the M4).
 * Null when a field they need is missing (a run_layers row from before it was stored), or a kernel
 * with a loop-work term lacks the loop work: such a layer does not calibrate that kernel.
 */
export function costTerms(cpu: string, kernel: string, l: CostedLayer): CostTerms | null {
  const m4 = cpuFamily(cpu) === 'armv7m';
  const n = l.outputs;
  const wide = l.wideOutputs ?? null;
  const loop = l.loopWork ?? null;
  const blocked = kernel === 'conv2d_b1_blocked' || kernel === 'conv2d_b1_gathered';
  if (blocked || (kernel === 'conv2d_kh1' && l.weightBits === 1)) {
    const f = l.outChannels ?? null;
    if (f === null || !(f > 0) || loop === null || (wide === null && (m4 || blocked))) return null;
    if (kernel === 'conv2d_b1_gathered') return gatheredTerms(l, f, wide!, loop);
    const positions = n / f;
    const row = n > 0 ? l.work / n : 0;
    if (kernel === 'conv2d_kh1') {
      const call = denseB1Call(m4, row, f, (wide ?? 0) / (positions || 1));
      return {
        work: positions * call.work,
        outputs: positions * call.outputs,
        loopWork: loop + CONV_B1_CALL_LOOP * positions * call.loopWork,
      };
    }
    const padded = 4 * Math.ceil(f / 4);
    const words = Math.ceil(row / 4);
    const gathered = loop - positions * CONV_POSITION_COPIES;
    return {
      work: positions * padded * 4 * words,
      outputs: positions * padded + BLOCKED_WIDE_OUTPUT * wide! * (padded / f),
      loopWork: (padded / 4) * (gathered + BLOCKED_MASK_WORD * words),
    };
  }
  if (kernel === 'maxPool2d') {
    // bb_max_pool_s8: the window's raw maximum, then a requantisation only where the scale changes
    // (`outputs`: wideOutputs, 0 with the identity requant); `loopWork` the taps it runs on its
    // general loops: windows it does not unroll (LayerWork.loopWork), and on the M4 any layer of
    // < 4 channels (the SIMD path takes 4 at a time). Rows from before wideOutputs (and outChannels)
    // were stored were the old loop nest.
    if (wide === null || loop === null || (m4 && !(l.outChannels != null && l.outChannels > 0))) return null;
    // On the M4 with ≥ 4 channels a tap is one compare of four channels (the last group of a
    // position overlapping the one before): `work` counts those compares.
    const c = l.outChannels ?? 0;
    const work = m4 && c >= 4 ? (l.work / c) * Math.ceil(c / 4) : l.work;
    return { work, outputs: wide, loopWork: m4 && c < 4 ? l.work : loop > 0 ? work : 0 };
  }
  // An average pool's rows from before out_channels was stored (migration 0016, which came with
  // the pool kernels of 2026-12-07) ran the old loop nest, ~2.5× these rows: they do not calibrate.
  if (kernel === 'avgPool2d' && (l.outChannels ?? null) === null) return null;
  if (kernel === 'conv2d_pairs') return convPairTerms(m4, l);
  if (kernel === 'gru_pairs') {
    const g = gruShape(l);
    if (g === null) return null;
    // The rows padded to whole pair words of 4 inputs (the padding lanes multiply zero weights);
    // rows of 4 or 8 padded inputs keep the step's packed x or h in registers, longer ones loop.
    const pad = (x: number) => 4 * Math.ceil(x / 4);
    const mac = (x: number) => pad(x) * (pad(x) === 4 || pad(x) === 8 ? 1 : GRU_PAIRS_LOOP_MAC);
    const words = (3 * g.units * (pad(g.inputs) + pad(g.units))) / 2;
    const expand =
      l.weightBits === 1
        ? GRU_PAIRS_EXPAND_B1
        : l.weightBits === 2
          ? GRU_PAIRS_EXPAND_S2
          : GRU_PAIRS_EXPAND_S4;
    // steps × units: the loop work of every width but 1, whose stored form also counts tables it no longer builds.
    return {
      work: g.steps * 3 * g.units * (mac(g.inputs) + mac(g.units)),
      outputs: n,
      loopWork: g.steps * g.units + (l.weightBits === 1 ? GRU_PAIRS_B1_STEP * g.steps : 0) + expand * words,
    };
  }
  if (kernel === 'gru_packed') {
    // Per step each of the 3·units gate rows multiplies x and h once (packedRowMuls); the rows' own
    // set-up, like the gates, scales with the loop work (steps × units), the packing with the steps.
    const g = gruShape(l);
    if (g === null) return null;
    const bits = l.weightBits ?? 4;
    const muls = (x: number) => packedRowMuls(x, bits) * (packedLoops(m4, x, bits) ? GRU_PACKED_LOOP_MUL : 1);
    return {
      work: g.steps * 3 * g.units * (muls(g.inputs) + muls(g.units)),
      outputs: n,
      loopWork: l.loopWork! + GRU_PACKED_STEP * g.steps,
    };
  }
  if (kernel === 'dense_b1_few') {
    // The set-bit loop's inputs × rows (work), each row's requantisation, and Σx once (loopWork: the inputs).
    return { work: l.work, outputs: n, loopWork: n > 0 ? l.work / n : 0 };
  }
  if (kernel === 'dense_short16') {
    // Two weight words a row whatever the inputs (9–16); inputs 9–15 are packed byte by byte, 16 in words.
    const inputs = n > 0 ? Math.round(l.work / n) : 0;
    return { work: inputs >= BB_FC_SHORT16_MAX_LEN ? 0 : Math.max(0, inputs - 8), outputs: n, loopWork: 0 };
  }
  const inputs = n > 0 ? l.work / n : 0;
  if (
    (kernel === 'dense' && l.weightBits === 1 && n > 0 && inputs > 8) ||
    kernel === 'dense_b1_pairs' ||
    kernel === 'dense_b1_short'
  ) {
    if (m4 && wide === null && inputs > 8) return null; // the M4's passes count shift ≥ 0 outputs
    return denseB1Call(m4, inputs, n, wide ?? 0);
  }
  const d = defaultCoeffs(cpu, kernel, l.weightBits)[3] ?? 0;
  if (loop === null && d > 0) return null;
  return { work: l.work, outputs: n, loopWork: loop ?? 0 };
}

/**
 * The default estimate of a layer (s = 1). A layer whose terms are missing (costTerms: null, a
 * row from before they were stored) is estimated on its plain work, outputs and loop work.
 */
export function defaultEstimate(cpu: string, l: CostedLayer): number {
  const kernel = l.costKernel ?? costKernel(cpu, l);
  const [a, b, c, d = 0] = defaultCoeffs(cpu, kernel, l.weightBits);
  const t = costTerms(cpu, kernel, l) ?? { work: l.work, outputs: l.outputs, loopWork: l.loopWork ?? 0 };
  return a + b * t.work + c * t.outputs + d * t.loopWork;
}

/** A layer measured in an earlier profile on the same board (run_layers rows). */
export interface MeasuredLayer {
  runId: number;
  kernel: string;
  weightBits: number | null;
  work: number;
  outputs: number;
  counts: number;
  /** The cost kernel it was estimated with (run_layers.cost_kernel); null on layers from before. */
  costKernel?: string | null;
  /** Its LayerWork.loopWork (run_layers.loop_work); null on layers profiled before it was stored. */
  loopWork?: number | null;
  /** Its LayerWork.outChannels and .wideOutputs (run_layers, migration 0016); null on older rows. */
  outChannels?: number | null;
  wideOutputs?: number | null;
}

export const kernelKey = (kernel: string, bits: number | null): string => `${kernel}/${bits ?? '-'}`;

export interface Calibration {
  /** Per kernel/width: the factor s and how many layers (and runs) it rests on. */
  factors: Map<string, { scale: number; layers: number; runs: number }>;
  runs: number;
}

/** The cost kernels of the 4- and 2-bit pair paths (costKernel), which arrived after the others. */
const PAIR_KERNELS = new Set([
  'conv2d_pairs',
  'gru_pairs',
  'gru_packed',
  'dense_short',
  'dense_short16',
  'dense_b1_few',
]);

/**
 * A 1-bit conv profiled on the M4 before the firmware of 2026-12-07's fourth pass whose shape now
 * runs another kernel: stored as `conv2d` (a taller kernel, per position on bb_fc_b1) but blockable
 * (now `conv2d_b1_gathered`), as `conv2d_kh1` with < 4 filters and rows of 4–256 (now one block of
 * four, `conv2d_b1_blocked`), or as either with rows of < 4 where the pair kernel now takes it
 * (`conv2d_pairs`). Its counts are those of code its shape no longer runs.
 */
function b1ConvMoved(m4: boolean, h: MeasuredLayer): boolean {
  if (!m4 || h.weightBits !== 1 || (h.costKernel !== 'conv2d' && h.costKernel !== 'conv2d_kh1')) return false;
  if (b1ConvBlockable(h)) return h.costKernel === 'conv2d' || (h.outChannels ?? 0) < 4;
  return b1ConvPairs(h);
}

export function calibrate(cpu: string, history: readonly MeasuredLayer[]): Calibration {
  const sums = new Map<string, { measured: number; predicted: number; layers: number; runs: Set<number> }>();
  for (const h of history) {
    if (!(h.counts > 0)) continue;
    const now = costKernel(cpu, h);
    // A 4/2-bit layer the pair kernels take today, stored under another cost kernel, ran either the
    // old kernel (firmware before them) or the pair kernel (the firmware of 2026-12-07, whose cost
    // model had no rows for them yet): it calibrates neither.
    if (PAIR_KERNELS.has(now) && h.costKernel !== now) continue;
    // Likewise a 1-bit conv whose shape the M4 now runs on the blocked kernel (gathered columns, or
    // 1–3 filters as a block of four) or on ±1 pair words (b1ConvMoved): it calibrates neither its old
    // kernel nor the new one.
    if (b1ConvMoved(cpuFamily(cpu) === 'armv7m', h)) continue;
    // A dense layer's kernel follows from its stored width, work and outputs (rows of < 4 outputs
    // on the M0 ran bb_fc_b1_c's row pairs before they had a cost kernel of their own).
    const ck = h.kernel === 'dense' || !h.costKernel ? now : h.costKernel;
    // Without its loop work (or the fields a binary kernel's terms need) the default would miss a
    // part of the layer's counts, and s would carry it into every later estimate of that kernel:
    // such a row does not calibrate.
    if (costTerms(cpu, ck, h) === null) continue;
    const k = kernelKey(ck, h.weightBits);
    const s = sums.get(k) ?? { measured: 0, predicted: 0, layers: 0, runs: new Set<number>() };
    s.measured += h.counts;
    s.predicted += defaultEstimate(cpu, { ...h, costKernel: ck });
    s.layers++;
    s.runs.add(h.runId);
    sums.set(k, s);
  }
  const factors = new Map<string, { scale: number; layers: number; runs: number }>();
  for (const [k, s] of sums)
    if (s.predicted > 0)
      factors.set(k, { scale: s.measured / s.predicted, layers: s.layers, runs: s.runs.size });
  return { factors, runs: new Set(history.map((h) => h.runId)).size };
}

export interface LayerEstimate {
  counts: number;
  /** 'default' or 'calibrated': whether the board's own profiles set the level. */
  source: 'default' | 'calibrated';
  scale: number;
}

export function estimateLayer(cpu: string, l: LayerWork, cal: Calibration): LayerEstimate {
  const base = defaultEstimate(cpu, l);
  const f = cal.factors.get(kernelKey(costKernel(cpu, l), l.weightBits));
  return f
    ? { counts: base * f.scale, source: 'calibrated', scale: f.scale }
    : { counts: base, source: 'default', scale: 1 };
}

/** Relative deviation of a measurement from its estimate; flagged beyond ±25 %. */
export const FLAG_THRESHOLD = 0.25;
export function deviation(measured: number, estimate: number): number | null {
  return estimate > 0 ? (measured - estimate) / estimate : null;
}
