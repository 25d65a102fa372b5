import { LowBitConfigSchema, type SensitivityCell, type SensitivityReport } from '../../../shared/api/lowbit';
import { inferShapes } from '../../../shared/model/shapes';
import type { ModelSpec, NamedWeight } from '../../../shared/model/spec';
import type { Tf } from '../../ml/tf-loader';
import { accuracyOf, trainLowBit, type TrainData } from '../lowbit-trainer';
import { seededRandom } from '../rng';
import { weightGrid } from '../qat/fake-quant';
import { FunctionalModel, isWeightedLayer, type QuantTarget } from '../qat/functional-model';
import { nearestLevel } from '../universal/regularisers';
import { initialScales } from '../universal/scale';

/**
 * Layer sensitivity (seed 000 Fig. 3, seed 003): one layer at a time at each bit width, the accuracy
 * drop vs the float model before and after hard rounding, over several seeds.
 * - `universal`: fine-tune the float model for a few epochs with the S1/S2 regulariser on that layer
 *   only (the others stay float), then round it — the seed's experiment. Seeds change the batch order.
 * - `ptq`: round that layer's weights to the grid (MSE scale), no training. Rounding is deterministic,
 *   so the seeds draw bootstrap resamples of the evaluation set: the spread is the evaluation noise.
 */
export interface SensitivityOptions {
  bits: number[];
  seeds: number;
  mode: 'universal' | 'ptq';
  epochs: number;
  regulariser: 's1' | 's2';
}

function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const variance = v.length > 1 ? v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

function bootstrap(data: TrainData, seed: number): TrainData {
  const r = seededRandom(seed * 104729 + 7);
  const per = data.x.length / Math.max(1, data.count);
  const x = new Float32Array(data.x.length);
  const y = new Int32Array(data.count);
  for (let i = 0; i < data.count; i++) {
    const j = Math.floor(r() * data.count);
    x.set(data.x.subarray(j * per, (j + 1) * per), i * per);
    y[i] = data.y[j]!;
  }
  return { x, y, count: data.count };
}

/** The weight hook rounding the targets of one layer onto a `bits`-bit grid with fixed per-channel scales. */
function roundingHook(tf: Tf, model: FunctionalModel, layer: string, bits: number) {
  const grid = weightGrid(bits);
  const rounded = new Map<QuantTarget, Float32Array>();
  for (const t of model.targets.filter((q) => q.layer === layer)) {
    const w = tf.tidy(() => model.effectiveWeight(t));
    const v = Float32Array.from(w.dataSync());
    w.dispose();
    const s = initialScales(v, t.channelShape, bits);
    rounded.set(
      t,
      Float32Array.from(v, (x, i) => nearestLevel(x / s[i % s.length]!, grid) * s[i % s.length]!),
    );
  }
  return (t: QuantTarget, w: ReturnType<Tf['tensor']>) => {
    const r = rounded.get(t);
    return r ? tf.tensor(r, w.shape) : w;
  };
}

export function runSensitivity(
  tf: Tf,
  modelName: string,
  spec: ModelSpec,
  weights: NamedWeight[],
  train: TrainData,
  evalSet: TrainData,
  opts: SensitivityOptions,
  progress: (fraction: number, message: string) => void = () => undefined,
  checkStop: () => void = () => undefined,
): SensitivityReport {
  const started = Date.now();
  const shapes = inferShapes(spec);
  const layers = spec.layers.filter(isWeightedLayer).map((l) => {
    const ls = shapes.layers.find((s) => s.name === l.name)!;
    const count = (p: string) =>
      ls.params.filter((q) => q.param === p).reduce((a, q) => a + q.shape.reduce((x, y) => x * y, 1), 0);
    return {
      layer: l.name,
      weights: count('kernel') + count('recurrentKernel'),
      biases: count('bias'),
      weight_tensors: ['kernel', 'recurrentKernel'].map(count).filter((n) => n > 0),
    };
  });
  const base = new FunctionalModel(tf, spec, weights);
  const floatAccuracy = accuracyOf(tf, base, evalSet);
  const cells: SensitivityCell[] = [];
  const total = layers.length * opts.bits.length * opts.seeds;
  let done = 0;
  try {
    for (const { layer } of layers) {
      for (const bits of opts.bits) {
        const runs: Array<{ seed: number; before: number; after: number }> = [];
        for (let seed = 1; seed <= opts.seeds; seed++) {
          checkStop();
          progress(done / total, `${layer} at ${bits} bit, seed ${seed}/${opts.seeds}`);
          if (opts.mode === 'ptq') {
            const sample = bootstrap(evalSet, seed);
            const before = accuracyOf(tf, base, sample);
            const after = accuracyOf(tf, base, sample, { weight: roundingHook(tf, base, layer, bits) });
            runs.push({ seed, before: 100 * (floatAccuracy - before), after: 100 * (floatAccuracy - after) });
          } else {
            const m = new FunctionalModel(tf, spec, weights);
            try {
              const cfg = LowBitConfigSchema.parse({
                method: opts.regulariser === 's2' ? 'universal-s2' : 'universal-s1',
                weightBits: bits,
                epochs: opts.epochs,
                seed,
              });
              const out = trainLowBit(tf, m, train, evalSet, cfg, { only: new Set([layer]), checkStop });
              runs.push({
                seed,
                before: 100 * (floatAccuracy - out.accuracyBefore),
                after: 100 * (floatAccuracy - out.accuracyAfter),
              });
            } finally {
              m.dispose();
            }
          }
          done++;
        }
        const b = meanStd(runs.map((r) => r.before));
        const a = meanStd(runs.map((r) => r.after));
        cells.push({
          layer,
          bits,
          drop_before_mean: b.mean,
          drop_before_std: b.std,
          drop_after_mean: a.mean,
          drop_after_std: a.std,
          runs,
        });
      }
    }
  } finally {
    base.dispose();
  }
  return {
    model: modelName,
    mode: opts.mode,
    float_accuracy: floatAccuracy,
    bits: [...opts.bits],
    seeds: opts.seeds,
    layers,
    cells,
    seconds: (Date.now() - started) / 1000,
    eval_windows: evalSet.count,
  };
}
