import { describe, expect, it } from 'vitest';
import {
  absorbBiases,
  crossLayerEqualise,
  equalisablePairs,
} from '../../src/main/quant/cross-layer-equalization';
import { floatReferenceForward, nodeForward } from '../../src/main/quant/float-reference';
import { channelStats } from '../../src/main/quant/observers';
import {
  buildPtqGraph,
  cloneGraph,
  isWeighted,
  kernelMatrixShape,
  unsupportedLayers,
  type PtqGraph,
} from '../../src/main/quant/ptq-graph';
import { resolveLayerBits } from '../../src/main/quant/ptq-pipeline';
import { seededRandom } from '../../src/main/quant/rng';
import { PtqConfigSchema } from '../../src/shared/api/quant';
import { ModelSpecSchema } from '../../src/shared/model/spec';
import { gauss, smallSpec, weight } from '../fixtures/quant-small-model';

function samples(n: number, per: number, seed: number): Float32Array[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: per }, () => gauss(r)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('PTQ graph', () => {
  it('folds BatchNorm into the conv before it without changing the function (1e-5)', () => {
    const r = seededRandom(9);
    const spec = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [10, 2],
      numClasses: 3,
      layers: [
        { type: 'conv1d', name: 'conv', filters: 4, kernelSize: 3 },
        { type: 'batchNorm', name: 'bn', epsilon: 1e-3 },
        { type: 'relu', name: 'act' },
        { type: 'flatten', name: 'flat' },
        { type: 'dense', name: 'fc', units: 3, activation: 'softmax' },
      ],
    });
    const w = [
      weight('conv', 'kernel', [3, 2, 4], r),
      weight('conv', 'bias', [4], r),
      { layer: 'bn', param: 'gamma', shape: [4], values: Float32Array.from([0.5, 2, -1.5, 1]) },
      { layer: 'bn', param: 'beta', shape: [4], values: Float32Array.from([0.1, -0.3, 0.2, 0]) },
      { layer: 'bn', param: 'movingMean', shape: [4], values: Float32Array.from([0.4, -1, 0, 2]) },
      { layer: 'bn', param: 'movingVariance', shape: [4], values: Float32Array.from([0.25, 4, 1, 0.01]) },
      weight('fc', 'kernel', [32, 3], r),
      weight('fc', 'bias', [3], r),
    ];
    const g = buildPtqGraph(spec, w);
    expect(g.nodes.map((n) => n.kind)).toEqual(['conv1d', 'flatten', 'dense']);
    // Reference without folding: conv → BN → ReLU → flatten → dense, written out here.
    const bnOf = (p: string) => w.find((x) => x.layer === 'bn' && x.param === p)!.values;
    const convOnly = {
      ...g.nodes[0]!,
      kernel: w[0]!.values,
      bias: w[1]!.values,
      activation: 'linear' as const,
    };
    for (const x of samples(20, 20, 3)) {
      const y = nodeForward(convOnly, Float64Array.from(x));
      for (let i = 0; i < y.length; i++) {
        const c = i % 4;
        const v =
          (bnOf('gamma')[c]! * (y[i]! - bnOf('movingMean')[c]!)) /
            Math.sqrt(bnOf('movingVariance')[c]! + 1e-3) +
          bnOf('beta')[c]!;
        y[i] = Math.max(0, v);
      }
      const ref = nodeForward(g.nodes[2]!, y);
      expect(maxAbsDiff(floatReferenceForward(g, x), ref)).toBeLessThan(1e-5);
    }
    expect(() => buildPtqGraph(spec, w, { foldBatchNorm: false })).toThrow(/must be folded/);
  });

  it('refuses layer arrangements the integer engine cannot run, before any work', () => {
    const midSoftmax = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [20, 3],
      numClasses: 2,
      layers: [
        { type: 'gru', name: 'gru', units: 4 },
        { type: 'softmax', name: 'sm' },
        { type: 'dense', name: 'fc', units: 2 },
      ],
    });
    expect(unsupportedLayers(midSoftmax)).toHaveLength(1);
    expect(() => buildPtqGraph(midSoftmax, [])).toThrow(/softmax "sm" must be the last layer/);
    // A standalone ReLU is fused into the conv/dense before it; after a GRU there is none.
    const reluAfterGru = ModelSpecSchema.parse({
      arch: 'custom',
      inputShape: [20, 3],
      numClasses: 2,
      layers: [
        { type: 'gru', name: 'gru', units: 4 },
        { type: 'relu', name: 'act' },
        { type: 'dense', name: 'fc', units: 2 },
      ],
    });
    expect(unsupportedLayers(reluAfterGru)).toHaveLength(0);
    const w = [
      { layer: 'gru', param: 'kernel', shape: [3, 12], values: new Float32Array(36) },
      { layer: 'gru', param: 'recurrentKernel', shape: [4, 12], values: new Float32Array(48) },
      { layer: 'gru', param: 'bias', shape: [2, 12], values: new Float32Array(24) },
      { layer: 'fc', param: 'kernel', shape: [4, 2], values: new Float32Array(8) },
      { layer: 'fc', param: 'bias', shape: [2], values: new Float32Array(2) },
    ];
    expect(() => buildPtqGraph(reluAfterGru, w)).toThrow(/relu "act" must follow a conv\/dense/);
  });

  it('refuses a per-layer table naming unknown layers or layers without weights', () => {
    const { spec, weights } = smallSpec();
    const g = buildPtqGraph(spec, weights);
    expect(() =>
      resolveLayerBits(spec, g, PtqConfigSchema.parse({ layerBits: { conv9: { weights: 4 } } })),
    ).toThrow(/unknown layer\(s\) "conv9"/);
    expect(() =>
      resolveLayerBits(spec, g, PtqConfigSchema.parse({ layerBits: { pool: { weights: 4 } } })),
    ).toThrow(/"pool" have no weights/);
    const bits = resolveLayerBits(
      spec,
      g,
      PtqConfigSchema.parse({ weightBits: 4, actBits: 4, layerBits: { conv1: { weights: 8 } } }),
    );
    expect(bits.get('conv1')).toEqual({ weights: 8, acts: 4 });
    expect(bits.get('fc')).toEqual({ weights: 4, acts: 8 }); // logits stay 8-bit
  });
});

describe('cross-layer equalisation (seed 004)', () => {
  it('leaves the float function unchanged within 1e-5 and equalises the ranges', () => {
    const { spec, weights } = smallSpec();
    const g = buildPtqGraph(spec, weights);
    const eq = cloneGraph(g);
    expect(equalisablePairs(eq).map((p) => `${p.first.name}→${p.second.name}`)).toEqual([
      'conv1→conv2',
      'conv2→fc',
    ]);
    crossLayerEqualise(eq);
    for (const x of samples(25, 48, 4)) {
      const a = floatReferenceForward(g, x);
      const b = floatReferenceForward(eq, x);
      // float32 kernels: the rescaled weights carry ~6e-8 relative rounding, so compare at the logits' scale
      const scale = Math.max(1, ...Array.from(a, Math.abs));
      expect(maxAbsDiff(a, b) / scale).toBeLessThan(1e-5);
    }
    // After convergence, r1_i = r2_i for the conv1→conv2 pair: s_i = √(r1·r2)/r2 = 1.
    const [c1, c2] = eq.nodes.filter(isWeighted);
    const [rows1, n1] = kernelMatrixShape(c1!);
    const [rows2, n2] = kernelMatrixShape(c2!);
    for (let c = 0; c < n1; c++) {
      let r1 = 0;
      let r2 = 0;
      for (let i = 0; i < rows1; i++) r1 = Math.max(r1, Math.abs(c1!.kernel[i * n1 + c]!));
      for (let i = 0; i < rows2; i++)
        if (i % n1 === c) for (let o = 0; o < n2; o++) r2 = Math.max(r2, Math.abs(c2!.kernel[i * n2 + o]!));
      expect(r1 / r2).toBeCloseTo(1, 2);
    }
    // and it helped: conv1's channel ranges went from 800:1 to much closer
    const spread = (g2: PtqGraph) => {
      const n = g2.nodes[0]! as typeof c1 & object;
      const [rows, cout] = kernelMatrixShape(n);
      const r = Array.from({ length: cout }, (_, c) =>
        Math.max(...Array.from({ length: rows }, (_, i) => Math.abs(n.kernel[i * cout + c]!))),
      );
      return Math.max(...r) / Math.min(...r);
    };
    expect(spread(eq)).toBeLessThan(spread(g) / 5);
  });

  it('bias absorption keeps the function where pre-activations stay above c', () => {
    const { spec, weights } = smallSpec();
    const g = buildPtqGraph(spec, weights);
    // make conv1's pre-activations strictly positive so that ReLU is the identity there
    const c1 = g.nodes[0]!;
    if (!isWeighted(c1)) throw new Error('conv1 expected');
    c1.bias.fill(40);
    const xs = samples(30, 48, 8);
    const pre = new Float32Array(xs.length * 14 * 6);
    xs.forEach((x, i) => pre.set(nodeForward(c1, Float64Array.from(x), true), i * 14 * 6));
    // With std 0 and the mean at the per-channel minimum, c = that minimum: every sample here has y ≥ c.
    const st = channelStats(pre, 6);
    const abs = cloneGraph(g);
    const absorbed = absorbBiases(abs, new Map([['conv1', { mean: st.min, std: new Float64Array(6) }]]));
    expect(Math.min(...absorbed.get('conv1')!)).toBeGreaterThan(0);
    for (const x of xs)
      expect(maxAbsDiff(floatReferenceForward(g, x), floatReferenceForward(abs, x))).toBeLessThan(1e-4);
  });
});
