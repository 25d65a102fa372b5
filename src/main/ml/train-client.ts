import type { Worker } from 'node:worker_threads';
import type { TfBackendName } from '../../shared/api/status';
import { BitbenchError, ErrorCode } from '../../shared/errors';
import { spawnWorkerEntry } from '../jobs/worker-entry';
import type { EpochMetrics } from '../../shared/model/training';
import type { StartMessage, WorkerMessage } from './train-protocol';
import type { BatchTick, TrainInput, TrainOutput } from './trainer';

/** Starts the training worker (train-worker.ts beside this module; see spawnWorkerEntry). */
export function spawnTrainWorker(): Worker {
  const here = import.meta.url;
  return spawnWorkerEntry(here, 'train-worker');
}

export interface RunTrainingOptions {
  backend?: TfBackendName | undefined;
  signal?: AbortSignal | undefined;
  onReady?(backend: TfBackendName, note: string): void;
  onBatch?(tick: BatchTick, elapsedSeconds: number): void;
  onEpoch?(m: EpochMetrics): void;
  /** See StartMessage.crashAfterBatches (tests only). */
  crashAfterBatches?: number | undefined;
  /** After a cancel, how long to wait for the worker to stop by itself before terminating it. */
  cancelGraceMs?: number;
}

export interface RunTrainingResult {
  output: TrainOutput;
  backend: TfBackendName;
  note: string;
}

/**
 * Trains in a worker_thread. Resolves with the worker's result (with `output.cancelled` when
 * the signal fired: the worker stops after the current batch). Rejects with the worker's own
 * error (refusal, divergence) or, when the worker dies, with a `internal` error saying it
 * crashed and how — never silently.
 */
export function runTrainingInWorker(
  input: TrainInput,
  opts: RunTrainingOptions = {},
): Promise<RunTrainingResult> {
  const worker = spawnTrainWorker();
  const stopFlag = new SharedArrayBuffer(4);
  const stop = new Int32Array(stopFlag);
  let backend: TfBackendName = 'cpu';
  let note = '';
  return new Promise<RunTrainingResult>((resolve, reject) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      fn();
      void worker.terminate();
    };
    const onAbort = () => {
      Atomics.store(stop, 0, 1);
      // A batch normally takes well under a second; a wedged worker is terminated.
      killTimer = setTimeout(() => {
        finish(() =>
          reject(new BitbenchError('cancelled', 'Cancelled by the user (the training worker was stopped).')),
        );
      }, opts.cancelGraceMs ?? 30_000);
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'ready':
          backend = m.backend;
          note = m.note;
          opts.onReady?.(m.backend, m.note);
          break;
        case 'batch':
          opts.onBatch?.(m.tick, m.elapsedSeconds);
          break;
        case 'epoch':
          opts.onEpoch?.(m.metrics);
          break;
        case 'done':
          finish(() => resolve({ output: m.output, backend, note }));
          break;
        case 'error': {
          const code = ErrorCode.safeParse(m.code);
          finish(() => reject(new BitbenchError(code.success ? code.data : 'internal', m.message)));
          break;
        }
      }
    });
    worker.on('error', (err) => {
      finish(() => reject(new BitbenchError('internal', `The training worker crashed: ${err.message}`)));
    });
    worker.on('exit', (code) => {
      finish(() =>
        reject(
          new BitbenchError(
            'internal',
            `The training worker exited unexpectedly (exit code ${code}) before finishing; no model was saved.`,
          ),
        ),
      );
    });
    const msg: StartMessage = {
      type: 'start',
      input,
      backend: opts.backend,
      stopFlag,
      crashAfterBatches: opts.crashAfterBatches,
    };
    worker.postMessage(msg);
  });
}
