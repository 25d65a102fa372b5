import type { LayerWork } from './layer-work';

/**
 * Per-kernel cost model: the counts one layer takes on a board, estimated as
 *
 *   counts ≈ s · (a + b · work + c · outputs + d · loopWork)
 *
 * a = fixed per-layer cost (call, setup), b = per MAC (or per element operation for pools and
 * ReLU), c = per output (requantisation, clamp, store), d = per unit of the kernel's loop work
 * outside those two (LayerWork.loopWork: a conv's per-position column setup and im2col gather, a
 * GRU's per-step, per-unit dot calls and gates; 0 for the other kernels, whose rows have no d).
 * (a, b, c, d) per kernel × weight width ×
 * CPU family are defaults measured on the virtual boards; s is the board's calibration: the
 * ratio of measured to default-estimated counts over that kernel and width in the board's
 * earlier profiles (1 before any). One factor per kernel keeps the shape the defaults learned
 * from many layer sizes while the board's own runs fix the level (clock, memory wait states,
 * an optimised kernel the defaults did not see).
 *
 * The defaults come from `npm run bench -- deploy --fit-defaults` (bench/_deploy-fit.ts): 532
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
 * Last, gru/2, /4 and /8 were refitted once more (`--ops gru --bits 2,4,8`) after bb_gru's gate
 * rows moved to the 32-bit requantiser and bb_dot_s4's row tails to fixed shifts (the 4-bit tail
 * term of the GRU's loop work went with it: it fitted best at 0).
 * Convs with a one-row kernel (`conv2d_kh1`: every conv1d), the M4's blocked binary conv
 * (`conv2d_b1_blocked`), the M0's binary mask conv (`conv2d_b1_mask`) and taller convs (im2col
 * per position) have separate rows (costKernel). They are
 * instruction counts; a real board reports cycles, so its first profile calibrates s.
 */
export type Coeffs = readonly [a: number, b: number, c: number, d?: number];
type KernelTable = Record<string, Partial<Record<'1' | '2' | '4' | '8' | 'any', Coeffs>>>;

const ARMV7M: KernelTable = {
  conv2d: {
    1: [387, 0.39, 66.9, 5.94],
    2: [840, 1.24, 42.4, 5.13],
    4: [14, 1.5, 31.5, 5.02],
    8: [0, 1.52, 47.1, 4.57],
  },
  conv2d_kh1: {
    1: [364, 0.67, 64.5, 5.71],
    2: [127, 1.41, 42.7, 4.3],
    4: [1067, 1.49, 43.7, 1.51],
    8: [139, 1.53, 48.3, 2.91],
  },
  conv2d_b1_blocked: { 1: [1537, 0.68, 32.8] },
  dense: { 1: [323, 0.84, 44.2], 2: [239, 1.4, 43.6], 4: [244, 1.56, 33.5], 8: [156, 1.53, 50.5] },
  depthwiseConv2d: {
    1: [1035, 32.52, 97.8],
    2: [1336, 30.33, 106.4],
    4: [646, 33.16, 78.2],
    8: [625, 25.7, 78.7],
  },
  gru: {
    1: [246, 8.02, 4.7, 502.04],
    2: [239, 6.96, 4.4, 499.18],
    4: [1632, 4.38, 27.3, 356.87],
    8: [266, 4.25, 13, 427.61],
  },
  gru_b1: { 1: [304, 0, 0, 361.93] },
  dense_b1_short: { 1: [214, 2.27, 42.1] },
  maxPool2d: { any: [254, 12.17, 92.6] },
  avgPool2d: { any: [394, 5.96, 90.1] },
  relu: { any: [0, 44.92, 0] },
  flatten: { any: [27, 0, 0] },
};

const ARMV6M: KernelTable = {
  conv2d: {
    1: [0, 2.67, 26.8, 16.11],
    2: [1783, 3.8, 141, 8.77],
    4: [0, 4.89, 84.4, 6.91],
    8: [251, 4.98, 122.2, 5.74],
  },
  conv2d_kh1: {
    1: [324, 2.68, 58.2, 26.65],
    2: [0, 3.63, 129.8, 13.36],
    4: [1286, 4.37, 135.3],
    8: [180, 4.9, 128, 3.85],
  },
  dense: { 1: [1560, 3.19, 0], 2: [714, 3.85, 101.7], 4: [614, 4.52, 84.6], 8: [194, 4.93, 129.4] },
  depthwiseConv2d: {
    1: [1718, 48.52, 172.9],
    2: [2324, 44.12, 183.2],
    4: [966, 45.32, 149.2],
    8: [1024, 34.74, 147.8],
  },
  gru: {
    1: [292, 11.96, 5.2, 1041.78],
    2: [292, 10.95, 9, 803.95],
    4: [1868, 7.85, 39.2, 650.76],
    8: [422, 6.64, 30.5, 712.68],
  },
  gru_b1: { 1: [0, 0.38, 17.7, 542.31] },
  dense_b1_short: { 1: [248, 2.37, 91.6] },
  conv2d_b1_mask: { 1: [707, 3.53, 85.7, 5.74] },
  maxPool2d: { any: [373, 15.44, 184.7] },
  avgPool2d: { any: [666, 6.68, 182.4] },
  relu: { any: [6, 115.48, 0] },
  flatten: { any: [35, 0, 0] },
};

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
 * - on the M0, convs of any height whose rows' lane masks fit one block (LayerWork.rowMaskable:
 *   ≤ 16 filters, filters × ⌈row/4⌉ ≤ 64) run the mask kernel (`conv2d_b1_mask`: the column read
 *   once per position, every row ANDed against it four lanes at a time); the others keep the
 *   per-position subset-sum tables (`conv2d_kh1` / `conv2d`);
 * - dense rows of ≤ 8 inputs (work ≤ 8 × outputs) run `bb_fc_b1_short` on both cores
 *   (`dense_b1_short`: one weight byte per row, no four-row passes or tables per call);
 * - GRUs run `bb_gru_b1` (`gru_b1`: each step's products on subset-sum tables of x and h, whose
 *   loop work counts the tables: layer-work.ts GRU_B1_*). A 1-bit GRU stored as `gru` (profiled
 *   before this kernel, its loop work steps × units) calibrates `gru/1`, which nothing estimates.
 * Each gets its own defaults and calibration. A layer without the fields counts as a tall conv
 * (and a dense layer without work and outputs as `dense`).
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
  },
): string {
  const m4 = cpuFamily(cpu) === 'armv7m';
  if (l.kernel === 'dense')
    return l.weightBits === 1 &&
      l.outputs !== undefined &&
      l.outputs > 0 &&
      (l.work ?? Infinity) <= 8 * l.outputs
      ? 'dense_b1_short'
      : 'dense';
  if (l.kernel === 'gru') return l.weightBits === 1 ? 'gru_b1' : 'gru';
  if (l.kernel !== 'conv2d') return l.kernel;
  if (!m4 && l.weightBits === 1 && l.rowMaskable === true) return 'conv2d_b1_mask';
  if (l.kernelH !== 1) return 'conv2d';
  return m4 && l.weightBits === 1 && l.rowBlockable === true ? 'conv2d_b1_blocked' : 'conv2d_kh1';
}

export function defaultCoeffs(cpu: string, kernel: string, bits: number | null): Coeffs {
  const table = cpuFamily(cpu) === 'armv6m' ? ARMV6M : ARMV7M;
  const row =
    table[kernel] ??
    (kernel === 'conv2d_b1_blocked' || kernel === 'conv2d_b1_mask' ? table.conv2d_kh1 : undefined) ??
    (kernel === 'gru_b1' ? table.gru : undefined) ??
    (kernel.startsWith('conv2d') ? table.conv2d! : table.dense!);
  const key = (bits === null ? 'any' : String(bits)) as '1' | '2' | '4' | '8' | 'any';
  return row[key] ?? row.any ?? row['8'] ?? [150, 2, 100];
}

export function defaultEstimate(
  cpu: string,
  l: Pick<LayerWork, 'kernel' | 'weightBits' | 'work' | 'outputs'> &
    Partial<Pick<LayerWork, 'kernelH' | 'rowBlockable' | 'rowMaskable'>> & {
      costKernel?: string | null;
      loopWork?: number | null;
    },
): number {
  const [a, b, c, d = 0] = defaultCoeffs(cpu, l.costKernel ?? costKernel(cpu, l), l.weightBits);
  return a + b * l.work + c * l.outputs + d * (l.loopWork ?? 0);
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
}

export const kernelKey = (kernel: string, bits: number | null): string => `${kernel}/${bits ?? '-'}`;

export interface Calibration {
  /** Per kernel/width: the factor s and how many layers (and runs) it rests on. */
  factors: Map<string, { scale: number; layers: number; runs: number }>;
  runs: number;
}

export function calibrate(cpu: string, history: readonly MeasuredLayer[]): Calibration {
  const sums = new Map<string, { measured: number; predicted: number; layers: number; runs: Set<number> }>();
  for (const h of history) {
    if (!(h.counts > 0)) continue;
    const ck = h.costKernel ?? costKernel(cpu, h);
    // Without its loop work the default would miss the layer's per-position / per-step part, and
    // s would carry it into every later estimate of that kernel: such a row does not calibrate.
    if ((h.loopWork ?? null) === null && (defaultCoeffs(cpu, ck, h.weightBits)[3] ?? 0) > 0) continue;
    const k = kernelKey(ck, h.weightBits);
    const s = sums.get(k) ?? { measured: 0, predicted: 0, layers: 0, runs: new Set<number>() };
    s.measured += h.counts;
    s.predicted += defaultEstimate(cpu, h);
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
