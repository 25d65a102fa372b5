// Seed 003 step 4, end-to-end bias tuning: only biases move, the logits MSE against the float model
// goes down on the calibration set (or the biases are left as they were), the result still exports
// as integers that the engine's reference runs exactly like the simulation, and graphs without a
// gradient path are left alone with the reason.
import { beforeAll, describe, expect, it } from 'vitest';
import { biasTuningObstacle } from '../../src/main/quant/bias-tuning';
import { engineReferencePredict } from '../../src/main/quant/engine-reference';
import { argmax } from '../../src/main/quant/ptq-evaluate';
import { buildPtqGraph, isWeighted } from '../../src/main/quant/ptq-graph';
import { runPtq, type PtqResult } from '../../src/main/quant/ptq-pipeline';
import { predictLogits, withoutLogitsGrid } from '../../src/main/quant/tf-forward';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { methodOf, parseMethod, PtqConfigSchema, type PtqConfig } from '../../src/shared/api/quant';
import { gaussData, smallSpec } from '../fixtures/quant-small-model';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const data = gaussData;

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** The integer engine on the exported model predicts what the simulation predicts. */
function expectIntegerExact(r: PtqResult): void {
  const test = data(128, 16 * 3, 12);
  const eng = engineReferencePredict(r.integerModel, test, 128);
  if ('error' in eng) throw new Error(eng.error);
  const fq = argmax(predictLogits(tf, r.quantized.graph, test, 128, r.sim), 128, 4);
  expect(Array.from(eng.predictions)).toEqual(Array.from(fq));
}

/** The small model at W/A with bias tuning, and with bias tuning replaced by `tuning` alone. */
async function againstBiasTuning(
  weightBits: number,
  actBits: number,
  tuning: Partial<PtqConfig>,
): Promise<{ biasOnly: PtqResult; tuned: PtqResult; calib: Float32Array; n: number }> {
  const { spec, weights } = smallSpec();
  const n = 256;
  const calib = data(n, 16 * 3, 11);
  const base = PtqConfigSchema.parse({
    weightBits,
    actBits,
    calibSize: n,
    seed: 2,
    biasTuning: true,
    biasTuningIterations: 150,
    biasTuningLr: 0.05,
  });
  const biasOnly = await runPtq(tf, spec, weights, calib, n, base);
  const tuned = await runPtq(tf, spec, weights, calib, n, { ...base, biasTuning: false, ...tuning });
  return { biasOnly, tuned, calib, n };
}

describe('bias tuning', () => {
  it('is a method step of its own', () => {
    expect(parseMethod('mse+adaround+bias-tuning')).toMatchObject({
      biasTuning: true,
      optimizer: 'adaround',
    });
  });

  it('lowers the logits MSE on the calibration set, moves only biases, and stays integer-exact', async () => {
    const { spec, weights } = smallSpec();
    const n = 256;
    const calib = data(n, 16 * 3, 11);
    const base = PtqConfigSchema.parse({ weightBits: 3, actBits: 3, calibSize: n, seed: 2 });
    const plain = await runPtq(tf, spec, weights, calib, n, base);
    const tuned = await runPtq(tf, spec, weights, calib, n, {
      ...base,
      biasTuning: true,
      biasTuningIterations: 150,
      biasTuningLr: 0.05,
    });
    const bt = tuned.biasTuning!;
    expect(bt.skipped).toBeUndefined();
    expect(bt.kept).toBe(true);
    expect(bt.lossAfter).toBeLessThan(0.95 * bt.lossBefore);

    // The reported losses are those of the models the pipeline returns.
    const floatLogits = predictLogits(tf, plain.floatGraph, calib, n);
    const before = predictLogits(
      tf,
      plain.quantized.graph,
      calib,
      n,
      withoutLogitsGrid(plain.quantized.graph, plain.sim),
    );
    const after = predictLogits(
      tf,
      tuned.quantized.graph,
      calib,
      n,
      withoutLogitsGrid(tuned.quantized.graph, tuned.sim),
    );
    expect(mse(before, floatLogits)).toBeCloseTo(bt.lossBefore, 4);
    expect(mse(after, floatLogits)).toBeCloseTo(bt.lossAfter, 4);

    // Weights and encodings are untouched; some biases moved.
    for (const [name, layer] of tuned.quantized.layers) {
      const p = plain.quantized.layers.get(name)!;
      expect(Array.from(layer.levels)).toEqual(Array.from(p.levels));
      expect(layer.weightEnc.scales).toEqual(p.weightEnc.scales);
    }
    const moved = tuned.quantized.graph.nodes
      .filter(isWeighted)
      .some((nd, i) =>
        nd.bias.some((b, c) => b !== plain.quantized.graph.nodes.filter(isWeighted)[i]!.bias[c]),
      );
    expect(moved).toBe(true);

    // Integer engine on the exported model predicts what the simulation predicts.
    expectIntegerExact(tuned);
  });

  it('weight-tuning also moves weight levels on their grids, judged on held-out windows, and stays integer-exact', async () => {
    expect(parseMethod('mse+adaquant+weight-tuning')).toMatchObject({ biasTuning: true, weightTuning: true });
    expect(methodOf({ ...PtqConfigSchema.parse(parseMethod('mse+weight-tuning')) })).toBe(
      'mse+weight-tuning',
    );
    // weightTuning alone runs the tuning loop too (parseMethod sets both; an API config may not).
    const { biasOnly, tuned: both, calib, n } = await againstBiasTuning(2, 3, { weightTuning: true });
    const wt = both.biasTuning!;
    expect(wt.kept).toBe(true);
    expect(wt.lossBefore).toBeCloseTo(biasOnly.biasTuning!.lossBefore, 6);
    expect(wt.lossAfter).toBeLessThan(wt.lossBefore);
    // Kept because the held-out quarter of the calibration windows improved.
    expect(wt.heldOut!.after).toBeLessThan(wt.heldOut!.before);
    expect(biasOnly.biasTuning!.heldOut).toBeUndefined();
    expect([...wt.levels!.keys()].sort()).toEqual([...both.quantized.layers.keys()].sort());

    // The levels moved, stayed on the 2-bit ternary grid, and the reported loss is the returned model's.
    let changed = 0;
    for (const [name, layer] of both.quantized.layers) {
      const p = biasOnly.quantized.layers.get(name)!;
      expect(layer.weightEnc.scales).toEqual(p.weightEnc.scales);
      for (let i = 0; i < layer.levels.length; i++) {
        expect(Math.abs(layer.levels[i]!)).toBeLessThanOrEqual(1);
        if (layer.levels[i] !== p.levels[i]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    const floatLogits = predictLogits(tf, both.floatGraph, calib, n);
    expect(
      mse(
        predictLogits(tf, both.quantized.graph, calib, n, withoutLogitsGrid(both.quantized.graph, both.sim)),
        floatLogits,
      ),
    ).toBeCloseTo(wt.lossAfter, 4);
    expectIntegerExact(both);
  });

  it('range-tuning also learns the activation step sizes; pools keep their input grid; integer-exact', async () => {
    expect(parseMethod('mse+range-tuning')).toMatchObject({ biasTuning: true, rangeTuning: true });
    expect(methodOf(PtqConfigSchema.parse(parseMethod('cle+mse+adaquant+range-tuning')))).toBe(
      'cle+mse+adaquant+range-tuning',
    );
    expect(methodOf(PtqConfigSchema.parse(parseMethod('mse+weight-tuning+range-tuning')))).toBe(
      'mse+weight-tuning+range-tuning',
    );
    // rangeTuning alone runs the loop (parseMethod sets biasTuning too; an API config may not).
    const { biasOnly, tuned: ranged, calib, n } = await againstBiasTuning(3, 2, { rangeTuning: true });
    const rt = ranged.biasTuning!;
    expect(rt.kept).toBe(true);
    expect(rt.lossBefore).toBeCloseTo(biasOnly.biasTuning!.lossBefore, 6);
    // The step sizes are what bias tuning alone cannot move: it ends lower.
    expect(rt.lossAfter).toBeLessThan(biasOnly.biasTuning!.lossAfter);
    // The hidden grids; the logits keep the argmax grid of step 2.
    expect(rt.ranges!.map((r) => r.layer)).toEqual(['conv1', 'conv2']);
    expect(rt.ranges!.some((r) => Math.abs(r.after / r.before - 1) > 0.01)).toBe(true);

    // The quantized graph carries the tuned grids: conv2's is repeated by the pool and the flatten,
    // zero points and level ranges unchanged; the weights are untouched.
    const names = ranged.quantized.graph.nodes.map((nd) => nd.name);
    const enc = (name: string) => ranged.quantized.outputEncs[names.indexOf(name)]!;
    const plainEnc = (name: string) => biasOnly.quantized.outputEncs[names.indexOf(name)]!;
    expect(enc('conv2').scales[0]).toBeCloseTo(rt.ranges!.find((r) => r.layer === 'conv2')!.after, 12);
    for (const follower of ['pool', 'flatten']) expect(enc(follower)).toEqual(enc('conv2'));
    expect(enc('fc')).toEqual(plainEnc('fc'));
    for (const name of ['conv1', 'conv2']) {
      expect(enc(name).zeroPoints).toEqual(plainEnc(name).zeroPoints);
      expect([enc(name).qmin, enc(name).qmax]).toEqual([plainEnc(name).qmin, plainEnc(name).qmax]);
    }
    for (const [name, layer] of ranged.quantized.layers)
      expect(Array.from(layer.levels)).toEqual(Array.from(biasOnly.quantized.layers.get(name)!.levels));

    // The reported loss is the returned model's, and the engine runs it as the simulation does.
    const floatLogits = predictLogits(tf, ranged.floatGraph, calib, n);
    expect(
      mse(
        predictLogits(
          tf,
          ranged.quantized.graph,
          calib,
          n,
          withoutLogitsGrid(ranged.quantized.graph, ranged.sim),
        ),
        floatLogits,
      ),
    ).toBeCloseTo(rt.lossAfter, 4);
    expectIntegerExact(ranged);
  });

  it('names what blocks the gradient in graphs run partly on integer levels', () => {
    const { spec, weights } = smallSpec();
    const g = buildPtqGraph(spec, weights, { foldBatchNorm: true });
    expect(biasTuningObstacle(g, {})).toBeUndefined();
    const gru = { ...g, nodes: [...g.nodes, { ...g.nodes[0]!, kind: 'gru', name: 'g' } as never] };
    expect(biasTuningObstacle(gru, { integerGru: new Map([['g', {} as never]]) })).toMatch(/GRU "g"/);
  });
});
