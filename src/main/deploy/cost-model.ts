import type { LayerWork } from './layer-work';

/**
 * Per-kernel cost model: the counts one layer takes on a board, estimated as
 *
 *   counts ≈ s · (a + b · work + c · outputs)
 *
 * a = fixed per-layer cost (call, setup), b = per MAC (or per element operation for pools and
 * ReLU), c = per output (requantisation, clamp, store). (a, b, c) per kernel × weight width ×
 * CPU family are defaults measured on the virtual boards; s is the board's calibration: the
 * ratio of measured to default-estimated counts over that kernel and width in the board's
 * earlier profiles (1 before any). One factor per kernel keeps the shape the defaults learned
 * from many layer sizes while the board's own runs fix the level (clock, memory wait states,
 * an optimised kernel the defaults did not see).
 *
 * The defaults come from `npm run bench -- deploy --fit-defaults` (bench/_deploy-fit.ts): 464
 * single-layer models per board of every kernel and width (conv1d 16–128 steps × 3–32 channels,
 * kernel 3–7, 8–64 filters; 3×3 conv2d up to 20×10×8; dense 30–2048 inputs × 4–64 outputs; GRUs up
 * to 32 units; pools, ReLU) run on virtual:m4 and virtual:m0 under QEMU -icount, fitted by least
 * squares on relative error (refitted 2026-12-07 after the kernel rewrites of 2026-12-05/06 had
 * made the first fit 2–4× too high for low-bit layers). Convs with a one-row kernel (`conv2d_kh1`:
 * every conv1d), the M4's blocked binary conv (`conv2d_b1_blocked`) and taller convs (im2col per
 * position) have separate rows (costKernel). They are
 * instruction counts; a real board reports cycles, so its first profile calibrates s.
 */
export type Coeffs = readonly [a: number, b: number, c: number];
type KernelTable = Record<string, Partial<Record<'1' | '2' | '4' | '8' | 'any', Coeffs>>>;

const ARMV7M: KernelTable = {
  conv2d: { 1: [2240, 1.29, 98.7], 2: [1582, 2.26, 59.5], 4: [2788, 1.97, 64.5], 8: [6279, 1.59, 69.2] },
  conv2d_kh1: { 1: [2568, 0.63, 75.4], 2: [898, 1.4, 51.3], 4: [1260, 1.48, 46.4], 8: [601, 1.52, 55.1] },
  conv2d_b1_blocked: { 1: [2270, 0.73, 25.5] },
  dense: { 1: [323, 0.84, 44.2], 2: [239, 1.4, 43.6], 4: [244, 1.56, 33.5], 8: [156, 1.53, 50.5] },
  depthwiseConv2d: {
    1: [1035, 32.52, 97.8],
    2: [1336, 30.33, 106.4],
    4: [646, 33.16, 78.2],
    8: [625, 25.7, 78.7],
  },
  gru: { 1: [5628, 12.87, 116.9], 2: [4144, 11.55, 220.1], 4: [10158, 7.55, 116.9], 8: [6614, 9.81, 115.2] },
  maxPool2d: { any: [254, 12.17, 92.6] },
  avgPool2d: { any: [394, 5.96, 90.1] },
  relu: { any: [0, 44.92, 0] },
  flatten: { any: [27, 0, 0] },
};

const ARMV6M: KernelTable = {
  conv2d: { 1: [6305, 4.4, 153.1], 2: [2722, 5.81, 176.4], 4: [4647, 4.81, 182.4], 8: [7321, 4.88, 161] },
  conv2d_kh1: {
    1: [4708, 2.66, 129.9],
    2: [1943, 3.43, 168.3],
    4: [3143, 3.92, 146.4],
    8: [759, 4.86, 138.5],
  },
  dense: { 1: [1560, 3.19, 0], 2: [714, 3.85, 101.7], 4: [614, 4.52, 84.6], 8: [194, 4.93, 129.4] },
  depthwiseConv2d: {
    1: [1718, 48.52, 172.9],
    2: [2324, 44.12, 183.2],
    4: [966, 45.32, 149.2],
    8: [1024, 34.74, 147.8],
  },
  gru: {
    1: [11752, 21.88, 220.5],
    2: [8199, 19.91, 427.5],
    4: [17252, 14.58, 228.7],
    8: [13923, 17.27, 236.7],
  },
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
 * output position first (`conv2d`), at up to twice the cost per output. On the M4, 1-bit one-row
 * convs that qualify run the blocked kernel that expands four rows' masks once per layer
 * (`conv2d_b1_blocked`, ~30–45 instructions per output where the others take 60–120). Each gets
 * its own defaults and calibration. A layer without the fields counts as a tall conv.
 */
export function costKernel(
  cpu: string,
  l: { kernel: string; weightBits?: number | null; kernelH?: number | null; rowBlockable?: boolean },
): string {
  if (l.kernel !== 'conv2d' || l.kernelH !== 1) return l.kernel;
  return cpuFamily(cpu) === 'armv7m' && l.weightBits === 1 && l.rowBlockable === true
    ? 'conv2d_b1_blocked'
    : 'conv2d_kh1';
}

export function defaultCoeffs(cpu: string, kernel: string, bits: number | null): Coeffs {
  const table = cpuFamily(cpu) === 'armv6m' ? ARMV6M : ARMV7M;
  const row =
    table[kernel] ??
    (kernel === 'conv2d_b1_blocked' ? table.conv2d_kh1 : undefined) ??
    (kernel.startsWith('conv2d') ? table.conv2d! : table.dense!);
  const key = (bits === null ? 'any' : String(bits)) as '1' | '2' | '4' | '8' | 'any';
  return row[key] ?? row.any ?? row['8'] ?? [150, 2, 100];
}

export function defaultEstimate(
  cpu: string,
  l: Pick<LayerWork, 'kernel' | 'weightBits' | 'work' | 'outputs'> &
    Partial<Pick<LayerWork, 'kernelH' | 'rowBlockable'>> & { costKernel?: string | null },
): number {
  const [a, b, c] = defaultCoeffs(cpu, l.costKernel ?? costKernel(cpu, l), l.weightBits);
  return a + b * l.work + c * l.outputs;
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
    const k = kernelKey(h.costKernel ?? costKernel(cpu, h), h.weightBits);
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
