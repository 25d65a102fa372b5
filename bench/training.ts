/**
 * `npm run bench -- training [--db file] [--dataset har] [--backends wasm,cpu] [--epochs 1]
 *  [--cpu-windows 1024] [--mnist-images 4096]`
 *
 * Seconds per epoch of har-cnn (batch 32) on each available TensorFlow.js backend and the ratio
 * between them; training and inference samples/s; mnist-cnn training and inference images/s.
 * Each backend runs in its own child process (the loader picks one backend per process) with
 * our gradient kernels registered, exactly as training does. Wall and CPU seconds are both
 * printed, with the load average: the machine may be shared.
 *
 * Data: the HAR train split when the database has it (`bitbench datasets import uci-hapt
 * ../shared/datasets/uci-hapt --name har`), else 7,352 synthetic 128×9 windows (cost does
 * not depend on the values). Per-epoch times are also given scaled to UCI-HAR's 7,352 windows.
 * The cpu backend is slow: it trains on the first --cpu-windows windows and scales up.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createAppContext } from '../src/main/context';
import { loadDatasetTensors } from '../src/main/datasets/dataset-reader';
import { buildModel } from '../src/main/ml/model-builder';
import { loadTf } from '../src/main/ml/tf-loader';
import { train, type SplitData } from '../src/main/ml/trainer';
import { zooSpec } from '../src/main/ml/zoo';
import { resolveDbPath } from '../src/main/paths';
import { TrainOptionsSchema } from '../src/shared/model/training';

const UCI_HAR_TRAIN = 7352;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

interface ChildResult {
  backend: string;
  note: string;
  data: string;
  windows: number;
  epochSeconds: number;
  epochCpuSeconds: number;
  trainSamplesPerSec: number;
  inferSamplesPerSec: number;
  mnistTrainImagesPerSec: number;
  mnistInferImagesPerSec: number;
}

function synthetic(count: number, per: number, classes: number): SplitData {
  const x = new Float32Array(count * per);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return { x, y: Int32Array.from({ length: count }, (_, i) => i % classes), count };
}

function take(d: SplitData, n: number, per: number): SplitData {
  const count = Math.min(n, d.count);
  return { x: d.x.subarray(0, count * per), y: d.y.subarray(0, count), count };
}

async function inferRate(
  tf: Awaited<ReturnType<typeof loadTf>>['tf'],
  arch: string,
  data: SplitData,
  batch: number,
): Promise<number> {
  const spec = zooSpec(arch);
  const per = spec.inputShape.reduce((a, b) => a * b, 1);
  const model = buildModel(tf, spec, undefined, { seed: 1 });
  const run = (n: number) => {
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      tf.tidy(() =>
        (
          model.predict(
            tf.tensor(data.x.subarray(s * per, (s + m) * per), [m, ...spec.inputShape]),
          ) as import('@tensorflow/tfjs').Tensor
        ).dataSync(),
      );
    }
  };
  run(Math.min(batch, data.count)); // warm-up
  const t0 = performance.now();
  run(data.count);
  const sec = (performance.now() - t0) / 1000;
  model.dispose();
  return data.count / sec;
}

async function child(): Promise<void> {
  const { tf, backend, note } = await loadTf();
  const dbPath = arg('db', '');
  let har: SplitData;
  let dataName = `${UCI_HAR_TRAIN} synthetic 128×9 windows`;
  try {
    const ctx = createAppContext({ dbPath: resolveDbPath(dbPath), shell: 'cli' });
    const t = loadDatasetTensors(ctx.db, arg('dataset', 'har'), 'train');
    await ctx.close();
    if (t.shape.join('x') !== '128x9') throw new Error('not HAR windows');
    har = { x: t.x, y: t.y, count: t.count };
    dataName = `${arg('dataset', 'har')} train split (${t.count} windows)`;
  } catch {
    har = synthetic(UCI_HAR_TRAIN, 128 * 9, 6);
  }
  const cap = backend === 'cpu' ? Number(arg('cpu-windows', '1024')) : Infinity;
  const data = take(har, cap, 128 * 9);
  const epochs = Number(arg('epochs', '1'));
  const options = TrainOptionsSchema.parse({ epochs, batchSize: 32, seed: 1 });
  const spec = zooSpec('har-cnn');
  // CPU time of the epochs only (train() also evaluates the splits at the end).
  const c0 = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  const out = await train(
    tf,
    { spec, windowShape: [128, 9], classes: ['0', '1', '2', '3', '4', '5'], train: data, options },
    { onEpoch: () => (cpu = process.cpuUsage(c0)) },
  );
  const epochSeconds = out.curves.reduce((a, c) => a + c.seconds, 0) / out.curves.length;
  const infer = await inferRate(tf, 'har-cnn', take(har, backend === 'cpu' ? 1024 : 4096, 128 * 9), 256);
  const nMnist = Math.min(Number(arg('mnist-images', '4096')), backend === 'cpu' ? 512 : Infinity);
  const mnist = synthetic(nMnist, 28 * 28, 10);
  const m = await train(tf, {
    spec: zooSpec('mnist-cnn'),
    windowShape: [28, 28, 1],
    classes: Array.from({ length: 10 }, (_, i) => String(i)),
    train: mnist,
    options: TrainOptionsSchema.parse({ epochs: 1, batchSize: 32, seed: 1 }),
  });
  const mnistInfer = await inferRate(
    tf,
    'mnist-cnn',
    synthetic(backend === 'cpu' ? 1024 : 10000, 28 * 28, 10),
    256,
  );
  const result: ChildResult = {
    backend,
    note,
    data: dataName,
    windows: data.count,
    epochSeconds,
    epochCpuSeconds: (cpu.user + cpu.system) / 1e6 / epochs,
    trainSamplesPerSec: data.count / epochSeconds,
    inferSamplesPerSec: infer,
    mnistTrainImagesPerSec: nMnist / m.curves[0]!.seconds,
    mnistInferImagesPerSec: mnistInfer,
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child();
  const backends = arg('backends', 'tensorflow,wasm,cpu').split(',');
  const results: ChildResult[] = [];
  console.log(
    `training bench — ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  for (const b of backends) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...process.argv.slice(2)],
      {
        env: { ...process.env, BITBENCH_TF_BACKEND: b },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (!line) {
      console.log(
        `${b}: failed (${(r.stderr || '').split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.status}`})`,
      );
      continue;
    }
    const res = JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildResult;
    if (res.backend !== b) {
      console.log(`${b}: not available here (${res.note}); skipped`);
      continue;
    }
    results.push(res);
  }
  if (results.length === 0) return;
  console.log(`har-cnn on ${results[0]!.data}, batch 32:`);
  console.log(
    'backend  windows  s/epoch  s/epoch@7352  cpu-s/epoch@7352  train win/s  infer win/s  mnist train img/s  mnist infer img/s',
  );
  for (const r of results) {
    const scale = UCI_HAR_TRAIN / r.windows;
    console.log(
      `${r.backend.padEnd(8)} ${String(r.windows).padStart(7)}  ${r.epochSeconds.toFixed(2).padStart(7)}  ${(r.epochSeconds * scale).toFixed(2).padStart(12)}  ${(r.epochCpuSeconds * scale).toFixed(2).padStart(16)}  ${r.trainSamplesPerSec.toFixed(0).padStart(11)}  ${r.inferSamplesPerSec.toFixed(0).padStart(11)}  ${r.mnistTrainImagesPerSec.toFixed(0).padStart(17)}  ${r.mnistInferImagesPerSec.toFixed(0).padStart(17)}`,
    );
  }
  const base = results.find((r) => r.backend === 'wasm') ?? results[0]!;
  for (const r of results)
    if (r !== base)
      console.log(
        `ratio ${r.backend}/${base.backend}: training ${(base.trainSamplesPerSec / r.trainSamplesPerSec).toFixed(2)}× slower, inference ${(base.inferSamplesPerSec / r.inferSamplesPerSec).toFixed(2)}× slower`,
      );
  const wasm = results.find((r) => r.backend === 'wasm');
  if (wasm)
    console.log(
      `target: har-cnn epoch (7,352 windows) ≤ 15 s on wasm — measured ${(wasm.epochSeconds * (UCI_HAR_TRAIN / wasm.windows)).toFixed(1)} s wall, ${(wasm.epochCpuSeconds * (UCI_HAR_TRAIN / wasm.windows)).toFixed(1)} s CPU (load ${os.loadavg()[0]!.toFixed(2)})`,
    );
}

void main();
