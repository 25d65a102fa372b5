/**
 * `npm run bench -- deploy --fit-defaults [--per-kernel N] [--boards virtual:m4,virtual:m0]
 *   [--ops conv2d,gru] [--bits 1] [--seed N] [--raw FILE] [--json]`
 *
 * Refits the cost model's default coefficients (src/main/deploy/cost-model.ts): single-layer models
 * of every kernel and weight width, sized like real layers (conv1d of 16–128 steps × 3–32 channels,
 * kernel 3–7, 4–64 filters; 3×3 and 5×5 conv2d up to 28×28×16 with 1–32 filters, among them the
 * few-filter first layers of small image models; dense 30–2048 inputs × 4–64 outputs; GRUs of 2–64
 * time steps × 1–16 features with 2–32 units), are
 * loaded on each virtual board over the serial protocol and run once with INFER; the board's
 * per-layer counts (QEMU -icount instructions) are fitted to
 *     counts ≈ a + b · work + c · outputs + d · loopWork
 * by least squares on relative error (each row divided by its measurement), per kernel × width ×
 * board; d only for the kernels with loop work (convs, GRU: layer-work.ts; the binary kernels whose
 * terms are their own, cost-model.ts costTerms: work, outputs and loop work as the kernel runs
 * them, e.g. the M4's blocked conv over whole blocks of four filters). Prints the fitted tables
 * (ready to paste into cost-model.ts), and for each kernel/width the median and worst relative
 * error of the fit and of the current defaults. `--ops` measures only those ops, `--bits` only
 * those weight widths (the others' rows are not refitted; ops without weights count as width 8).
 * 1-bit layers also get binarySpecs(), shaped and scaled like real binary layers; 4- and 2-bit ones
 * pairSpecs(), on and around the pair kernels' limits (conv2d_pairs, gru_pairs, dense_short); pools
 * also poolSpecs(), the unrolled 1×2 and 2×2 windows; 1-bit GRUs also binaryPairGruSpecs() (the
 * binary GRU on pair words); 1-bit convs and dense layers also binaryTallSpecs() (the M4's taller
 * and few-filter binary convs, the M0's few-row binary dense).
 */
import { writeFileSync } from 'node:fs';
import { boardManager } from '../src/main/device/board-manager';
import { loadModel } from '../src/main/device/model-load';
import { createAppContext } from '../src/main/context';
import { costKernel, costTerms, cpuFamily, defaultEstimate } from '../src/main/deploy/cost-model';
import { layerWork, type LayerWork } from '../src/main/deploy/layer-work';
import { readBlob } from '../src/main/engine/blob-reader';
import { writeBlob } from '../src/main/engine/blob-writer';
import { measuredLayerModel, Rng, type LayerSize, type RandomOp } from '../src/main/engine/random-model';
import type { WeightBits } from '../src/shared/quant/integer-model';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

interface Spec {
  op: RandomOp;
  shape: number[];
  size: LayerSize;
  /**
   * Set the first channel's requant shift to −1 (a multiplier in [¼, ½)), as a real first layer with
   * binary weights often has: the M4's blocked binary conv does not take such a layer.
   */
  shiftMinus1?: boolean;
  /** Every channel's requant shift, cycled (measuredLayerModel's `shifts`). */
  shifts?: number[];
}

/**
 * 1-bit layers shaped and scaled like real binary ones, on top of specs(): since 2026-12-07 the
 * firmware runs them on kernels of their own (bb_conv_b1.c's M0 mask conv for few filters, the M4's
 * blocked conv with its any-shift position loop, bb_gru_b1, bb_fc_b1_short for rows of ≤ 8 inputs).
 * Per-channel shifts of −1 and 0 (multipliers ¼–1, what a ±1 weight's scale gives: the gesture
 * model's binary conv has −1/0) where specs() has the random model's −2 to −4; few-filter conv1d
 * like the gesture model's (6 filters, kernel 3, stride 2 on 6 channels); few-filter 3×3 convs;
 * dense layers of 2–8 inputs; short GRUs of few units; then (added later, drawn after those) dense
 * layers of 9–1024 inputs × 1–10 outputs, one-row convs of 4–18 filters and of 1–3 filters: the
 * paths whose cost terms follow the firmware's blocks, passes and row pairs (cost-model.ts costTerms).
 */
function binarySpecs(rng: Rng, n: number): Spec[] {
  const out: Spec[] = [];
  const shifts = () => Array.from({ length: 8 }, () => rng.pick([-1, -1, -1, 0]));
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'conv1d',
      shape: [rng.pick([32, 64, 119, 128]), rng.pick([1, 3, 6, 6, 9, 16])],
      size: {
        filters: rng.pick([2, 3, 4, 5, 6, 6, 8, 12, 16, 32]),
        kernel: rng.pick([3, 3, 5]),
        stride: rng.pick([1, 2]),
      },
      shifts: shifts(),
    });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'conv2d',
      shape: [rng.int(6, 28), rng.int(6, 28), rng.pick([1, 1, 2, 3, 4])],
      size: { filters: rng.pick([1, 2, 4, 6, 8, 12, 16]), kernel: 3, stride: rng.pick([1, 2]) },
      shifts: shifts(),
    });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'dense',
      shape: [rng.int(2, 8)],
      size: { filters: rng.pick([1, 2, 3, 4, 6, 8, 10, 16, 32]) },
      shifts: shifts(),
    });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'gru',
      shape: [rng.pick([8, 16, 29, 29, 48]), rng.pick([2, 3, 6, 6, 9])],
      size: { units: rng.pick([2, 3, 4, 5, 5, 6, 8]) },
    });
  // Drawn after the others (their shapes stay those of earlier sweeps). Dense layers of > 8 inputs
  // with few outputs: the M4's three-row passes (< 4 rows left, or a count not a multiple of 4) and
  // the M0's bit-serial row pairs (< 4 outputs), which the 4–64-output layers of specs() do not run,
  // and the M0's tables on few rows of short inputs (a table build per block of rows).
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'dense',
      shape: [rng.pick([9, 12, 16, 24, 30, 48, 64, 100, 128, 248, 256, 512, 1024])],
      size: { filters: rng.pick([1, 2, 2, 3, 4, 5, 6, 7, 9, 10]) },
      shifts: shifts(),
    });
  // One-row convs of few filters, not a multiple of four (the M4's blocked kernel runs whole blocks
  // of four: 6 filters cost 8), valid and same padding (a padded position gathers once per block).
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'conv1d',
      shape: [rng.pick([32, 64, 96, 119, 128]), rng.pick([2, 3, 6, 9, 16, 32])],
      size: {
        filters: rng.pick([4, 5, 6, 7, 9, 10, 13, 18]),
        kernel: rng.pick([3, 5, 7]),
        stride: rng.pick([1, 2]),
      },
      shifts: shifts(),
    });
  // One-row convs of 1–3 filters: the M4 runs them per position on bb_fc_b1's three-row pass (the
  // blocked kernel takes ≥ 4), the M0 on its mask conv or, for rows too long for it, per position on
  // the bit-serial row pairs.
  for (let i = 0; i < n; i++)
    out.push({
      op: 'conv1d',
      shape: [rng.pick([32, 64, 119, 128]), rng.pick([3, 6, 9, 16, 32])],
      size: { filters: rng.pick([1, 2, 3]), kernel: rng.pick([3, 5, 7]), stride: rng.pick([1, 2]) },
      shifts: shifts(),
    });
  return out;
}

/**
 * 4- and 2-bit layers on and around the pair kernels' limits (cost-model.ts BB_*), on top of specs()
 * (whose convs mostly have rows too long for them and whose GRUs mostly too many units): one-row and
 * 3×3 convs of short rows with few to many filters (one block, blocks of 8–16 rows), rows of 40–96
 * inputs either side of BB_PAIRS_MAX_LEN, GRUs of 1–16 features × 2–6 units either side of
 * BB_GRU_PAIRS_WORDS, dense heads of 2–8 inputs × 1–4 rows (the M4's bb_fc_short) and dense layers of
 * 9–64 inputs × 1–10 rows.
 */
/**
 * Pools as real models have them, on top of specs()' random windows: the 1×2 and 2×2 windows of
 * stride 2 that bb_pool_s8.c unrolls (2026-12-07), on 1–32 channels (the M4 compares four at a
 * time from 4), keeping the input's scale (the identity requant) or not.
 */
function poolSpecs(rng: Rng, n: number): Spec[] {
  const out: Spec[] = [];
  for (const op of ['maxPool1d', 'avgPool1d', 'maxPool2d', 'avgPool2d'] as const)
    for (let i = 0; i < n; i++) {
      const c = rng.pick([1, 3, 4, 6, 8, 16, 32]);
      const keepQuant = op.startsWith('max') ? rng.next() < 0.5 : false;
      const size = { kernel: 2, stride: 2, keepQuant };
      out.push(
        op.endsWith('1d')
          ? { op, shape: [rng.pick([16, 32, 59, 64, 128]), c], size }
          : { op, shape: [rng.int(4, 14), rng.int(4, 14), Math.min(c, 16)], size },
      );
    }
  return out;
}

function pairSpecs(rng: Rng, n: number): Spec[] {
  const out: Spec[] = [];
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'conv1d',
      shape: [rng.pick([16, 32, 64, 119, 128]), rng.pick([1, 2, 3, 6, 6, 9, 12, 16])],
      size: {
        filters: rng.pick([2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]),
        kernel: rng.pick([3, 3, 5]),
        stride: rng.pick([1, 1, 2]),
      },
    });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'conv2d',
      shape: [rng.int(6, 28), rng.int(6, 28), rng.pick([1, 1, 2, 3, 4, 6])],
      size: { filters: rng.pick([1, 2, 4, 6, 8, 16, 32]), kernel: 3, stride: rng.pick([1, 2]) },
    });
  for (let i = 0; i < n; i++) {
    const [c, k] = rng.pick([
      [8, 5],
      [16, 3],
      [8, 7],
      [21, 3],
      [12, 5],
      [32, 3],
      [24, 3],
      [16, 5],
    ] as const);
    out.push({
      op: 'conv1d',
      shape: [rng.pick([32, 64, 128]), c],
      size: { filters: rng.pick([2, 4, 6, 8, 12, 16, 32]), kernel: k, stride: rng.pick([1, 2]) },
    });
  }
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'gru',
      shape: [rng.pick([8, 16, 29, 48, 64]), rng.pick([1, 2, 3, 4, 6, 8, 9, 12, 16])],
      size: { units: rng.pick([2, 3, 4, 5, 6]) },
    });
  for (let i = 0; i < n; i++)
    out.push({ op: 'dense', shape: [rng.int(2, 8)], size: { filters: rng.pick([1, 2, 3, 4]) } });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'dense',
      shape: [rng.pick([9, 12, 16, 24, 30, 48, 64])],
      size: { filters: rng.pick([1, 2, 3, 4, 6, 8, 10]) },
    });
  return out;
}

/**
 * 1-bit GRUs of 1–32 features × 1–7 units, most within bb_gru_pairs' buffer (cost-model.ts
 * gruPairsFit: `gru_pairs` 1-bit), some just over it (`gru_b1`, the subset-sum tables).
 */
function binaryPairGruSpecs(rng: Rng, n: number): Spec[] {
  const out: Spec[] = [];
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'gru',
      shape: [rng.pick([2, 8, 16, 29, 48, 64]), rng.pick([1, 2, 3, 4, 6, 8, 9, 12, 16, 24, 32])],
      size: { units: rng.pick([1, 2, 3, 4, 5, 6, 7]), returnSequences: rng.next() < 0.3 },
    });
  return out;
}

/**
 * 1-bit layers on the kernels of the firmware after 2026-12-07's fourth pass: on the M4, convs taller
 * than one row on the blocked kernel's gathered columns (`conv2d_b1_gathered`, rows of 4–256) and
 * convs of 1–3 filters as one block of four (`conv2d_b1_blocked` / `_gathered`); on the M0, dense
 * layers of 1–3 outputs × 9–32 inputs on the set-bit loop (`dense_b1_few`).
 */
function binaryTallSpecs(rng: Rng, n: number): Spec[] {
  const out: Spec[] = [];
  const shifts = () => Array.from({ length: 8 }, () => rng.pick([-1, -1, -1, 0, -3]));
  for (let i = 0; i < 2 * n; i++)
    out.push({
      op: 'conv2d',
      shape: [rng.int(6, 28), rng.int(6, 28), rng.pick([1, 1, 2, 3, 4, 8, 16])],
      size: {
        filters: rng.pick([1, 2, 3, 4, 5, 6, 8, 12, 16]),
        kernel: rng.pick([2, 3, 3, 5]),
        stride: rng.pick([1, 2]),
        padding: rng.pick(['valid', 'same']),
      },
      shifts: shifts(),
    });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'conv1d',
      shape: [rng.pick([32, 64, 119, 128]), rng.pick([1, 3, 6, 9])],
      size: { filters: rng.pick([1, 2, 3]), kernel: rng.pick([3, 5]), stride: rng.pick([1, 2]) },
      shifts: shifts(),
    });
  for (let i = 0; i < n; i++)
    out.push({
      op: 'dense',
      shape: [rng.int(9, 32)],
      size: { filters: rng.pick([1, 2, 3]) },
      shifts: shifts(),
    });
  return out;
}

/** Layer shapes per op, drawn from the ranges real HAR / keyword / MNIST-sized models use. */
function specs(rng: Rng, op: RandomOp, n: number): Spec[] {
  const out: Spec[] = [];
  for (let i = 0; i < n; i++) {
    switch (op) {
      case 'conv1d':
        out.push({
          op,
          shape: [rng.pick([16, 32, 64, 96, 128]), rng.pick([3, 6, 9, 16, 32])],
          size: { filters: rng.pick([4, 6, 8, 12, 16, 32, 64]), kernel: rng.pick([3, 5, 7]) },
          shiftMinus1: rng.next() < 0.5,
        });
        break;
      case 'conv2d':
        // Few filters on a 1–3-channel image (a small model's first layer: the gather per position
        // is shared by few outputs) as well as deeper layers.
        out.push({
          op,
          shape: [rng.int(4, 28), rng.int(4, 28), rng.pick([1, 1, 2, 3, 4, 8, 16])],
          size: { filters: rng.pick([1, 2, 4, 4, 8, 16, 32]), kernel: rng.pick([3, 3, 5]) },
        });
        break;
      case 'depthwiseConv2d':
        out.push({
          op,
          shape: [rng.int(4, 20), rng.int(4, 10), rng.pick([4, 8, 16])],
          size: { kernel: rng.pick([1, 3]) },
        });
        break;
      case 'dense':
        out.push({
          op,
          shape: [rng.pick([30, 64, 128, 256, 512, 1024, 2048])],
          size: { filters: rng.pick([4, 6, 16, 32, 64]) },
        });
        break;
      case 'gru':
        out.push({
          op,
          shape: [rng.pick([2, 4, 8, 16, 29, 48, 64]), rng.pick([1, 3, 6, 9, 16])],
          size: { units: rng.pick([2, 3, 5, 8, 16, 32]) },
        });
        break;
      case 'maxPool1d':
      case 'avgPool1d':
      case 'relu':
        out.push({ op, shape: [rng.pick([16, 32, 64, 128]), rng.pick([4, 8, 16, 32])], size: {} });
        break;
      default:
        out.push({ op, shape: [rng.int(4, 20), rng.int(4, 10), rng.pick([1, 4, 8])], size: {} });
    }
  }
  return out;
}

interface Sample {
  work: number;
  outputs: number;
  loopWork: number;
  counts: number;
  layer: LayerWork;
}

type Fit = [a: number, b: number, c: number, d: number];
const predict = ([a, b, c, d]: Fit, s: Sample) => a + b * s.work + c * s.outputs + d * s.loopWork;

/** Least squares on relative error: minimise Σ ((a + b·w + c·o + d·l − m) / m)². */
export function fitRelative(samples: readonly Sample[]): Fit {
  const cols = (s: Sample) => [1 / s.counts, s.work / s.counts, s.outputs / s.counts, s.loopWork / s.counts];
  const solve = (use: boolean[]): number[] | null => {
    const idx = use.map((u, i) => (u ? i : -1)).filter((i) => i >= 0);
    const k = idx.length;
    const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
    for (const s of samples) {
      const x = cols(s);
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) A[r]![c]! += x[idx[r]!]! * x[idx[c]!]!;
        A[r]![k]! += x[idx[r]!]!; // target 1
      }
    }
    // Gaussian elimination with partial pivoting; a pivot this small means collinear columns.
    const tiny = 1e-9 * Math.max(...A.map((row, i) => Math.abs(row[i]!)));
    for (let c = 0; c < k; c++) {
      let p = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
      [A[c], A[p]] = [A[p]!, A[c]!];
      if (Math.abs(A[c]![c]!) <= tiny) return null;
      for (let r = 0; r < k; r++) {
        if (r === c) continue;
        const f = A[r]![c]! / A[c]![c]!;
        for (let j = c; j <= k; j++) A[r]![j]! -= f * A[c]![j]!;
      }
    }
    const full = [0, 0, 0, 0];
    idx.forEach((i, r) => (full[i] = A[r]![k]! / A[r]![r]!));
    return full;
  };
  // A negative coefficient has no meaning (a cost cannot shrink with size): drop it and refit. When
  // work and outputs are proportional (a ReLU, a fixed-kernel depthwise) the per-output term goes.
  // Kernels without loop work (every sample 0) have no d.
  let use = [true, true, true, samples.some((s) => s.loopWork > 0)];
  for (let tries = 0; tries < 5; tries++) {
    const x = solve(use);
    if (!x) {
      if (!use[2]) break;
      use = [use[0]!, use[1]!, false, use[3]!];
      continue;
    }
    const neg = x.findIndex((v, i) => use[i] && v < 0);
    if (neg < 0) return [x[0]!, x[1]!, x[2]!, x[3]!];
    use = use.map((u, i) => u && i !== neg);
  }
  return [0, 0, 0, 0];
}

const relErr = (pred: number, meas: number) => (pred - meas) / meas;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

export async function fitDefaults(): Promise<void> {
  const json = process.argv.includes('--json');
  const log = (s: string) => (json ? process.stderr.write(s + '\n') : console.log(s));
  const perKernel = Number(arg('per-kernel', '14'));
  // --seed N draws other layers (shapes from Rng(N) and Rng(N + 1), model seeds offset by 1000·N):
  // a check of the defaults on layers they were not fitted on. Without it, the fit's own sweep.
  const seedArg = arg('seed', '');
  const drawSeed = seedArg ? Number(seedArg) : null;
  if (drawSeed !== null && !Number.isInteger(drawSeed))
    throw new Error(`--seed must be an integer, not ${seedArg}`);
  const boards = arg('boards', 'virtual:m4,virtual:m0').split(',');
  const only = arg('ops', '').split(',').filter(Boolean);
  const onlyBits = arg('bits', '').split(',').filter(Boolean).map(Number);
  const ctx = createAppContext({ dbPath: ':memory:', shell: 'cli' });
  const weightedOps: RandomOp[] = ['conv1d', 'conv2d', 'depthwiseConv2d', 'dense', 'gru'];
  const plainOps: RandomOp[] = ['maxPool1d', 'avgPool1d', 'maxPool2d', 'avgPool2d', 'relu'];
  const raw: unknown[] = [];
  type FitRow = {
    coeffs: number[];
    n: number;
    median: number;
    worst: number;
    old_median: number;
    old_worst: number;
  };
  const result: Record<string, Record<string, FitRow>> = {};
  try {
    for (const spec of boards) {
      const conn = await boardManager(ctx).connect(spec);
      const { cpu, modelSlotBytes, arenaBytes } = conn.info;
      log(`${spec}: ${conn.info.board} (${cpu}), slot ${modelSlotBytes} B, arena ${arenaBytes} B`);
      const byKey = new Map<string, Sample[]>();
      let skipped = 0;
      const all: Array<{ s: Spec; bits: WeightBits; seed: number }> = [];
      const rng = new Rng(drawSeed ?? 7);
      for (const op of weightedOps)
        for (const bits of [1, 2, 4, 8] as WeightBits[])
          for (const s of specs(rng, op, op === 'conv1d' || op === 'conv2d' ? 2 * perKernel : perKernel))
            all.push({ s, bits, seed: all.length + 1 });
      for (const op of plainOps)
        for (const s of specs(rng, op, perKernel)) all.push({ s, bits: 8, seed: all.length + 1 });
      // After the others (their shapes and seeds stay those of earlier sweeps), from their own stream.
      for (const s of binarySpecs(new Rng(drawSeed === null ? 11 : drawSeed + 1), perKernel))
        all.push({ s, bits: 1, seed: all.length + 1 });
      // Then the pair kernels' layers at 4 and 2 bits, from a stream of their own.
      for (const s of pairSpecs(new Rng(drawSeed === null ? 13 : drawSeed + 2), perKernel))
        for (const bits of [4, 2] as WeightBits[]) all.push({ s, bits, seed: all.length + 1 });
      // Then pools with the windows the firmware unrolls, from a stream of their own.
      for (const s of poolSpecs(new Rng(drawSeed === null ? 17 : drawSeed + 3), perKernel))
        all.push({ s, bits: 8, seed: all.length + 1 });
      // Then 1-bit GRUs on and around the pair rows' limits (bb_gru_b1 on ±1 pair words since the
      // firmware after 2026-12-07's second pass), from a stream of their own.
      for (const s of binaryPairGruSpecs(new Rng(drawSeed === null ? 19 : drawSeed + 4), perKernel))
        all.push({ s, bits: 1, seed: all.length + 1 });
      // Then 1-bit layers on the binary paths of the firmware after 2026-12-07's fourth pass (taller
      // and few-filter convs on the M4's blocked kernel, the M0's few-row dense).
      for (const s of binaryTallSpecs(new Rng(drawSeed === null ? 23 : drawSeed + 5), perKernel))
        all.push({ s, bits: 1, seed: all.length + 1 });
      // Every op draws its shapes and seeds: with --ops the chosen ones are the same layers as in a full run.
      const jobs = all.filter(
        ({ s, bits }) =>
          (only.length === 0 || only.includes(s.op)) && (onlyBits.length === 0 || onlyBits.includes(bits)),
      );
      const t0 = Date.now();
      for (const { s, bits, seed } of jobs) {
        const model = measuredLayerModel(seed + 1000 * (drawSeed ?? 0), s.op, bits, s.shape, {
          size: s.size,
          maxOutputBytes: conn.client.maxPayload - 64 - 8 * 4,
          ...(s.shiftMinus1 ? { firstShift: -1 } : {}),
          ...(s.shifts ? { shifts: s.shifts } : {}),
        });
        const blob = writeBlob(model);
        const parsed = readBlob(blob);
        if (blob.length > modelSlotBytes || parsed.arenaMin > arenaBytes) {
          skipped++;
          continue;
        }
        const [w] = layerWork(parsed, model);
        await loadModel(conn.client, blob);
        const x = new Rng(seed + 1).int8Array(model.inputShape.reduce((a, b) => a * b, 1));
        const r = await conn.client.infer(new Uint8Array(x.buffer));
        const counts = r.layerElapsed[0]!;
        const kernel = costKernel(cpu, w!);
        const key = `${kernel}/${w!.weightBits ?? 'any'}`;
        const list = byKey.get(key) ?? [];
        // What the kernel's coefficients multiply (the binary kernels' padded work, cost-model.ts).
        const t = costTerms(cpu, kernel, w!)!;
        list.push({ work: t.work, outputs: t.outputs, loopWork: t.loopWork, counts, layer: w! });
        raw.push({
          board: spec,
          key,
          work: w!.work,
          outputs: w!.outputs,
          loopWork: w!.loopWork,
          outChannels: w!.outChannels,
          wideOutputs: w!.wideOutputs,
          counts,
          rowLen: parsed.layers[0]!.a?.rowLen ?? 0,
          nRows: parsed.layers[0]!.a?.nRows ?? 0,
          inLen: parsed.inShape.reduce((p, q) => p * q, 1),
          spec: s,
        });
        byKey.set(key, list);
      }
      log(
        `  ${jobs.length - skipped} layers measured (${skipped} too large for the board) in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
      const table: Record<string, FitRow> = {};
      for (const [key, samples] of [...byKey].sort()) {
        const fit = fitRelative(samples);
        const [a, b, c, d] = fit;
        const errs = samples.map((s) => Math.abs(relErr(predict(fit, s), s.counts)));
        const oldErrs = samples.map((s) => Math.abs(relErr(defaultEstimate(cpu, s.layer), s.counts)));
        table[key] = {
          coeffs:
            d > 0
              ? [Math.round(a), round(b, 2), round(c, 1), round(d, 2)]
              : [Math.round(a), round(b, 2), round(c, 1)],
          n: samples.length,
          median: median(errs),
          worst: Math.max(...errs),
          old_median: median(oldErrs),
          old_worst: Math.max(...oldErrs),
        };
        log(
          `  ${key.padEnd(20)} n=${String(samples.length).padStart(3)}  [${Math.round(a)}, ${round(b, 2)}, ${round(c, 1)}${d > 0 ? `, ${round(d, 2)}` : ''}]  fit |err| median ${(100 * median(errs)).toFixed(1)} %, worst ${(100 * Math.max(...errs)).toFixed(1)} %; current defaults median ${(100 * median(oldErrs)).toFixed(1)} %, worst ${(100 * Math.max(...oldErrs)).toFixed(1)} %`,
        );
      }
      result[`${spec} (${cpuFamily(cpu)})`] = table;
      await boardManager(ctx).disconnect(spec, { stopVirtual: true });
    }
  } finally {
    await boardManager(ctx).closeAll();
    await ctx.close();
  }
  if (json) console.log(JSON.stringify(result, null, 2));
  const rawFile = arg('raw', '');
  if (rawFile) writeFileSync(rawFile, JSON.stringify(raw));
}
