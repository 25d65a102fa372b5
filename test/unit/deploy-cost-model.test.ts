import { describe, expect, it } from 'vitest';
import {
  BB_CP_MAX_ROWS,
  BB_GRU_PAIRS_WORDS,
  BB_PAIRS_MAX_LEN,
  BLOCKED_MASK_WORD,
  GATHERED_ROW,
  BLOCKED_WIDE_OUTPUT,
  calibrate,
  costKernel,
  CONV_B1_CALL_LOOP,
  CONV_PAIRS_EXPAND,
  CONV_PAIRS_PACK,
  CONV_PAIRS_POSITION,
  convPairBlockRows,
  costTerms,
  cpuFamily,
  DENSE_B1_PAIR_MAC,
  DENSE_B1_SHORT_SUM_INPUTS,
  DENSE_B1_TAIL_ROW,
  DENSE_B1_WIDE_OUTPUT,
  defaultEstimate,
  deviation,
  estimateLayer,
  FLAG_THRESHOLD,
  GRU_PAIRS_B1_STEP,
  GRU_PAIRS_EXPAND_B1,
  GRU_PAIRS_EXPAND_S2,
  GRU_PAIRS_EXPAND_S4,
  GRU_PAIRS_LOOP_MAC,
  gruPairsFit,
  gruPackedFit,
  packedRowMuls,
  BB_GRU_PACKED_MAX_LEN,
  GRU_PACKED_LOOP_MUL,
  GRU_PACKED_STEP,
  type MeasuredLayer,
} from '../../src/main/deploy/cost-model';
import { CONV_POSITION_COPIES, CONV_TAP_COPIES, layerWork } from '../../src/main/deploy/layer-work';
import { readBlob } from '../../src/main/engine/blob-reader';
import { writeBlob } from '../../src/main/engine/blob-writer';
import { measuredLayerModel, randomLayer, Rng } from '../../src/main/engine/random-model';
import type { IntegerModel } from '../../src/shared/quant/integer-model';

/** A one-layer model of `op` on `shape`, through the real blob writer and reader. */
function oneLayer(
  op: 'conv1d' | 'conv2d' | 'dense' | 'maxPool1d' | 'avgPool1d' | 'gru',
  shape: number[],
  bits: 1 | 2 | 4 | 8,
  seed = 3,
  size: { kernel?: number; filters?: number; units?: number; stride?: number } = {},
) {
  const rng = new Rng(seed);
  const input = { scale: 0.05, zeroPoint: 0 };
  const l = randomLayer(rng, op, bits, shape, input, 'l0', size);
  const model: IntegerModel = {
    version: 1,
    inputShape: shape,
    input,
    numClasses: l.shape.reduce((a, b) => a * b, 1),
    layers: [l.layer],
    output: l.layer.output,
  };
  return { model, parsed: readBlob(writeBlob(model)) };
}

describe('layer work', () => {
  it('counts MACs of a conv1d as outputs × kernel × input channels, and names layers from the integer model', () => {
    const { model, parsed } = oneLayer('conv1d', [40, 6], 8);
    const [w] = layerWork(parsed, model);
    const layer = model.layers[0] as Extract<IntegerModel['layers'][number], { op: 'conv1d' }>;
    const [outT, outC] = layer.outShape as [number, number];
    expect(w).toMatchObject({ name: 'l0', op: 'conv1d', kernel: 'conv2d', weightBits: 8 });
    expect(w!.outputs).toBe(outT * outC);
    expect(w!.macs).toBe(outT * outC * layer.kernelSize * 6);
    expect(w!.work).toBe(w!.macs);
  });

  it('a dense layer is in × out MACs; a pool has no MACs but window reads as work', () => {
    const d = oneLayer('dense', [100], 4);
    const dl = d.model.layers[0] as Extract<IntegerModel['layers'][number], { op: 'dense' }>;
    expect(layerWork(d.parsed, d.model)[0]!.macs).toBe(dl.inFeatures * dl.outFeatures);
    const p = oneLayer('maxPool1d', [30, 4], 8, 7);
    const [pw] = layerWork(p.parsed, p.model);
    expect(pw!.macs).toBe(0);
    expect(pw!.weightBits).toBeNull();
    expect(pw!.work).toBeGreaterThanOrEqual(pw!.outputs);
  });

  it('a GRU counts both kernels once per time step', () => {
    const g = oneLayer('gru', [10, 3], 8, 11);
    const gl = g.model.layers[0] as Extract<IntegerModel['layers'][number], { op: 'gru' }>;
    const u = gl.units;
    expect(layerWork(g.parsed, g.model)[0]!.macs).toBe(10 * (3 * u * 3 + 3 * u * u));
    // Loop work: per step, per unit (6 dot calls with their requantisation, the gates).
    expect(layerWork(g.parsed, g.model)[0]!.loopWork).toBe(10 * u);
  });

  it('a taller conv gathers a column at every output position: loop work per position and per tap', () => {
    const c = oneLayer('conv2d', [12, 9, 3], 8, 5, { kernel: 3 });
    const cl = c.model.layers[0] as Extract<IntegerModel['layers'][number], { op: 'conv2d' }>;
    const [oh, ow] = cl.outShape as [number, number, number];
    const [kh, kw] = cl.kernelSize;
    const [w] = layerWork(c.parsed, c.model);
    expect(w!.loopWork).toBe(oh * ow * (CONV_POSITION_COPIES + kh * kw * (3 + CONV_TAP_COPIES)));
  });

  it('a one-row conv reads its columns in place: loop work is the per-position part, plus padded edges', () => {
    // Seeds whose conv1d is 'valid' and 'same' (randomLayer draws the padding).
    const byPadding = new Map<string, ReturnType<typeof oneLayer>>();
    for (let seed = 1; byPadding.size < 2 && seed < 50; seed++) {
      const c = oneLayer('conv1d', [40, 6], 4, seed, { kernel: 3 });
      const cl = c.model.layers[0] as Extract<IntegerModel['layers'][number], { op: 'conv1d' }>;
      byPadding.set(cl.padding, c);
    }
    const valid = byPadding.get('valid')!;
    const [vw] = layerWork(valid.parsed, valid.model);
    const positions = vw!.outputs / valid.parsed.layers[0]!.outShape[2];
    expect(vw!.loopWork).toBe(positions * CONV_POSITION_COPIES);
    // 'same' pads the edges: those positions gather (kernel × (6 channels + the tap's own cost)).
    const same = byPadding.get('same')!;
    const [sw] = layerWork(same.parsed, same.model);
    const sl = same.parsed.layers[0]!;
    const sPositions = sw!.outputs / sl.outShape[2];
    const edge = (sw!.loopWork - sPositions * CONV_POSITION_COPIES) / (sl.kernel[1] * (6 + CONV_TAP_COPIES));
    expect(edge).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(edge)).toBe(true);
    expect(edge).toBeLessThan(sPositions);
  });
});

describe('cost model', () => {
  const conv = { kernel: 'conv2d', weightBits: 4, work: 200_000, outputs: 8000, loopWork: 20_000 } as const;

  it('picks the ARMv6-M table for M0/M0+ and the ARMv7-M one otherwise', () => {
    expect(cpuFamily('cortex-m0')).toBe('armv6m');
    expect(cpuFamily('cortex-m0plus')).toBe('armv6m');
    expect(cpuFamily('cortex-m4')).toBe('armv7m');
    expect(cpuFamily('cortex-m7')).toBe('armv7m');
    // The M0 has no SIMD: more counts per MAC for the same layer.
    expect(defaultEstimate('cortex-m0', conv)).toBeGreaterThan(defaultEstimate('cortex-m4', conv));
  });

  it('is linear in MACs, outputs and loop work with a fixed per-layer cost', () => {
    const a = defaultEstimate('cortex-m4', conv);
    const b = defaultEstimate('cortex-m4', {
      ...conv,
      work: 2 * conv.work,
      outputs: 2 * conv.outputs,
      loopWork: 2 * conv.loopWork,
    });
    const zero = defaultEstimate('cortex-m4', { ...conv, work: 0, outputs: 0, loopWork: 0 });
    expect(zero).toBeGreaterThan(0);
    expect(b - zero).toBeCloseTo(2 * (a - zero), 6);
  });

  it('without history every layer uses the defaults', () => {
    const { model, parsed } = oneLayer('conv1d', [64, 8], 4);
    const cal = calibrate('cortex-m4', []);
    const e = estimateLayer('cortex-m4', layerWork(parsed, model)[0]!, cal);
    expect(e).toMatchObject({ source: 'default', scale: 1 });
    expect(cal.runs).toBe(0);
  });

  it('calibrates each kernel/width by the ratio measured / default over the board’s earlier runs', () => {
    const layer = { kernel: 'conv2d', weightBits: 8, work: 10_000, outputs: 400, loopWork: 5000 };
    const base = defaultEstimate('cortex-m4', layer);
    const history: MeasuredLayer[] = [
      { runId: 1, ...layer, counts: 1.5 * base },
      {
        runId: 2,
        ...layer,
        work: 20_000,
        outputs: 800,
        loopWork: 10_000,
        counts:
          1.5 * defaultEstimate('cortex-m4', { ...layer, work: 20_000, outputs: 800, loopWork: 10_000 }),
      },
      { runId: 2, kernel: 'dense', weightBits: 8, work: 500, outputs: 10, counts: 0 }, // unmeasured: ignored
    ];
    const cal = calibrate('cortex-m4', history);
    expect(cal.runs).toBe(2);
    expect(cal.factors.get('conv2d/8')).toMatchObject({ layers: 2, runs: 2 });
    expect(cal.factors.get('conv2d/8')!.scale).toBeCloseTo(1.5, 9);
    expect(cal.factors.has('dense/8')).toBe(false);
    const l = {
      index: 0,
      name: 'c',
      op: 'conv2d',
      macs: 30_000,
      kernelH: 3,
      rowBlockable: false,
      rowMaskable: false,
      outChannels: 40,
      wideOutputs: 0,
      ...layer,
      work: 30_000,
      outputs: 1200,
      loopWork: 15_000,
    };
    const e = estimateLayer('cortex-m4', l, cal);
    expect(e.source).toBe('calibrated');
    expect(e.counts).toBeCloseTo(1.5 * defaultEstimate('cortex-m4', l), 6);
    // Another width of the same kernel is not calibrated by it.
    expect(estimateLayer('cortex-m4', { ...l, weightBits: 4 }, cal).source).toBe('default');
  });

  it('adds the loop work of convs and GRUs; kernels without it have no such term', () => {
    const gru = { kernel: 'gru', weightBits: 8, work: 20_000, outputs: 5 };
    const perStepUnit =
      defaultEstimate('cortex-m4', { ...gru, loopWork: 145 }) -
      defaultEstimate('cortex-m4', { ...gru, loopWork: 0 });
    expect(perStepUnit).toBeGreaterThan(100 * 145); // hundreds of counts per unit and step
    const dense = { kernel: 'dense', weightBits: 8, work: 20_000, outputs: 5 };
    expect(defaultEstimate('cortex-m4', { ...dense, loopWork: 1000 })).toBe(
      defaultEstimate('cortex-m4', dense),
    );
  });

  it('a layer stored before loop work was (null) does not calibrate a kernel that has the term', () => {
    const old = {
      runId: 1,
      kernel: 'gru',
      weightBits: 8,
      work: 20_000,
      outputs: 5,
      counts: 90_000,
      loopWork: null,
    };
    const dense = {
      runId: 1,
      kernel: 'dense',
      weightBits: 8,
      work: 500,
      outputs: 10,
      counts: 1200,
      loopWork: null,
    };
    const cal = calibrate('cortex-m4', [old, dense]);
    expect(cal.factors.has('gru/8')).toBe(false);
    expect(cal.factors.get('dense/8')!.layers).toBe(1);
    const fresh = { ...old, runId: 2, loopWork: 145 };
    expect(calibrate('cortex-m4', [old, fresh]).factors.get('gru/8')).toMatchObject({ layers: 1, runs: 1 });
  });

  it('flags a layer more than 25 % off its estimate, either way', () => {
    expect(FLAG_THRESHOLD).toBe(0.25);
    expect(deviation(126, 100)).toBeCloseTo(0.26);
    expect(deviation(74, 100)).toBeCloseTo(-0.26);
    expect(Math.abs(deviation(124, 100)!)).toBeLessThan(FLAG_THRESHOLD);
    expect(deviation(5, 0)).toBeNull();
  });
});

describe('cost kernels', () => {
  it('a conv1d is a one-row conv; on the M4 a qualifying 1-bit one runs the blocked binary kernel', () => {
    const { model, parsed } = oneLayer('conv1d', [40, 6], 1);
    const [w] = layerWork(parsed, model);
    expect(w!.kernelH).toBe(1);
    const blockable = { ...w!, rowBlockable: true, rowMaskable: false, weightBits: 1 };
    expect(costKernel('cortex-m4', blockable)).toBe('conv2d_b1_blocked');
    expect(costKernel('cortex-m0', blockable)).toBe('conv2d_kh1');
    // Not blockable: ±1 pair words where the pair kernel takes the rows (≤ 64 inputs), else per position.
    expect(costKernel('cortex-m4', { ...blockable, rowBlockable: false })).toBe('conv2d_pairs');
    expect(costKernel('cortex-m4', { ...blockable, rowBlockable: false, work: 65 * w!.outputs })).toBe(
      'conv2d_kh1',
    );
    expect(costKernel('cortex-m4', { ...blockable, weightBits: 8 })).toBe('conv2d_kh1');
    // Taller kernels: the blocked kernel on gathered columns since the firmware after 2026-12-07's third pass.
    expect(costKernel('cortex-m4', { ...blockable, kernelH: 3 })).toBe('conv2d_b1_gathered');
    expect(
      costKernel('cortex-m4', { ...blockable, kernelH: 3, rowBlockable: false, work: 65 * w!.outputs }),
    ).toBe('conv2d');
    // A layer from before kernel heights were known counts as a tall conv.
    expect(costKernel('cortex-m4', { kernel: 'conv2d', weightBits: 1 })).toBe('conv2d');
  });

  it('calibrates each cost kernel from the layers stored with it, not across conv paths', () => {
    const row = {
      kernel: 'conv2d',
      weightBits: 1,
      work: 30_000,
      outputs: 1000,
      loopWork: 4000,
      outChannels: 10,
      wideOutputs: 0,
    };
    const history: MeasuredLayer[] = [
      {
        runId: 1,
        ...row,
        costKernel: 'conv2d_b1_blocked',
        counts: 2 * defaultEstimate('cortex-m4', { ...row, costKernel: 'conv2d_b1_blocked' }),
      },
    ];
    const cal = calibrate('cortex-m4', history);
    expect(cal.factors.get('conv2d_b1_blocked/1')!.scale).toBeCloseTo(2, 9);
    const l = {
      index: 0,
      name: 'c',
      op: 'conv1d',
      macs: 30_000,
      ...row,
      kernelH: 1,
      rowMaskable: false,
    };
    expect(estimateLayer('cortex-m4', { ...l, rowBlockable: true }, cal).source).toBe('calibrated');
    expect(estimateLayer('cortex-m4', { ...l, rowBlockable: false }, cal).source).toBe('default');
  });

  it('1-bit layers profiled on kernels their shape no longer runs calibrate neither kernel', () => {
    const est = (l: MeasuredLayer, k: string) => defaultEstimate('cortex-m4', { ...l, costKernel: k });
    // A 3×3 conv of 4 filters (rows of 9) stored as `conv2d`: it ran bb_fc_b1 per position, now the blocked kernel.
    const tall: MeasuredLayer = {
      runId: 1,
      kernel: 'conv2d',
      weightBits: 1,
      work: 169 * 4 * 9,
      outputs: 169 * 4,
      loopWork: 169 * (CONV_POSITION_COPIES + 9 * (1 + CONV_TAP_COPIES)),
      outChannels: 4,
      wideOutputs: 0,
      costKernel: 'conv2d',
      counts: 0,
    };
    tall.counts = 2.5 * est(tall, 'conv2d');
    // Two filters stored as `conv2d_kh1` (per position then, one block of four now).
    const few: MeasuredLayer = {
      ...tall,
      work: 62 * 2 * 9,
      outputs: 62 * 2,
      loopWork: 62 * 40,
      outChannels: 2,
      costKernel: 'conv2d_kh1',
    };
    few.counts = 2 * est(few, 'conv2d_kh1');
    // Two filters on rows of 300: neither kernel takes them, per position as before.
    const long: MeasuredLayer = { ...few, work: 28 * 2 * 300, outputs: 56, loopWork: 28 * 40 };
    long.counts = 1.5 * est(long, 'conv2d_kh1');
    const cal = calibrate('cortex-m4', [tall, few, long]);
    expect(cal.factors.has('conv2d/1')).toBe(false);
    expect(cal.factors.get('conv2d_kh1/1')).toMatchObject({ layers: 1 });
    expect(cal.factors.get('conv2d_kh1/1')!.scale).toBeCloseTo(1.5, 9);
    // The M0 runs neither of those changes: its rows calibrate as they were stored.
    expect(calibrate('cortex-m0', [{ ...tall, costKernel: 'conv2d' }]).factors.has('conv2d/1')).toBe(true);
    // A binary layer stored under the new kernels calibrates them.
    const gathered = { ...tall, costKernel: 'conv2d_b1_gathered' };
    gathered.counts = 1.2 * est(gathered, 'conv2d_b1_gathered');
    expect(calibrate('cortex-m4', [gathered]).factors.get('conv2d_b1_gathered/1')!.scale).toBeCloseTo(1.2, 9);
    // The M0's 1-bit dense 9 → 3 stored as the bit-serial row pairs (before bb_fc_b1_few) calibrates nothing.
    const dense: MeasuredLayer = {
      runId: 2,
      kernel: 'dense',
      weightBits: 1,
      work: 27,
      outputs: 3,
      costKernel: 'dense_b1_pairs',
      counts: 1544,
    };
    expect(calibrate('cortex-m0', [dense]).factors.size).toBe(0);
    expect(
      calibrate('cortex-m0', [{ ...dense, costKernel: 'dense_b1_few' }]).factors.has('dense_b1_few/1'),
    ).toBe(true);
  });

  it('1-bit layers follow the binary kernels the firmware picks', () => {
    // The gesture model's conv (6 filters, rows of 3 × 6 = 18: 6 × 5 mask words) runs the M0's mask conv.
    const gesture = oneLayer('conv1d', [119, 6], 1, 3, { filters: 6, kernel: 3, stride: 2 });
    const [g] = layerWork(gesture.parsed, gesture.model);
    expect(g!.rowMaskable).toBe(true);
    expect(costKernel('cortex-m0', g!)).toBe('conv2d_b1_mask');
    expect(costKernel('cortex-m4', g!)).toBe('conv2d_b1_blocked');
    expect(costKernel('cortex-m0', { ...g!, weightBits: 8 })).toBe('conv2d_kh1');
    // 32 filters (> 16) keep the per-position tables; so do 16 filters of 5 words (80 > 64).
    const wide = oneLayer('conv1d', [64, 6], 1, 3, { filters: 32, kernel: 5 });
    expect(layerWork(wide.parsed, wide.model)[0]!.rowMaskable).toBe(false);
    const long = oneLayer('conv1d', [64, 6], 1, 3, { filters: 16, kernel: 3 });
    expect(layerWork(long.parsed, long.model)[0]!.rowMaskable).toBe(false);
    expect(costKernel('cortex-m0', layerWork(wide.parsed, wide.model)[0]!)).toBe('conv2d_kh1');
    // Any kernel height: a 3×3 conv of 4 filters on one channel (3 words) too.
    const img = oneLayer('conv2d', [12, 12, 1], 1, 3, { filters: 4, kernel: 3 });
    const [c2] = layerWork(img.parsed, img.model);
    expect(costKernel('cortex-m0', c2!)).toBe('conv2d_b1_mask');
    expect(c2!.rowBlockable).toBe(true);
    expect(costKernel('cortex-m4', c2!)).toBe('conv2d_b1_gathered');
    // Its columns gathered per block: a copy per kernel row (3 of 3 bytes) per position, kh from the loop work's taps.
    const positions = c2!.outputs / 4;
    expect(costTerms('cortex-m4', 'conv2d_b1_gathered', c2!)).toEqual({
      work: positions * 4 * 4 * 3,
      outputs: positions * 4 + BLOCKED_WIDE_OUTPUT * c2!.wideOutputs,
      loopWork: positions * 3 * (GATHERED_ROW + 3) + BLOCKED_MASK_WORD * 3,
    });
    // Two filters: one block of four too (the spare rows repeat the last filter).
    const img2 = oneLayer('conv2d', [12, 12, 1], 1, 3, { filters: 2, kernel: 3 });
    expect(costKernel('cortex-m4', layerWork(img2.parsed, img2.model)[0]!)).toBe('conv2d_b1_gathered');
    // Rows of < 4 inputs (3 taps of one channel): ±1 pair words (conv2d_pairs 1-bit), as at 2 and 4 bits.
    const short = oneLayer('conv1d', [40, 1], 1, 3, { filters: 2, kernel: 3 });
    const [s3] = layerWork(short.parsed, short.model);
    expect(s3!.rowBlockable).toBe(false);
    expect(costKernel('cortex-m4', s3!)).toBe('conv2d_pairs');
    // Dense rows of ≤ 8 inputs: bb_fc_b1_short on both cores.
    const fc = oneLayer('dense', [5], 1, 3, { filters: 2 });
    const [d] = layerWork(fc.parsed, fc.model);
    expect(costKernel('cortex-m4', d!)).toBe('dense_b1_short');
    expect(costKernel('cortex-m0', d!)).toBe('dense_b1_short');
    expect(costKernel('cortex-m0', { ...d!, weightBits: 8 })).toBe('dense');
    const fc9 = oneLayer('dense', [9], 1, 3, { filters: 2 });
    // 9 inputs: bb_fc_b1's passes on the M4; on the M0, 2 outputs run the set-bit loop (bb_fc_b1_few,
    // up to 32 inputs), longer rows bb_fc_b1_c's bit-serial row pairs.
    const d9 = layerWork(fc9.parsed, fc9.model)[0]!;
    expect(costKernel('cortex-m4', d9)).toBe('dense');
    expect(costKernel('cortex-m0', d9)).toBe('dense_b1_few');
    expect(costTerms('cortex-m0', 'dense_b1_few', d9)).toEqual({ work: 18, outputs: 2, loopWork: 9 });
    expect(costKernel('cortex-m0', { ...d9, work: 33 * 2 })).toBe('dense_b1_pairs');
    expect(costKernel('cortex-m0', { ...d9, work: 32 * 2 })).toBe('dense_b1_few');
    expect(costKernel('cortex-m0', { kernel: 'dense', weightBits: 1 })).toBe('dense');
  });

  it('a 1-bit GRU over the pair rows is gru_b1, its loop work counts the subset-sum tables; old gru/1 rows do not calibrate it', () => {
    // 29 × 3, 8 units: 24 rows × (2 + 4) = 144 pair words, over BB_GRU_PAIRS_WORDS: the tables.
    const { model, parsed } = oneLayer('gru', [29, 3], 1, 3, { units: 8 });
    const [w] = layerWork(parsed, model);
    expect(costKernel('cortex-m4', w!)).toBe('gru_b1');
    expect(costKernel('cortex-m0', w!)).toBe('gru_b1');
    // 29 steps × (8 units + 0.6 + 0.5 × (1 + 1) bytes + 0.1 × 8 × 2).
    expect(w!.loopWork).toBeCloseTo(29 * (8 + 0.6 + 1 + 1.6), 9);
    const old: MeasuredLayer = { runId: 1, ...w!, costKernel: 'gru', counts: 200_000 };
    const cal = calibrate('cortex-m4', [old]);
    expect(cal.factors.has('gru/1')).toBe(true);
    expect(estimateLayer('cortex-m4', w!, cal).source).toBe('default');
  });

  it('a 1-bit GRU whose rows fit bb_gru_pairs runs on ±1 pair words (gru_pairs); its gru_b1 rows do not calibrate it', () => {
    // The gesture GRU: 29 × 6, 5 units (3 · 5 · (4 + 4) = 120 pair words).
    const { model, parsed } = oneLayer('gru', [29, 6], 1, 3, { units: 5 });
    const [w] = layerWork(parsed, model);
    expect(costKernel('cortex-m4', w!)).toBe('gru_pairs');
    expect(costKernel('cortex-m0', w!)).toBe('gru_pairs');
    expect(costKernel('cortex-m0', { ...w!, weightBits: 8 })).toBe('gru');
    // Its stored loop work keeps the tables' form; the terms read the shape back from it: steps ×
    // units, a step term, and the expansion of 120 pair words; work the padded rows (8 + 8 inputs).
    expect(w!.loopWork).toBeCloseTo(29 * (5 + 0.6 + 1 + 1), 9);
    expect(costTerms('cortex-m4', 'gru_pairs', w!)).toEqual({
      work: 29 * 15 * (8 + 8),
      outputs: w!.outputs,
      loopWork: 29 * 5 + GRU_PAIRS_B1_STEP * 29 + GRU_PAIRS_EXPAND_B1 * 120,
    });
    // Other shapes each way round the buffer's limit: 24 inputs × 3 units fit, 25 do not; 32 × 1 fit.
    const b1 = (steps: number, inputs: number, units: number) => {
      const one = oneLayer('gru', [steps, inputs], 1, 3, { units });
      return costKernel('cortex-m0', layerWork(one.parsed, one.model)[0]!);
    };
    expect([b1(8, 24, 3), b1(8, 25, 3), b1(4, 32, 1), b1(29, 9, 16)]).toEqual([
      'gru_pairs',
      'gru_b1',
      'gru_pairs',
      'gru_b1',
    ]);
    // Profiled on the tables (the firmware before), stored as gru_b1: it calibrates neither kernel.
    const old: MeasuredLayer = { runId: 1, ...w!, costKernel: 'gru_b1', counts: 79_245 };
    const cal = calibrate('cortex-m4', [old]);
    expect(cal.factors.size).toBe(0);
    const fresh: MeasuredLayer = { runId: 2, ...w!, costKernel: 'gru_pairs', counts: 61_916 };
    expect(calibrate('cortex-m4', [old, fresh]).factors.get('gru_pairs/1')).toMatchObject({
      layers: 1,
      runs: 1,
    });
  });
});

/** A one-layer model with every channel's requant shift given (cycled), through the blob writer and reader. */
function shifted(op: 'conv1d' | 'dense', shape: number[], filters: number, shifts: number[], kernel = 3) {
  const model = measuredLayerModel(3, op, 1, shape, {
    size: op === 'dense' ? { filters } : { filters, kernel, stride: 1, padding: 'valid' },
    shifts,
  });
  return layerWork(readBlob(writeBlob(model)), model)[0]!;
}

describe('binary kernels’ cost terms', () => {
  it('layer work counts output channels and the outputs requantised at a shift ≥ 0', () => {
    // conv1d 64×16, kernel 3, valid: 62 positions; channels 1 and 3 of 5 have shift 0.
    const c = shifted('conv1d', [64, 16], 5, [-1, 0, -1, 0, -1]);
    expect(c).toMatchObject({ outChannels: 5, outputs: 62 * 5, wideOutputs: 62 * 2 });
    const d = shifted('dense', [248], 2, [-1, 0]);
    expect(d).toMatchObject({ outChannels: 2, outputs: 2, wideOutputs: 1, work: 496 });
    expect(shifted('dense', [248], 2, [-3, -1]).wideOutputs).toBe(0);
  });

  it('pool rows profiled on the old loop nest (before out_channels / wide_outputs) do not calibrate the pool rows', () => {
    for (const op of ['avgPool1d', 'maxPool1d'] as const) {
      const p = oneLayer(op, [30, 8], 8, 5);
      const [w] = layerWork(p.parsed, p.model);
      const kernel = op === 'avgPool1d' ? 'avgPool2d' : 'maxPool2d';
      const key = `${kernel}/-`;
      for (const cpu of ['cortex-m4', 'cortex-m0']) {
        expect(costTerms(cpu, kernel, w!)).not.toBeNull();
        // As a run_layers row of the old firmware: its counts ~2.5× today's, the new columns null.
        const old: MeasuredLayer = {
          runId: 1,
          ...w!,
          costKernel: kernel,
          outChannels: null,
          wideOutputs: null,
          counts: 2.5 * defaultEstimate(cpu, w!),
        };
        expect(costTerms(cpu, kernel, old)).toBeNull();
        expect(calibrate(cpu, [old]).factors.has(key)).toBe(false);
        const fresh: MeasuredLayer = { runId: 2, ...w!, counts: 1.5 * defaultEstimate(cpu, w!) };
        expect(calibrate(cpu, [old, fresh]).factors.get(key)!.scale).toBeCloseTo(1.5, 9);
      }
    }
  });

  it('the M4’s blocked conv computes whole blocks of four filters over whole words of the row', () => {
    const c = shifted('conv1d', [64, 16], 5, [-1, 0, -1, 0, -1]);
    expect(costKernel('cortex-m4', c)).toBe('conv2d_b1_blocked');
    const t = costTerms('cortex-m4', 'conv2d_b1_blocked', c)!;
    // 5 filters run as 2 blocks of 4 = 8 rows; rows of 48 inputs = 12 words; valid: no gathers.
    expect(t.work).toBe(62 * 8 * 48);
    expect(t.outputs).toBeCloseTo(62 * 8 + BLOCKED_WIDE_OUTPUT * 62 * 2 * (8 / 5), 9);
    expect(t.loopWork).toBe(2 * BLOCKED_MASK_WORD * 12);
    // 6 and 8 filters cost the same blocks: the estimate per layer is equal, where MACs say 6 : 8.
    const six = shifted('conv1d', [64, 16], 6, [-1]);
    const eight = shifted('conv1d', [64, 16], 8, [-1]);
    expect(defaultEstimate('cortex-m4', six)).toBeCloseTo(defaultEstimate('cortex-m4', eight), 6);
    // A row from before out_channels / wide_outputs were stored has no terms and does not calibrate.
    const old: MeasuredLayer = {
      runId: 1,
      ...c,
      costKernel: 'conv2d_b1_blocked',
      outChannels: null,
      wideOutputs: null,
      counts: 36_000,
    };
    expect(costTerms('cortex-m4', 'conv2d_b1_blocked', old)).toBeNull();
    expect(calibrate('cortex-m4', [old]).factors.size).toBe(0);
    const fresh: MeasuredLayer = { runId: 2, ...c, counts: 2 * defaultEstimate('cortex-m4', c) };
    expect(calibrate('cortex-m4', [old, fresh]).factors.get('conv2d_b1_blocked/1')).toMatchObject({
      scale: 2,
      layers: 1,
    });
  });

  it('the M4’s 1-bit dense runs passes of four rows, or three: 2 outputs compute 3 rows', () => {
    const two = shifted('dense', [248], 2, [-1, 0]);
    expect(costKernel('cortex-m4', two)).toBe('dense');
    expect(costTerms('cortex-m4', 'dense', two)).toEqual({
      work: 248 * 3, // 31 whole 8-input groups × 3 rows
      outputs: 2 + DENSE_B1_WIDE_OUTPUT,
      loopWork: 1, // one pass, no tail
    });
    // 7 outputs: a pass of 3, then one of 4; a 250-input row has a 2-input tail per row.
    const seven = shifted('dense', [250], 7, [-1]);
    expect(costTerms('cortex-m4', 'dense', seven)).toEqual({
      work: 248 * 7,
      outputs: 7,
      loopWork: 2 + DENSE_B1_TAIL_ROW * 7,
    });
    // 6 outputs: two passes of 3; 8: two of 4. The same rows, one more pass for 6 than 4 + 4 would.
    expect(costTerms('cortex-m4', 'dense', shifted('dense', [64], 6, [-1]))!.loopWork).toBe(2);
    expect(costTerms('cortex-m4', 'dense', shifted('dense', [64], 5, [-1]))!.work).toBe(64 * 6);
    // Other widths keep the layer's own work.
    const w8 = { ...two, weightBits: 8 };
    expect(costTerms('cortex-m4', 'dense', w8)).toEqual({ work: 496, outputs: 2, loopWork: 0 });
  });

  it('the M0’s 1-bit dense: tables per block of 32 rows from 4 outputs, bit-serial row pairs below', () => {
    const two = shifted('dense', [248], 2, [-1]);
    expect(costKernel('cortex-m0', two)).toBe('dense_b1_pairs');
    // One row pair over 248 inputs padded to 8 words of 32.
    expect(costTerms('cortex-m0', 'dense_b1_pairs', two)).toEqual({
      work: DENSE_B1_PAIR_MAC * 2 * 256,
      outputs: 2,
      loopWork: 248 / 8,
    });
    const four = shifted('dense', [512], 4, [-1]);
    expect(costKernel('cortex-m0', four)).toBe('dense');
    // 512 inputs = 11 chunks of ≤ 48 inputs (10 of 6 weight bytes, the last 32 inputs 4): 2 × 64 table groups.
    expect(costTerms('cortex-m0', 'dense', four)).toEqual({ work: 4 * 512, outputs: 4, loopWork: 128 });
    // 32 rows build the same tables as 4; 33 twice as many.
    const n32 = { ...four, work: 512 * 32, outputs: 32 };
    const n33 = { ...four, work: 512 * 33, outputs: 33 };
    expect(costTerms('cortex-m0', 'dense', n32)!.loopWork).toBe(128);
    expect(costTerms('cortex-m0', 'dense', n33)!.loopWork).toBe(256);
    // A 1-bit dense row stored as `dense` before the row pairs had a kernel calibrates dense_b1_pairs.
    const old: MeasuredLayer = {
      runId: 1,
      ...two,
      costKernel: 'dense',
      counts: 1.5 * defaultEstimate('cortex-m0', two),
    };
    const cal = calibrate('cortex-m0', [old]);
    expect(cal.factors.get('dense_b1_pairs/1')!.scale).toBeCloseTo(1.5, 9);
    expect(cal.factors.has('dense/1')).toBe(false);
  });

  it('a one-row 1-bit conv on neither binary conv kernel runs the dense call per position', () => {
    // 2 filters on rows of 160 (32 channels × kernel 5), valid: 28 positions, read in place.
    const c = shifted('conv1d', [32, 32], 2, [-1, 0], 5);
    expect(c).toMatchObject({
      outChannels: 2,
      outputs: 56,
      wideOutputs: 28,
      loopWork: 28 * CONV_POSITION_COPIES,
    });
    // The M0's mask conv takes rows of ≤ 128; the M4 runs it as one block of four on its blocked
    // kernel since the firmware after 2026-12-07's fourth pass (the terms below: a layer of 2 filters
    // on rows of > 256 still runs the dense call per position there).
    expect(costKernel('cortex-m4', c)).toBe('conv2d_b1_blocked');
    expect(costKernel('cortex-m4', { ...c, rowBlockable: false })).toBe('conv2d_kh1');
    expect(costKernel('cortex-m0', c)).toBe('conv2d_kh1');
    // M4: one three-row pass over 20 whole 8-input groups per position.
    expect(costTerms('cortex-m4', 'conv2d_kh1', c)).toEqual({
      work: 28 * 160 * 3,
      outputs: 28 * (2 + DENSE_B1_WIDE_OUTPUT),
      loopWork: c.loopWork + CONV_B1_CALL_LOOP * 28,
    });
    // M0: one bit-serial row pair over 5 words of 32 inputs per position.
    expect(costTerms('cortex-m0', 'conv2d_kh1', c)).toEqual({
      work: 28 * DENSE_B1_PAIR_MAC * 2 * 160,
      outputs: 56,
      loopWork: c.loopWork + CONV_B1_CALL_LOOP * 28 * (160 / 8),
    });
    // Without its output channels (a row from before migration 0016) it does not calibrate.
    const old: MeasuredLayer = { runId: 1, ...c, outChannels: null, counts: 20_000 };
    expect(costTerms('cortex-m0', 'conv2d_kh1', old)).toBeNull();
    expect(calibrate('cortex-m0', [old]).factors.size).toBe(0);
    // Other widths keep the conv's own terms.
    expect(costTerms('cortex-m4', 'conv2d_kh1', { ...c, weightBits: 8 })).toEqual({
      work: c.work,
      outputs: 56,
      loopWork: c.loopWork,
    });
  });

  it('short rows: 8 rows or more read a table pair, fewer loop over each row’s bits after Σx', () => {
    const few = shifted('dense', [5], 2, [-1]);
    expect(costKernel('cortex-m0', few)).toBe('dense_b1_short');
    expect(costTerms('cortex-m0', 'dense_b1_short', few)).toEqual({
      work: 10,
      outputs: 2,
      loopWork: 5 / DENSE_B1_SHORT_SUM_INPUTS,
    });
    const many = shifted('dense', [5], 12, [-1]);
    expect(costTerms('cortex-m4', 'dense_b1_short', many)).toEqual({ work: 0, outputs: 12, loopWork: 2 });
    // Its terms need no wide outputs: a row from before migration 0016 still calibrates it on the M4.
    const old: MeasuredLayer = {
      runId: 1,
      ...few,
      wideOutputs: null,
      counts: 1.25 * defaultEstimate('cortex-m4', few),
    };
    expect(calibrate('cortex-m4', [old]).factors.get('dense_b1_short/1')!.scale).toBeCloseTo(1.25, 9);
  });
});

describe('4- and 2-bit pair kernels', () => {
  const conv = (shape: number[], filters: number, kernel: number, bits: 1 | 2 | 4 | 8 = 4) => {
    const { model, parsed } = oneLayer('conv1d', shape, bits, 3, { filters, kernel, stride: 1 });
    return layerWork(parsed, model)[0]!;
  };

  it('convs of short rows run bb_conv_pairs where its blocks fit (BB_CP_*), as the firmware chooses', () => {
    // The gesture conv (rows of 18, 6 filters): one block on both cores, at 4 and 2 bits.
    const g = conv([119, 6], 6, 3);
    for (const cpu of ['cortex-m4', 'cortex-m0'])
      for (const bits of [4, 2]) expect(costKernel(cpu, { ...g, weightBits: bits })).toBe('conv2d_pairs');
    expect(costKernel('cortex-m4', { ...g, weightBits: 8 })).toBe('conv2d_kh1');
    expect(costKernel('cortex-m0', { ...g, weightBits: 1 })).toBe('conv2d_b1_mask');
    // Any kernel height: the MNIST model's first conv (rows of 9, 4 filters).
    const { model, parsed } = oneLayer('conv2d', [28, 28, 1], 4, 3, { filters: 4, kernel: 3, stride: 2 });
    expect(costKernel('cortex-m0', layerWork(parsed, model)[0]!)).toBe('conv2d_pairs');
    // Rows of BB_PAIRS_MAX_LEN = 64 inputs (32 pair words): the M4's 128 words take one group of 4
    // rows, not 5 (8 rows expanded); the M0's 64 words 2 rows, not 3; blocks of < 8 rows do not run.
    expect(BB_PAIRS_MAX_LEN).toBe(64);
    expect(costKernel('cortex-m4', conv([32, 16], 4, 4))).toBe('conv2d_pairs');
    expect(costKernel('cortex-m4', conv([32, 16], 5, 4))).toBe('conv2d_kh1');
    expect(costKernel('cortex-m0', conv([32, 16], 2, 4))).toBe('conv2d_pairs');
    expect(costKernel('cortex-m0', conv([32, 16], 3, 4))).toBe('conv2d_kh1');
    // Rows of 65 inputs (68 padded) keep bb_conv_generic even with one filter.
    expect(costKernel('cortex-m4', conv([32, 13], 1, 5))).toBe('conv2d_kh1');
    expect(costKernel('cortex-m4', conv([32, 13], 1, 4))).toBe('conv2d_pairs');
    // Many filters on rows of 24 (12 words): the M4 runs blocks of 8 rows (128 / 12 → 10 → 8), the
    // M0's 64 words hold 4 rows: fewer than BB_CP_MIN_BLOCK.
    expect(convPairBlockRows(true, 24, 16)).toBe(8);
    expect(convPairBlockRows(false, 24, 16)).toBe(0);
    expect(costKernel('cortex-m4', conv([64, 8], 16, 3))).toBe('conv2d_pairs');
    expect(costKernel('cortex-m0', conv([64, 8], 16, 3))).toBe('conv2d_kh1');
    // Rows of 9 (12 padded): 32 filters in blocks of BB_CP_MAX_ROWS on the M4, of 10 on the M0.
    expect(convPairBlockRows(true, 9, 32)).toBe(BB_CP_MAX_ROWS);
    expect(convPairBlockRows(false, 9, 32)).toBe(10);
    // A row from before migration 0016 (no output channels) counts as the kernel it ran before.
    expect(costKernel('cortex-m4', { ...g, outChannels: null })).toBe('conv2d_kh1');
  });

  it('the pair conv computes whole groups of rows over the padded row, and packs the column per block', () => {
    const w = conv([64, 3], 32, 3); // rows of 9 → 12, 32 filters
    const positions = w.outputs / 32;
    const gathered = w.loopWork - CONV_POSITION_COPIES * positions;
    const perBlock = (fam: 'armv7m' | 'armv6m') =>
      gathered + CONV_PAIRS_POSITION * positions + CONV_PAIRS_PACK[fam] * positions * 12;
    // The M4: two blocks of 16 rows; the M0: blocks of 10, 10, 10 and 2 rows (32 rows expanded).
    expect(costTerms('cortex-m4', 'conv2d_pairs', w)).toEqual({
      work: positions * 32 * 12,
      outputs: w.outputs,
      loopWork: 2 * perBlock('armv7m') + CONV_PAIRS_EXPAND.armv7m * 32 * 12,
    });
    expect(costTerms('cortex-m0', 'conv2d_pairs', w)!.loopWork).toBeCloseTo(
      4 * perBlock('armv6m') + CONV_PAIRS_EXPAND.armv6m * 32 * 12,
      9,
    );
    // 5 filters: the M4 expands 4 + 2 rows, the M0 6 (a zero row); 7: the M4 8 (4 + a group of 4).
    const five = conv([40, 6], 5, 3);
    const p5 = five.outputs / 5;
    expect(costTerms('cortex-m4', 'conv2d_pairs', five)!.work).toBe(p5 * 6 * 20);
    expect(costTerms('cortex-m0', 'conv2d_pairs', five)!.work).toBe(p5 * 6 * 20);
    const seven = conv([40, 6], 7, 3);
    expect(costTerms('cortex-m4', 'conv2d_pairs', seven)!.work).toBe((seven.outputs / 7) * 8 * 20);
    // On the M0, 8 rows × 10 words exceed its 64, and blocks of 6 rows are too few: bb_conv_generic.
    expect(costKernel('cortex-m0', seven)).toBe('conv2d_kh1');
    expect(costTerms('cortex-m0', 'conv2d_pairs', seven)).toBeNull();
    expect(costTerms('cortex-m4', 'conv2d_pairs', { ...seven, outChannels: null })).toBeNull();
  });

  it('small GRUs run bb_gru_pairs (≤ 32 inputs and units, rows within BB_GRU_PAIRS_WORDS)', () => {
    const gru = (steps: number, inputs: number, units: number, bits: 1 | 2 | 4 | 8 = 4) => {
      const { model, parsed } = oneLayer('gru', [steps, inputs], bits, 3, { units });
      return layerWork(parsed, model)[0]!;
    };
    // The gesture GRU: 3 · 5 · (4 + 4) = 120 words.
    const g = gru(29, 6, 5);
    expect(costKernel('cortex-m4', g)).toBe('gru_pairs');
    expect(costKernel('cortex-m0', { ...g, weightBits: 2 })).toBe('gru_pairs');
    expect(costKernel('cortex-m0', { ...g, weightBits: 8 })).toBe('gru');
    expect(costKernel('cortex-m0', { ...g, outChannels: null })).toBe('gru');
    // 3 units: 24 inputs fit (9 · (12 + 2) = 126 words), 25 do not (9 · 16 = 144).
    expect(costKernel('cortex-m0', gru(8, 24, 3))).toBe('gru_pairs');
    expect(costKernel('cortex-m0', gru(8, 25, 3))).toBe('gru_packed');
    expect(costKernel('cortex-m4', gru(8, 6, 8))).toBe('gru_packed');
    expect(gruPairsFit(32, 1)).toBe(true);
    expect(gruPairsFit(33, 1)).toBe(false);
    expect(BB_GRU_PAIRS_WORDS).toBe(128);
    // Its work: the rows padded to whole pair words of 4 inputs; its loop work the steps' units and
    // the expansion of 15 rows × (8 + 8) inputs into 120 pair words.
    expect(costTerms('cortex-m4', 'gru_pairs', g)).toEqual({
      work: 29 * 15 * (8 + 8),
      outputs: g.outputs,
      loopWork: 29 * 5 + GRU_PAIRS_EXPAND_S4 * 120,
    });
    expect(costTerms('cortex-m0', 'gru_pairs', { ...g, weightBits: 2 })!.loopWork).toBe(
      29 * 5 + GRU_PAIRS_EXPAND_S2 * 120,
    );
    // 12 inputs (6 words) loop: GRU_PAIRS_LOOP_MAC per MAC; 3 units pad to 4 (registers).
    const long = gru(8, 12, 3);
    expect(costTerms('cortex-m4', 'gru_pairs', long)!.work).toBeCloseTo(
      8 * 9 * (12 * GRU_PAIRS_LOOP_MAC + 4),
      9,
    );
  });

  it('GRUs over the pair rows (≤ 64 inputs and units) run bb_packed_matvec per step (gru_packed)', () => {
    const gru = (steps: number, inputs: number, units: number, bits: 1 | 2 | 4 | 8 = 4) => {
      const { model, parsed } = oneLayer('gru', [steps, inputs], bits, 3, { units });
      return layerWork(parsed, model)[0]!;
    };
    // 29 × 9, 16 units: 48 · (6 + 8) = 672 pair words, over BB_GRU_PAIRS_WORDS.
    const g = gru(29, 9, 16);
    expect(costKernel('cortex-m4', g)).toBe('gru_packed');
    expect(costKernel('cortex-m0', { ...g, weightBits: 2 })).toBe('gru_packed');
    expect(costKernel('cortex-m0', { ...g, weightBits: 8 })).toBe('gru');
    expect(costKernel('cortex-m0', { ...g, weightBits: 1 })).toBe('gru_b1');
    // 29 × 3, 8 units is just over (24 · (2 + 4) = 144 words); beyond 64 inputs or units bb_gru stays.
    expect(costKernel('cortex-m0', gru(29, 3, 8))).toBe('gru_packed');
    expect(costKernel('cortex-m4', gru(4, 65, 2))).toBe('gru');
    expect(gruPackedFit(64, 64)).toBe(true);
    expect(gruPackedFit(65, 8)).toBe(false);
    expect(gruPackedFit(6, 5)).toBe(false); // the pair rows take it
    expect(BB_GRU_PACKED_MAX_LEN).toBe(64);
    // Multiplies per row: 4-bit 2 (≤ 4 inputs), 4 per word; 2-bit 4 (≤ 8 inputs), 8 per word.
    expect([1, 4, 5, 8, 9, 16, 17].map((n) => packedRowMuls(n, 4))).toEqual([2, 2, 4, 4, 8, 8, 12]);
    expect([1, 8, 9, 16, 17, 32].map((n) => packedRowMuls(n, 2))).toEqual([4, 4, 8, 8, 16, 16]);
    // Work: 29 steps × 48 rows × (9 inputs: 8 + 16 units: 8) at 4 bits; the M0 loops rows of > 8.
    expect(costTerms('cortex-m4', 'gru_packed', g)).toEqual({
      work: 29 * 48 * (8 + 8),
      outputs: g.outputs,
      loopWork: 29 * 16 + GRU_PACKED_STEP * 29,
    });
    expect(costTerms('cortex-m0', 'gru_packed', g)!.work).toBeCloseTo(29 * 48 * 16 * GRU_PACKED_LOOP_MUL, 9);
    expect(costTerms('cortex-m4', 'gru_packed', { ...g, outChannels: null })).toBeNull();
  });

  it('4/2-bit dense heads of ≤ 4 rows × ≤ 8 inputs run bb_fc_short on both cores', () => {
    const dense = (inputs: number, rows: number, bits: 1 | 2 | 4 | 8 = 4) => {
      const { model, parsed } = oneLayer('dense', [inputs], bits, 3, { filters: rows });
      return layerWork(parsed, model)[0]!;
    };
    expect(costKernel('cortex-m4', dense(5, 2))).toBe('dense_short');
    expect(costKernel('cortex-m4', dense(8, 4, 2))).toBe('dense_short');
    expect(costKernel('cortex-m4', dense(9, 2))).toBe('dense_short16');
    expect(costKernel('cortex-m4', dense(8, 5))).toBe('dense');
    expect(costKernel('cortex-m4', dense(5, 2, 8))).toBe('dense');
    expect(costKernel('cortex-m0', dense(5, 2))).toBe('dense_short');
    expect(costKernel('cortex-m0', dense(9, 4, 2))).toBe('dense');
    expect(costKernel('cortex-m4', dense(5, 2, 1))).toBe('dense_b1_short');
    // The M4's 4-bit layers of 9–16 inputs × ≤ 4 rows: bb_fc_s4_short16 (two weight words a row).
    expect(costKernel('cortex-m4', dense(9, 3))).toBe('dense_short16');
    expect(costKernel('cortex-m4', dense(16, 4))).toBe('dense_short16');
    expect(costKernel('cortex-m4', dense(17, 4))).toBe('dense');
    expect(costKernel('cortex-m4', dense(16, 5))).toBe('dense');
    expect(costKernel('cortex-m4', dense(12, 2, 2))).toBe('dense');
    expect(costKernel('cortex-m0', dense(12, 2))).toBe('dense');
    // Its terms: the inputs packed byte by byte (9–15: those past 8; 16: none) and the rows.
    expect(costTerms('cortex-m4', 'dense_short16', dense(9, 3))).toEqual({
      work: 1,
      outputs: 3,
      loopWork: 0,
    });
    expect(costTerms('cortex-m4', 'dense_short16', dense(16, 4))).toEqual({
      work: 0,
      outputs: 4,
      loopWork: 0,
    });
  });

  it('old rows of a layer the pair kernels take calibrate neither path; rows stored with them do', () => {
    const g = conv([119, 6], 6, 3);
    const long = conv([32, 16], 8, 5); // rows of 80: bb_conv_generic
    const est = (l: typeof g, ck: string) => defaultEstimate('cortex-m4', { ...l, costKernel: ck });
    const history: MeasuredLayer[] = [
      // Profiled before the pair kernels had cost rows: stored as conv2d_kh1, whichever kernel ran.
      { runId: 1, ...g, costKernel: 'conv2d_kh1', counts: 3 * est(g, 'conv2d_kh1') },
      { runId: 1, ...long, costKernel: 'conv2d_kh1', counts: 1.5 * est(long, 'conv2d_kh1') },
      { runId: 2, ...g, costKernel: 'conv2d_pairs', counts: 1.2 * est(g, 'conv2d_pairs') },
    ];
    const cal = calibrate('cortex-m4', history);
    expect(cal.factors.get('conv2d_kh1/4')!.scale).toBeCloseTo(1.5, 9);
    expect(cal.factors.get('conv2d_kh1/4')!.layers).toBe(1);
    expect(cal.factors.get('conv2d_pairs/4')!.scale).toBeCloseTo(1.2, 9);
    // A 4-bit dense head stored as `dense` (before dense_short) calibrates neither; a longer row does.
    const head = (inputs: number) => {
      const { model, parsed } = oneLayer('dense', [inputs], 4, 3, { filters: 2 });
      return layerWork(parsed, model)[0]!;
    };
    const old: MeasuredLayer = { runId: 3, ...head(5), costKernel: 'dense', counts: 1000 };
    expect(calibrate('cortex-m4', [old]).factors.size).toBe(0);
    expect(calibrate('cortex-m0', [old]).factors.size).toBe(0);
    const row30: MeasuredLayer = { runId: 3, ...head(30), costKernel: 'dense', counts: 1000 };
    expect(calibrate('cortex-m0', [row30]).factors.has('dense/4')).toBe(true);
  });
});
