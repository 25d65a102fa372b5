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
 * The defaults came from `npm run bench -- deploy --fit-defaults`: ~600 single-layer models of
 * every kernel and width (dense 30–3968 inputs, conv1d up to 126×32, conv2d up to 20×10) run on
 * virtual:m4 and virtual:m0 under QEMU -icount, fitted by least squares on relative error. They
 * are instruction counts; a real board reports cycles, so its first profile calibrates s.
 */
export type Coeffs = readonly [a: number, b: number, c: number];
type KernelTable = Record<string, Partial<Record<'1' | '2' | '4' | '8' | 'any', Coeffs>>>;

const ARMV7M: KernelTable = {
  conv2d: { 1: [209, 0.96, 132.0], 2: [175, 2.44, 122.6], 4: [202, 2.14, 111.9], 8: [192, 1.97, 83.3] },
  dense: { 1: [191, 0.93, 110.1], 2: [157, 2.34, 108.8], 4: [134, 2.51, 104.3], 8: [145, 1.67, 66.4] },
  depthwiseConv2d: {
    1: [138, 27.74, 97.1],
    2: [147, 33.97, 97.9],
    4: [128, 34.59, 82.4],
    8: [127, 30.15, 75.2],
  },
  gru: { 1: [424, 19.88, 95.1], 2: [369, 17.91, 174.3], 4: [422, 22.65, 57.7], 8: [433, 15.44, 126.9] },
  maxPool2d: { any: [165, 12.68, 80.5] },
  avgPool2d: { any: [166, 8.25, 80.7] },
  relu: { any: [126, 20.05, 20.1] },
  flatten: { any: [27, 0, 0] },
};

const ARMV6M: KernelTable = {
  conv2d: { 1: [194, 13.15, 155.9], 2: [238, 12.16, 147.3], 4: [225, 6.89, 177.0], 8: [207, 7.67, 145.3] },
  dense: { 1: [142, 12.42, 140.0], 2: [166, 11.76, 138.7], 4: [138, 7.12, 166.5], 8: [145, 7.45, 123.0] },
  depthwiseConv2d: {
    1: [174, 42.99, 174.5],
    2: [184, 49.71, 175.8],
    4: [160, 48.4, 153.2],
    8: [161, 41.17, 142.0],
  },
  gru: { 1: [690, 36.0, 206.3], 2: [612, 32.82, 334.4], 4: [703, 41.77, 103.5], 8: [763, 29.41, 252.6] },
  maxPool2d: { any: [210, 15.27, 163.3] },
  avgPool2d: { any: [208, 11.55, 162.9] },
  relu: { any: [172, 51.72, 51.7] },
  flatten: { any: [35, 0, 0] },
};

/** Which default table a CPU uses: ARMv6-M (M0/M0+/M1) has no DSP/SIMD and a slower multiply path. */
export function cpuFamily(cpu: string): 'armv6m' | 'armv7m' {
  return /cortex-m0|cortex-m1\b|cortex-m23/i.test(cpu) ? 'armv6m' : 'armv7m';
}

export function defaultCoeffs(cpu: string, kernel: string, bits: number | null): Coeffs {
  const table = cpuFamily(cpu) === 'armv6m' ? ARMV6M : ARMV7M;
  const row = table[kernel] ?? table.dense!;
  const key = (bits === null ? 'any' : String(bits)) as '1' | '2' | '4' | '8' | 'any';
  return row[key] ?? row.any ?? row['8'] ?? [150, 2, 100];
}

export function defaultEstimate(
  cpu: string,
  l: Pick<LayerWork, 'kernel' | 'weightBits' | 'work' | 'outputs'>,
): number {
  const [a, b, c] = defaultCoeffs(cpu, l.kernel, l.weightBits);
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
    const k = kernelKey(h.kernel, h.weightBits);
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
  const f = cal.factors.get(kernelKey(l.kernel, l.weightBits));
  return f
    ? { counts: base * f.scale, source: 'calibrated', scale: f.scale }
    : { counts: base, source: 'default', scale: 1 };
}

/** Relative deviation of a measurement from its estimate; flagged beyond ±25 %. */
export const FLAG_THRESHOLD = 0.25;
export function deviation(measured: number, estimate: number): number | null {
  return estimate > 0 ? (measured - estimate) / estimate : null;
}
