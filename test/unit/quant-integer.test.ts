import { beforeAll, describe, expect, it } from 'vitest';
import { integerModelCost } from '../../src/main/quant/cost-model';
import { engineReferencePredict } from '../../src/main/quant/engine-reference';
import { integerPredict, dequantizeLogits } from '../../src/main/quant/integer-sim';
import { argmax } from '../../src/main/quant/ptq-evaluate';
import { buildPtqGraph, weightedNodes } from '../../src/main/quant/ptq-graph';
import { runPtq } from '../../src/main/quant/ptq-pipeline';
import { argmaxLogitEncoding } from '../../src/main/quant/range-setters';
import { seededRandom } from '../../src/main/quant/rng';
import { predictLogits } from '../../src/main/quant/tf-forward';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { PtqConfigSchema } from '../../src/shared/api/quant';
import { ModelSpecSchema } from '../../src/shared/model/spec';
import { IntegerModelSchema } from '../../src/shared/quant/integer-model';
import { gaussData, smallSpec, weight } from '../fixtures/quant-small-model';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const data = gaussData;

describe('integer model = simulated quantization', () => {
  const cases = [
    { label: 'W8A8 MinMax', cfg: { weightBits: 8, actBits: 8 } },
    {
      label: 'W8A8 MinMax, logits on the activation grid',
      cfg: { weightBits: 8, actBits: 8, logitRange: 'acts' },
    },
    {
      label: 'W4A4 CLE+MSE+bias correction',
      cfg: {
        weightBits: 4,
        actBits: 4,
        cle: true,
        weightRange: 'mse',
        actRange: 'mse',
        biasCorrection: true,
      },
    },
    {
      // The input's MSE range clips: the host must clamp to the 3-bit grid as the simulation does.
      label: 'W4A4 MSE, model input at 3 bits',
      cfg: { weightBits: 4, actBits: 4, inputBits: 3, weightRange: 'mse', actRange: 'mse' },
    },
    {
      label: 'W2A2 + per-layer table, AdaRound',
      cfg: {
        weightBits: 2,
        actBits: 2,
        layerBits: { conv1: { weights: 3 }, fc: { weights: 1 } },
        optimizer: 'adaround',
        iterations: 60,
      },
    },
  ] as const;
  for (const c of cases) {
    it(`${c.label}: the integer-exact simulation gives the fake-quant predictions and logits`, async () => {
      const { spec, weights } = smallSpec();
      const calib = data(256, 48, 1);
      const r = await runPtq(tf, spec, weights, calib, 256, PtqConfigSchema.parse(c.cfg));
      expect(IntegerModelSchema.safeParse(r.integerModel).success).toBe(true);
      const inputBits = 'inputBits' in c.cfg ? c.cfg.inputBits : 8;
      expect(r.integerModel.inputLevels).toEqual(
        inputBits < 8 ? { min: -128, max: -128 + 2 ** inputBits - 1 } : undefined,
      );
      const n = 300;
      const x = data(n, 48, 2);
      const fq = predictLogits(tf, r.quantized.graph, x, n, r.sim);
      const int = integerPredict(r.integerModel, x, n);
      const intReal = dequantizeLogits(r.integerModel, int.logits);
      const lsb = r.integerModel.output.scale;
      let worst = 0;
      for (let i = 0; i < fq.length; i++) worst = Math.max(worst, Math.abs(fq[i]! - intReal[i]!));
      expect(worst).toBeLessThanOrEqual(lsb * 1.001);
      expect(Array.from(int.predictions)).toEqual(Array.from(argmax(fq, n, 4)));
      // the integer engine's host reference on the exported blob agrees bit for bit
      const eng = engineReferencePredict(r.integerModel, x, n);
      if ('error' in eng) throw new Error(eng.error);
      expect(Array.from(eng.logits)).toEqual(Array.from(int.logits));
      // levels respect each layer's restricted range
      for (const l of r.integerModel.layers) {
        if (!('weights' in l)) continue;
        const lim = l.weightBits === 1 ? 1 : 2 ** (l.weightBits - 1) - 1;
        expect(Math.max(...l.weights.map(Math.abs))).toBeLessThanOrEqual(lim);
        if (l.weightBits === 1) expect(l.weights.every((v) => v === 1 || v === -1)).toBe(true);
      }
    });
  }
});

describe('cost model (seed 003 formulas)', () => {
  it('the logits grid: argmax (default) spans the float runner-up logits; acts is the range setter', async () => {
    const { spec, weights } = smallSpec();
    const n = 128;
    const calib = data(n, 16 * 3, 21);
    const argmaxRun = await runPtq(tf, spec, weights, calib, n, PtqConfigSchema.parse({ calibSize: n }));
    const actsRun = await runPtq(
      tf,
      spec,
      weights,
      calib,
      n,
      PtqConfigSchema.parse({ calibSize: n, logitRange: 'acts' }),
    );
    const last = (r: typeof argmaxRun) => r.quantized.outputEncs[r.quantized.outputEncs.length - 1]!;
    const logits = predictLogits(tf, argmaxRun.floatGraph, calib, n);
    expect(last(argmaxRun)).toEqual(argmaxLogitEncoding(logits, n, 4, 8));
    expect(last(actsRun).scales[0]).toBeCloseTo((Math.max(0, ...logits) - Math.min(0, ...logits)) / 255, 6);
    // Only the logits grid differs.
    expect(argmaxRun.quantized.outputEncs.slice(0, -1)).toEqual(actsRun.quantized.outputEncs.slice(0, -1));
  });

  it('har-cnn-small at W4A4: MACs, BOPs = MACs·b_w·b_a, packed bytes, peak memory and arena', async () => {
    const r = seededRandom(4);
    const spec = ModelSpecSchema.parse({
      arch: 'har-cnn-small',
      inputShape: [128, 9],
      numClasses: 6,
      layers: [
        { type: 'conv1d', name: 'conv1', filters: 64, kernelSize: 3, activation: 'relu' },
        { type: 'conv1d', name: 'conv2', filters: 64, kernelSize: 3, activation: 'relu' },
        { type: 'maxPool1d', name: 'pool', poolSize: 2 },
        { type: 'flatten', name: 'flatten' },
        { type: 'dense', name: 'fc', units: 6 },
      ],
    });
    const weights = [
      weight('conv1', 'kernel', [3, 9, 64], r, () => 0.2),
      weight('conv1', 'bias', [64], r, () => 0.01),
      weight('conv2', 'kernel', [3, 64, 64], r, () => 0.05),
      weight('conv2', 'bias', [64], r, () => 0.01),
      weight('fc', 'kernel', [3968, 6], r, () => 0.02),
      weight('fc', 'bias', [6], r, () => 0.01),
    ];
    expect(weightedNodes(buildPtqGraph(spec, weights)).map((n) => n.name)).toEqual(['conv1', 'conv2', 'fc']);
    const res = await runPtq(
      tf,
      spec,
      weights,
      data(32, 1152, 3),
      32,
      PtqConfigSchema.parse({ weightBits: 4, actBits: 4 }),
    );
    const cost = integerModelCost(res.integerModel, res.bits, 8);
    expect(cost.layers.map((l) => l.macs)).toEqual([126 * 64 * 27, 124 * 64 * 192, 3968 * 6]);
    // input 8-bit, internal activations 4-bit
    expect(cost.layers.map((l) => l.bops)).toEqual([217728 * 4 * 8, 1523712 * 4 * 4, 23808 * 4 * 4]);
    expect(cost.weightBytes).toBe(1728 / 2 + 12288 / 2 + 23808 / 2);
    expect(cost.biasBytes).toBe(4 * (64 + 64 + 6));
    // peak = (Σ weights·b_w + largest activation·b_a) / 8 = (37824·4 + 126·64·4) / 8
    expect(cost.peakMemoryBytes).toBe((37824 * 4 + 8064 * 4) / 8);
    // int8 arena: conv1 in (1152) + out (8064) vs conv2 in (8064) + out (7936)
    expect(cost.arenaBytes).toBe(8064 + 7936);
    expect(cost.params).toBe(1728 + 64 + 12288 + 64 + 23808 + 6);
  });
});
