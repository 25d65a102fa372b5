/**
 * `npm run bench -- low-bit [--db file] [--only gesture,mnist,har] [--seeds 5] [--epochs-gesture 100]
 *   [--epochs-mnist 5] [--mnist-train 10000] [--epochs-har 5] [--har-train 2000]`
 *
 * Seed 000 (universal 1-bit weights) and the QAT-vs-PTQ claim of issue 8, on our data, seed figures
 * printed beside ours:
 *  - gesture CNN → GRU → FC: stored sizes float32 / int8 / full binary / hybrid {1,8} vs 1284 / 504 /
 *    276.5 B, and the accuracy loss of full binary and hybrid over seeds, S1 vs S2 (mean ± std);
 *  - MNIST mnist-cnn, every layer 1-bit with S1: accuracy loss vs float (seed: < 1 point);
 *  - HAR har-cnn, W2A8 and W1A8: QAT (LSQ) vs the best PTQ pipeline at the same bits.
 * Needs a database with the datasets imported and float models trained, e.g.
 *   bitbench datasets import csv ../shared/datasets/gesture-to-emoji --name gestures --split-by segment
 *   bitbench train --dataset gestures --arch gesture-cnn-gru --name gesture-fp --epochs 40
 *   bitbench datasets import mnist ../shared/datasets/mnist --name mnist
 *   bitbench train --dataset mnist --arch mnist-cnn --name mnist-fp --epochs 3
 *   bitbench datasets import uci-hapt ../shared/datasets/uci-hapt --name har
 *   bitbench train --dataset har --arch har-cnn --name har-fp --epochs 30
 * A model that is missing is skipped with the command that would create it.
 */
import { LowBitConfigSchema, type LowBitConfigInput } from '../src/shared/api/lowbit';
import { createAppContext, type AppContext } from '../src/main/context';
import { loadDatasetTensors, type DatasetTensors } from '../src/main/datasets/dataset-reader';
import { loadTf, type Tf } from '../src/main/ml/tf-loader';
import { resolveDbPath } from '../src/main/paths';
import { runLowBit, storedBytes } from '../src/main/quant/lowbit-run';
import type { TrainData } from '../src/main/quant/lowbit-trainer';
import { evaluatePtq } from '../src/main/quant/ptq-evaluate';
import { runPtq } from '../src/main/quant/ptq-pipeline';
import { calibrationSet, resolveConfig } from '../src/main/quant/quant-service';
import { sampleIndices, seededRandom } from '../src/main/quant/rng';
import { VariantsRepo, type ParentModel } from '../src/main/store/variants-repo';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const std = (v: number[]) =>
  v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1));
const fmt = (v: number[]) => `${mean(v).toFixed(2)} ± ${std(v).toFixed(2)}`;
const pts = (a: number, b: number) => 100 * (a - b);

function subset(t: DatasetTensors, n: number, seed: number): TrainData {
  if (n <= 0 || t.count <= n) return { x: t.x, y: t.y, count: t.count };
  const idx = sampleIndices(t.count, n, seededRandom(seed));
  const per = t.x.length / t.count;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  idx.forEach((w, i) => {
    x.set(t.x.subarray(w * per, (w + 1) * per), i * per);
    y[i] = t.y[w]!;
  });
  return { x, y, count: idx.length };
}

interface Loaded {
  parent: ParentModel;
  train: DatasetTensors;
  val: TrainData;
  test: DatasetTensors;
}

function load(ctx: AppContext, model: string, how: string): Loaded | undefined {
  let parent: ParentModel;
  try {
    parent = new VariantsRepo(ctx.db).parent(model);
  } catch {
    console.log(`  (skipped: no model "${model}" — ${how})\n`);
    return undefined;
  }
  const ds = parent.dataset!;
  const opt = { version: ds.version };
  const train = loadDatasetTensors(ctx.db, ds.name, 'train', opt);
  const test = loadDatasetTensors(ctx.db, ds.name, 'test', opt);
  const v = loadDatasetTensors(ctx.db, ds.name, 'val', opt);
  const val = v.count ? { x: v.x, y: v.y, count: v.count } : subset(test, Math.min(1000, test.count), 3);
  return { parent, train, val, test };
}

async function lowbit(tf: Tf, backend: string, d: Loaded, cfg: LowBitConfigInput, maxTrain: number) {
  const config = LowBitConfigSchema.parse(cfg);
  const calibCount = Math.min(512, d.train.count);
  return runLowBit(tf, {
    parent: d.parent.name,
    name: null,
    spec: d.parent.spec,
    weights: d.parent.weights,
    config,
    train: subset(d.train, maxTrain, config.seed),
    val: d.val,
    test: { x: d.test.x, y: d.test.y, count: d.test.count, classes: d.test.classes },
    calib: { x: calibrationSet(d.train, calibCount, config.seed), count: calibCount },
    backend,
  });
}

async function gesture(tf: Tf, backend: string, ctx: AppContext, seeds: number): Promise<void> {
  console.log('== gesture CNN → GRU → FC (seed 000) ==');
  const d = load(
    ctx,
    arg('gesture-model', 'gesture-fp'),
    'bitbench train --dataset gestures --arch gesture-cnn-gru --name gesture-fp',
  );
  if (!d) return;
  const spec = d.parent.spec;
  const hybrid = (l: string) => (spec.layers.find((x) => x.name === l)?.type === 'conv1d' ? 1 : 8);
  console.log('stored bytes (weights at their bits + int32 biases)   ours      seed 000');
  console.log(
    `  float32                                            ${String(storedBytes(spec, () => 32)).padEnd(9)} 1284`,
  );
  console.log(
    `  int8                                               ${String(storedBytes(spec, () => 8)).padEnd(9)} 504`,
  );
  console.log(
    `  full binary                                        ${String(storedBytes(spec, () => 1)).padEnd(9)} 276.5`,
  );
  console.log(
    `  hybrid {1,8} (conv 1-bit, GRU + FC 8-bit)          ${String(storedBytes(spec, hybrid)).padEnd(9)} —`,
  );
  console.log(
    `  (ours: ${spec.layers.length} layers, 283 weights + 38 biases; the seed's sizes imply 260 + 61)\n`,
  );
  const epochs = Number(arg('epochs-gesture', '100'));
  console.log(
    `accuracy loss vs float (points, test split of ${d.test.count} windows), ${seeds} seeds, ${epochs} epochs, batch 8:`,
  );
  for (const [label, layerBits] of [
    ['full binary', {}],
    [
      'hybrid {1,8}',
      Object.fromEntries(
        spec.layers
          .filter((l) => l.type === 'gru' || l.type === 'dense')
          .map((l) => [l.name, { weights: 8 }]),
      ),
    ],
  ] as const) {
    for (const method of ['universal-s1', 'universal-s2'] as const) {
      const before: number[] = [];
      const after: number[] = [];
      const near: number[] = [];
      for (let s = 1; s <= seeds; s++) {
        const r = await lowbit(
          tf,
          backend,
          d,
          { method, weightBits: 1, layerBits, epochs, batchSize: 8, seed: s },
          0,
        );
        before.push(pts(r.report.float_accuracy, r.report.accuracy_before_rounding));
        after.push(pts(r.report.float_accuracy, r.report.accuracy_after_rounding));
        near.push(100 * r.report.near_fraction);
      }
      console.log(
        `  ${label.padEnd(13)} ${method}: before rounding ${fmt(before)}, after rounding ${fmt(after)}; weights on a level ${fmt(near)} %`,
      );
    }
  }
  console.log(
    '  seed 000: "1-bit performance is preserved for convolution only"; "S2 has less variance than S1 except when quantizing GRU only"\n',
  );
}

async function mnist(tf: Tf, backend: string, ctx: AppContext): Promise<void> {
  console.log('== MNIST mnist-cnn, every layer 1-bit, S1 (seed 000: loss < 1 point) ==');
  const d = load(
    ctx,
    arg('mnist-model', 'mnist-fp'),
    'bitbench train --dataset mnist --arch mnist-cnn --name mnist-fp',
  );
  if (!d) return;
  const epochs = Number(arg('epochs-mnist', '5'));
  const maxTrain = Number(arg('mnist-train', '10000'));
  const r = await lowbit(
    tf,
    backend,
    d,
    { method: 'universal-s1', weightBits: 1, epochs, batchSize: 64 },
    maxTrain,
  );
  const rep = r.report;
  console.log(
    `  float ${(100 * rep.float_accuracy).toFixed(2)} %, before rounding ${(100 * rep.accuracy_before_rounding).toFixed(2)} %, after rounding ${(100 * rep.accuracy_after_rounding).toFixed(2)} % → loss ${pts(rep.float_accuracy, rep.accuracy_after_rounding).toFixed(2)} points (seed: < 1); ${(100 * rep.near_fraction).toFixed(1)} % of weights within ε of ±α`,
  );
  console.log(
    `  ${epochs} epochs on ${Math.min(maxTrain, d.train.count)} training windows, ${rep.seconds.toFixed(0)} s on ${backend}; ${rep.integer_note ?? ''}\n`,
  );
}

async function har(tf: Tf, backend: string, ctx: AppContext): Promise<void> {
  console.log('== HAR har-cnn: QAT (LSQ) vs the best PTQ at the same weight bits (activations 8-bit) ==');
  const d = load(
    ctx,
    arg('har-model', 'har-fp'),
    'bitbench train --dataset har --arch har-cnn --name har-fp',
  );
  if (!d) return;
  const epochs = Number(arg('epochs-har', '5'));
  const maxTrain = Number(arg('har-train', '2000'));
  const testSet = { x: d.test.x, y: d.test.y, count: d.test.count, classes: d.test.classes };
  for (const bits of [2, 1]) {
    let bestPtq = { acc: 0, method: '' };
    for (const method of ['mse', 'mse+adaround+bias-correction', 'cle+mse+adaround+bias-correction']) {
      const config = resolveConfig(method, { weightBits: bits, actBits: 8, calibSize: 512, iterations: 500 });
      const res = await runPtq(
        tf,
        d.parent.spec,
        d.parent.weights,
        calibrationSet(d.train, 512, 1),
        512,
        config,
      );
      const acc = evaluatePtq(tf, res, testSet).integerAccuracy;
      if (acc > bestPtq.acc) bestPtq = { acc, method };
    }
    const q = await lowbit(
      tf,
      backend,
      d,
      { method: 'qat-lsq', weightBits: bits, actBits: 8, epochs, batchSize: 64, learningRate: 1e-3 },
      maxTrain,
    );
    const fl = q.report.float_accuracy;
    console.log(
      `  W${bits}A8: float ${(100 * fl).toFixed(2)} %, best PTQ (${bestPtq.method}) ${(100 * bestPtq.acc).toFixed(2)} %, QAT-LSQ integer ${(100 * (q.report.accuracy ?? 0)).toFixed(2)} % (${epochs} epochs on ${Math.min(maxTrain, d.train.count)} windows, ${q.report.seconds.toFixed(0)} s) → QAT ${q.report.accuracy !== null && q.report.accuracy > bestPtq.acc ? 'better' : 'NOT better'}`,
    );
  }
  console.log('');
}

async function main(): Promise<void> {
  const ctx = createAppContext({ dbPath: resolveDbPath(arg('db', '')), shell: 'cli' });
  try {
    const { tf, backend } = await loadTf();
    const only = arg('only', 'gesture,mnist,har').split(',');
    console.log(`low-bit bench on ${backend}\n`);
    if (only.includes('gesture')) await gesture(tf, backend, ctx, Number(arg('seeds', '5')));
    if (only.includes('mnist')) await mnist(tf, backend, ctx);
    if (only.includes('har')) await har(tf, backend, ctx);
  } finally {
    await ctx.close();
  }
}

void main();
