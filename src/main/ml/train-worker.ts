import { parentPort } from 'node:worker_threads';
import { BitbenchError } from '../../shared/errors';
import type { StartMessage, WorkerMessage } from './train-protocol';
import { loadTf } from './tf-loader';
import { train } from './trainer';

/**
 * The training worker (a worker_thread of the main process; built to out/main/train-worker.js).
 * Loads TensorFlow.js through the loader, trains, streams ticks, and posts the result or the
 * error. An uncaught failure ends the thread and the client reports it as a crash.
 */
const port = parentPort;
if (!port) throw new Error('train-worker must run as a worker_thread');

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const BATCH_TICK_MS = 100;

port.once('message', (msg: StartMessage) => {
  void run(msg);
});

async function run(msg: StartMessage): Promise<void> {
  try {
    if (msg.backend) process.env.BITBENCH_TF_BACKEND = msg.backend;
    const { tf, backend, note } = await loadTf();
    post({ type: 'ready', backend, note });
    const stop = new Int32Array(msg.stopFlag);
    const t0 = performance.now();
    let lastTick = 0;
    let batches = 0;
    const output = await train(tf, msg.input, {
      onBatch: (tick) => {
        batches++;
        if (msg.crashAfterBatches !== undefined && batches >= msg.crashAfterBatches) process.exit(70);
        const now = performance.now();
        if (now - lastTick >= BATCH_TICK_MS || tick.batch === tick.batches) {
          lastTick = now;
          post({ type: 'batch', tick, elapsedSeconds: (now - t0) / 1000 });
        }
      },
      onEpoch: (metrics) => post({ type: 'epoch', metrics }),
      shouldStop: () => Atomics.load(stop, 0) === 1,
    });
    post(
      { type: 'done', output },
      output.weights.map((w) => w.values.buffer as ArrayBuffer),
    );
  } catch (err) {
    const code = err instanceof BitbenchError ? err.code : 'internal';
    post({ type: 'error', code, message: err instanceof Error ? err.message : String(err) });
  }
}
