import { parentPort } from 'node:worker_threads';
import type { EpochReport, SensitivityReport } from '../../shared/api/lowbit';
import { BitbenchError } from '../../shared/errors';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import { loadTf } from '../ml/tf-loader';
import type { TrainData } from './lowbit-trainer';
import { runLowBit, type LowBitRunInput, type LowBitRunOutput } from './lowbit-run';
import { runSensitivity, type SensitivityOptions } from './sensitivity/sensitivity';

/**
 * The low-bit worker (a worker_thread; built to out/main/lowbit-worker.js): QAT / universal training
 * and the layer sensitivity sweep, off the main thread. Cancel = the main side terminates the thread.
 */
export type LowBitWorkerRequest =
  | { kind: 'train'; input: Omit<LowBitRunInput, 'backend'> }
  | {
      kind: 'sensitivity';
      model: string;
      spec: ModelSpec;
      weights: NamedWeight[];
      train: TrainData;
      evalSet: TrainData;
      opts: SensitivityOptions;
    };

export type LowBitWorkerMessage =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'epoch'; epoch: EpochReport }
  | { type: 'train-done'; output: LowBitRunOutput }
  | { type: 'sensitivity-done'; report: SensitivityReport }
  | { type: 'error'; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('lowbit-worker must run as a worker_thread');
const post = (m: LowBitWorkerMessage) => port.postMessage(m);

port.once('message', (req: LowBitWorkerRequest) => {
  void run(req);
});

async function run(req: LowBitWorkerRequest): Promise<void> {
  try {
    const { tf, backend } = await loadTf();
    if (req.kind === 'train') {
      const output = await runLowBit(
        tf,
        { ...req.input, backend },
        {
          onEpoch: (epoch) => post({ type: 'epoch', epoch }),
          onProgress: (fraction, message) => post({ type: 'progress', fraction, message }),
        },
      );
      post({ type: 'train-done', output });
    } else {
      const report = runSensitivity(
        tf,
        req.model,
        req.spec,
        req.weights,
        req.train,
        req.evalSet,
        req.opts,
        (fraction, message) => post({ type: 'progress', fraction, message }),
      );
      post({ type: 'sensitivity-done', report });
    }
  } catch (err) {
    post({
      type: 'error',
      code: err instanceof BitbenchError ? err.code : 'internal',
      message: err instanceof Error ? err.message : String(err),
    });
  }
}
