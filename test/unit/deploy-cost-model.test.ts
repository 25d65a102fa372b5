import { describe, expect, it } from 'vitest';
import {
  calibrate,
  costKernel,
  cpuFamily,
  defaultEstimate,
  deviation,
  estimateLayer,
  FLAG_THRESHOLD,
  type MeasuredLayer,
} from '../../src/main/deploy/cost-model';
import { layerWork } from '../../src/main/deploy/layer-work';
import { readBlob } from '../../src/main/engine/blob-reader';
import { writeBlob } from '../../src/main/engine/blob-writer';
import { randomLayer, Rng } from '../../src/main/engine/random-model';
import type { IntegerModel } from '../../src/shared/quant/integer-model';

/** A one-layer model of `op` on `shape`, through the real blob writer and reader. */
function oneLayer(
  op: 'conv1d' | 'dense' | 'maxPool1d' | 'gru',
  shape: number[],
  bits: 1 | 2 | 4 | 8,
  seed = 3,
) {
  const rng = new Rng(seed);
  const input = { scale: 0.05, zeroPoint: 0 };
  const l = randomLayer(rng, op, bits, shape, input, 'l0');
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
  });
});

describe('cost model', () => {
  const conv = { kernel: 'conv2d', weightBits: 8, work: 200_000, outputs: 8000 } as const;

  it('picks the ARMv6-M table for M0/M0+ and the ARMv7-M one otherwise', () => {
    expect(cpuFamily('cortex-m0')).toBe('armv6m');
    expect(cpuFamily('cortex-m0plus')).toBe('armv6m');
    expect(cpuFamily('cortex-m4')).toBe('armv7m');
    expect(cpuFamily('cortex-m7')).toBe('armv7m');
    // The M0 has no SIMD: more counts per MAC for the same layer.
    expect(defaultEstimate('cortex-m0', conv)).toBeGreaterThan(defaultEstimate('cortex-m4', conv));
  });

  it('is linear in MACs and outputs with a fixed per-layer cost', () => {
    const a = defaultEstimate('cortex-m4', conv);
    const b = defaultEstimate('cortex-m4', { ...conv, work: 2 * conv.work, outputs: 2 * conv.outputs });
    const zero = defaultEstimate('cortex-m4', { ...conv, work: 0, outputs: 0 });
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
    const layer = { kernel: 'conv2d', weightBits: 8, work: 10_000, outputs: 400 };
    const base = defaultEstimate('cortex-m4', layer);
    const history: MeasuredLayer[] = [
      { runId: 1, ...layer, counts: 1.5 * base },
      {
        runId: 2,
        ...layer,
        work: 20_000,
        outputs: 800,
        counts: 1.5 * defaultEstimate('cortex-m4', { ...layer, work: 20_000, outputs: 800 }),
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
      ...layer,
      work: 30_000,
      outputs: 1200,
    };
    const e = estimateLayer('cortex-m4', l, cal);
    expect(e.source).toBe('calibrated');
    expect(e.counts).toBeCloseTo(1.5 * defaultEstimate('cortex-m4', l), 6);
    // Another width of the same kernel is not calibrated by it.
    expect(estimateLayer('cortex-m4', { ...l, weightBits: 4 }, cal).source).toBe('default');
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
    const blockable = { ...w!, rowBlockable: true, weightBits: 1 };
    expect(costKernel('cortex-m4', blockable)).toBe('conv2d_b1_blocked');
    expect(costKernel('cortex-m0', blockable)).toBe('conv2d_kh1');
    expect(costKernel('cortex-m4', { ...blockable, rowBlockable: false })).toBe('conv2d_kh1');
    expect(costKernel('cortex-m4', { ...blockable, weightBits: 8 })).toBe('conv2d_kh1');
    expect(costKernel('cortex-m4', { ...blockable, kernelH: 3 })).toBe('conv2d');
    // A layer from before kernel heights were known counts as a tall conv.
    expect(costKernel('cortex-m4', { kernel: 'conv2d', weightBits: 1 })).toBe('conv2d');
  });

  it('calibrates each cost kernel from the layers stored with it, not across conv paths', () => {
    const row = { kernel: 'conv2d', weightBits: 1, work: 30_000, outputs: 1000 };
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
    const l = { index: 0, name: 'c', op: 'conv1d', macs: 30_000, ...row, kernelH: 1 };
    expect(estimateLayer('cortex-m4', { ...l, rowBlockable: true }, cal).source).toBe('calibrated');
    expect(estimateLayer('cortex-m4', { ...l, rowBlockable: false }, cal).source).toBe('default');
  });
});
