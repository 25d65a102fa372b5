import type { TfBackendName } from '../../shared/api/status';
import type { EpochMetrics } from '../../shared/model/training';
import type { BatchTick, TrainInput, TrainOutput } from './trainer';

/**
 * Messages between the main process and the training worker (both sides are ours; typed
 * arrays travel as transferables). The stop flag is a SharedArrayBuffer Int32 the worker reads
 * after every batch, so a cancel lands within one batch even while the worker is busy.
 */
export interface StartMessage {
  type: 'start';
  input: TrainInput;
  /** Forces a backend in the worker (else the loader's choice / BITBENCH_TF_BACKEND). */
  backend?: TfBackendName | undefined;
  stopFlag: SharedArrayBuffer;
  /**
   * Test hook: the worker process exits abruptly (exit code 70) after this many batches, as a
   * real crash would. Only used by the crash-reporting test.
   */
  crashAfterBatches?: number | undefined;
}

export type WorkerMessage =
  | { type: 'ready'; backend: TfBackendName; note: string }
  | { type: 'batch'; tick: BatchTick; elapsedSeconds: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'done'; output: TrainOutput }
  | { type: 'error'; code: string; message: string };
