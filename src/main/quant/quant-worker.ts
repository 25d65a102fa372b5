import { parentPort } from 'node:worker_threads';
import type { JobStage } from '../../shared/api/jobs';
import type { EpochReport, SensitivityReport } from '../../shared/api/lowbit';
import type { FakeQuantSettings, PtqReport } from '../../shared/api/quant';
import type { IntegerModel } from '../../shared/quant/integer-model';
import { BitbenchError } from '../../shared/errors';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import { loadTf } from '../ml/tf-loader';
import type { TrainData } from './lowbit-trainer';
import { runLowBit, type LowBitRunInput, type LowBitRunOutput } from './lowbit-run';
import { quantizeAndEvaluate, type PtqRunInput } from './ptq-run';
import { runSensitivity, type SensitivityOptions } from './sensitivity/sensitivity';

/**
 * The quantization worker (a worker_thread; built to out/main/quant-worker.js): PTQ with its
 * evaluation, QAT / universal training and the layer sensitivity sweep, off the main thread, so the
 * main process keeps answering the UI (job progress, other requests) while they compute. The
 * database stays on the main side: the worker gets arrays and returns what is to be stored.
 * Cancel = the main side terminates the thread.
 */
export type QuantWorkerRequest =
  | { kind: 'ptq'; input: PtqRunInput }
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

export type QuantWorkerMessage =
  | { type: 'progress'; fraction: number; message: string; stages?: readonly JobStage[] }
  | { type: 'epoch'; epoch: EpochReport }
  | { type: 'ptq-done'; report: PtqReport; settings: FakeQuantSettings; integerModel: IntegerModel }
  | { type: 'train-done'; output: LowBitRunOutput }
  | { type: 'sensitivity-done'; report: SensitivityReport }
  | { type: 'error'; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('quant-worker must run as a worker_thread');
const post = (m: QuantWorkerMessage) => port.postMessage(m);

port.once('message', (req: QuantWorkerRequest) => {
  void run(req);
});

async function run(req: QuantWorkerRequest): Promise<void> {
  try {
    const { tf, backend } = await loadTf();
    const onProgress = (fraction: number, message: string, stages?: readonly JobStage[]) =>
      post({ type: 'progress', fraction, message, ...(stages ? { stages } : {}) });
    if (req.kind === 'ptq') {
      const out = await quantizeAndEvaluate(tf, backend, req.input, onProgress);
      post({ type: 'ptq-done', ...out });
    } else if (req.kind === 'train') {
      const output = await runLowBit(
        tf,
        { ...req.input, backend },
        {
          onEpoch: (epoch) => post({ type: 'epoch', epoch }),
          onProgress,
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
        onProgress,
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
