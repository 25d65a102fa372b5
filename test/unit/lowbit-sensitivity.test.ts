import { beforeAll, describe, expect, it } from 'vitest';
import { LowBitConfigSchema, sensitivityBasis, type SensitivityReport } from '../../src/shared/api/lowbit';
import { ModelSpecSchema } from '../../src/shared/model/spec';
import { buildModel, extractWeights } from '../../src/main/ml/model-builder';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { runInQuantWorker } from '../../src/main/quant/quant-worker-client';
import { storedBytes } from '../../src/main/quant/lowbit-run';
import { seededRandom } from '../../src/main/quant/rng';
import { proposeTable } from '../../src/main/quant/sensitivity/proposal';
import { runSensitivity } from '../../src/main/quant/sensitivity/sensitivity';
import { zooSpec } from '../../src/main/ml/zoo';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

function cell(layer: string, bits: number, drop: number) {
  return {
    layer,
    bits,
    drop_before_mean: 0,
    drop_before_std: 0,
    drop_after_mean: drop,
    drop_after_std: 0.1,
    runs: [],
  };
}

const report: SensitivityReport = {
  model: 'toy',
  mode: 'ptq',
  float_accuracy: 0.9,
  bits: [1, 8],
  seeds: 1,
  layers: [
    { layer: 'conv', weights: 800, biases: 8 },
    { layer: 'gru', weights: 160, biases: 30 },
    { layer: 'fc', weights: 16, biases: 2 },
  ],
  cells: [
    cell('conv', 1, 0.2),
    cell('conv', 8, 0),
    cell('gru', 1, 5),
    cell('gru', 8, 0),
    cell('fc', 1, 3),
    cell('fc', 8, -0.1),
  ],
  seconds: 0,
};

describe('per-layer bit table proposal', () => {
  it('an accuracy target picks the hybrid {1,8} of seed 000: binary conv, 8-bit GRU and output', () => {
    const p = proposeTable(report, { maxDrop: 1 });
    expect(p.layer_bits).toEqual({ conv: 1, gru: 8, fc: 8 });
    expect(p.predicted_drop).toBeCloseTo(0.2, 12);
    expect(p.stored_bytes).toBe(800 / 8 + 160 + 16 + 4 * 40);
    expect(p.meets_target).toBe(true);
    // The Pareto front runs from all-binary (smallest) to all-8-bit (most accurate), sorted by size.
    expect(p.pareto[0]!.layer_bits).toEqual({ conv: 1, gru: 1, fc: 1 });
    expect(p.pareto.at(-1)!.predicted_drop).toBe(0);
    for (let i = 1; i < p.pareto.length; i++)
      expect(p.pareto[i]!.predicted_drop).toBeLessThan(p.pareto[i - 1]!.predicted_drop);
  });

  it('a size target picks the most accurate table that fits; an impossible one says so', () => {
    const fits = proposeTable(report, { maxBytes: 300 });
    expect(fits.stored_bytes).toBeLessThanOrEqual(300);
    expect(fits.layer_bits.conv).toBe(1);
    const none = proposeTable(report, { maxBytes: 10 });
    expect(none.meets_target).toBe(false);
    expect(none.note).toMatch(/no measured table meets the target/);
  });
});

describe('layer sensitivity and sizes', () => {
  it('ptq mode: per layer and bit width, mean ± std over seeds; 8 bits costs less than 1 bit', () => {
    const spec = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [8],
      numClasses: 2,
      layers: [
        { type: 'dense', name: 'fc1', units: 8, activation: 'relu' },
        { type: 'dense', name: 'fc2', units: 2 },
      ],
    });
    const m = buildModel(tf, spec, undefined, { seed: 4 });
    const weights = extractWeights(m);
    m.dispose();
    const r = seededRandom(2);
    const n = 200;
    const x = Float32Array.from({ length: n * 8 }, () => r() * 2 - 1);
    // Labels from the float model itself, so its accuracy is 100 % and drops are pure quantization damage.
    const logits = tf.tidy(
      () => buildModel(tf, spec, weights).predict(tf.tensor2d(x, [n, 8])) as ReturnType<typeof tf.tensor2d>,
    );
    const y = Int32Array.from(logits.argMax(-1).dataSync());
    logits.dispose();
    const data = { x, y, count: n };
    const rep = runSensitivity(tf, 'toy', spec, weights, data, data, {
      bits: [1, 8],
      seeds: 3,
      mode: 'ptq',
      epochs: 1,
      regulariser: 's1',
    });
    expect(rep.float_accuracy).toBe(1);
    expect(rep.layers).toEqual([
      { layer: 'fc1', weights: 64, biases: 8, weight_tensors: [64] },
      { layer: 'fc2', weights: 16, biases: 2, weight_tensors: [16] },
    ]);
    expect(rep.cells).toHaveLength(4);
    for (const c of rep.cells) expect(c.runs).toHaveLength(3);
    const drop = (l: string, b: number) =>
      rep.cells.find((c) => c.layer === l && c.bits === b)!.drop_after_mean;
    for (const l of ['fc1', 'fc2']) expect(drop(l, 8)).toBeLessThan(drop(l, 1) + 1e-9);
    expect(drop('fc1', 1) + drop('fc2', 1)).toBeGreaterThan(0);
    // The report says what the drops were measured on, and what one window weighs.
    expect(rep.eval_windows).toBe(200);
    expect(sensitivityBasis(rep)).toBe('measured on 200 validation windows (one window = 0.50 points)');
    expect(sensitivityBasis({ eval_windows: 6 })).toMatch(
      /^measured on only 6 validation windows \(one window = 16\.67 points\): drops below that are not resolved/,
    );
    expect(sensitivityBasis({})).toBeUndefined();
  });

  it('stored sizes of the seed 000 gesture model: 1284 B float32, 435 B int8, 190 B binary (whole bytes)', () => {
    const spec = zooSpec('gesture-cnn-gru');
    expect(storedBytes(spec, () => 32)).toBe(1284);
    expect(storedBytes(spec, () => 8)).toBe(435);
    // Binary kernels of 108, 90 (GRU input), 75 (GRU recurrent) and 10 weights: 14 + 12 + 10 + 2 bytes,
    // each tensor rounded up on its own (the seed's fractional count was 187.375), + 152 B of biases.
    expect(storedBytes(spec, () => 1)).toBe(14 + 12 + 10 + 2 + 152);
    for (const b of [1, 2, 3, 4, 5, 6, 7, 8]) expect(Number.isInteger(storedBytes(spec, () => b))).toBe(true);
  });

  it('the proposal counts whole bytes per packed tensor, as the trained variant does', () => {
    const gru: SensitivityReport = {
      ...report,
      layers: [{ layer: 'gru', weights: 165, biases: 30, weight_tensors: [90, 75] }],
      cells: [cell('gru', 1, 0), cell('gru', 8, 0)],
    };
    // 90 + 75 binary weights: 12 + 10 bytes (one 165-bit tensor would be 21, the old count 20.625).
    expect(proposeTable(gru, { maxDrop: 1 }).pareto.map((c) => c.stored_bytes)).toEqual([22 + 120]);
    const fc: SensitivityReport = {
      ...report,
      layers: [{ layer: 'fc', weights: 10, biases: 2 }],
      cells: [cell('fc', 1, 0), cell('fc', 8, 1)],
    };
    expect(proposeTable(fc, { maxDrop: 1 }).stored_bytes).toBe(2 + 8);
  });
});

describe('the quantization worker', () => {
  it('trains in a worker_thread and reports per epoch; a bad bit table comes back as a clear error', async () => {
    const spec = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [4],
      numClasses: 2,
      layers: [{ type: 'dense', name: 'fc', units: 2 }],
    });
    const m = buildModel(tf, spec, undefined, { seed: 1 });
    const weights = extractWeights(m);
    m.dispose();
    const r = seededRandom(5);
    const n = 64;
    const x = Float32Array.from({ length: n * 4 }, () => r() - 0.5);
    const y = Int32Array.from({ length: n }, (_, i) => (x[i * 4]! > 0 ? 1 : 0));
    const data = { x, y, count: n };
    const base = {
      parent: 'toy',
      name: null,
      spec,
      weights,
      train: data,
      val: data,
      test: { ...data, classes: ['a', 'b'] },
      calib: { x, count: n },
    };
    const epochs: number[] = [];
    const out = await runInQuantWorker(
      {
        kind: 'train',
        input: {
          ...base,
          config: LowBitConfigSchema.parse({ method: 'qat-ste', weightBits: 2, epochs: 2, batchSize: 16 }),
        },
      },
      { onMessage: (msg) => msg.type === 'epoch' && epochs.push(msg.epoch.epoch) },
      (msg) => (msg.type === 'train-done' ? msg.output : undefined),
    );
    expect(epochs).toEqual([0, 1, 2]);
    expect(out.report.method).toBe('qat-ste');
    expect(out.integer).not.toBeNull();
    expect(out.integer!.model.layers[0]).toMatchObject({ op: 'dense', weightBits: 2 });
    const levels = (out.integer!.model.layers[0] as { weights: number[] }).weights;
    for (const v of levels) expect([-1, 0, 1]).toContain(v);
    await expect(
      runInQuantWorker(
        {
          kind: 'train',
          input: {
            ...base,
            config: LowBitConfigSchema.parse({
              method: 'universal-s1',
              layerBits: { conv9: { weights: 1 } },
              epochs: 1,
            }),
          },
        },
        {},
        (msg) => (msg.type === 'train-done' ? msg.output : undefined),
      ),
    ).rejects.toThrow(/Unknown layer in the bit table: conv9/);
  }, 60_000);
});
