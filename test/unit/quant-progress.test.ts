// The PTQ job's progress bar (and so its ETA) gives each layer a share that follows its cost: with a
// layerwise optimiser a big weight matrix takes longer, so it gets more of the bar.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPtqGraph, quantizableNodes } from '../../src/main/quant/ptq-graph';
import { layerUnits, runPtq, type ResolvedBits } from '../../src/main/quant/ptq-pipeline';
import { loadTf, type Tf } from '../../src/main/ml/tf-loader';
import { parseMethod, PtqConfigSchema } from '../../src/shared/api/quant';
import { gaussData, smallSpec } from '../fixtures/quant-small-model';

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

const bitsOf = (names: string[], weights: number): Map<string, ResolvedBits> =>
  new Map(names.map((n) => [n, { weights, acts: 8 }]));

describe('PTQ progress shares', () => {
  const { spec, weights } = smallSpec();
  const layers = quantizableNodes(buildPtqGraph(spec, weights, { foldBatchNorm: true }));
  const names = layers.map((l) => l.name); // conv1 (54 weights), conv2 (90), fc (120)

  it('with a layerwise optimiser, shares follow the weight count and sum to the layer count', () => {
    const u = layerUnits(layers, bitsOf(names, 4), { optimizer: 'adaround' });
    const sum = [...u.values()].reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(3, 10);
    // 0.2 + 0.8 · 3 · p / 264
    expect(u.get('conv1')).toBeCloseTo(0.2 + (0.8 * 3 * 54) / 264, 10);
    expect(u.get('fc')).toBeCloseTo(0.2 + (0.8 * 3 * 120) / 264, 10);
    // Without one, or at 1 bit (the optimiser skips it), every layer is one unit.
    expect([...layerUnits(layers, bitsOf(names, 4), { optimizer: 'none' }).values()]).toEqual([1, 1, 1]);
    expect([...layerUnits(layers, bitsOf(names, 1), { optimizer: 'adaround' }).values()]).toEqual([1, 1, 1]);
  });

  it('the bar moves forward only, and each layer starts where the shares before it end', async () => {
    const n = 64;
    const config = PtqConfigSchema.parse({
      ...parseMethod('mse+adaround'),
      weightBits: 4,
      actBits: 4,
      calibSize: n,
      iterations: 40,
    });
    const seen: Array<{ f: number; m: string }> = [];
    await runPtq(tf, spec, weights, gaussData(n, 16 * 3, 3), n, config, (f, m) => seen.push({ f, m }));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.f).toBeGreaterThanOrEqual(seen[i - 1]!.f - 1e-12);
    expect(seen.at(-1)!.f).toBeLessThanOrEqual(1);
    const start = (name: string) => seen.find((s) => s.m.startsWith(`layer ${name}: W`))!.f;
    const u = layerUnits(layers, bitsOf(names, 4), config);
    const total = 2 + names.length;
    expect(start('conv2') - start('conv1')).toBeCloseTo(u.get('conv1')! / total, 10);
    expect(start('fc') - start('conv2')).toBeCloseTo(u.get('conv2')! / total, 10);
    // fc has the biggest matrix: the biggest share of the bar.
    expect(u.get('fc')!).toBeGreaterThan(1.5 * u.get('conv1')!);
  });
});
