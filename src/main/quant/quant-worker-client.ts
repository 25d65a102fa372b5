import { BitbenchError, ErrorCode } from '../../shared/errors';
import { spawnWorkerEntry } from '../jobs/worker-entry';
import type { QuantWorkerMessage, QuantWorkerRequest } from './quant-worker';

/**
 * Runs one request in the quantization worker (quant-worker.ts beside this module; see
 * spawnWorkerEntry). Cancelling (the signal) terminates the thread: no job it runs holds state worth
 * saving, and the float model is never written. A worker that dies without answering is reported,
 * never ignored.
 */
export function runInQuantWorker<T>(
  req: QuantWorkerRequest,
  opts: { signal?: AbortSignal; onMessage?: (m: QuantWorkerMessage) => void },
  pick: (m: QuantWorkerMessage) => T | undefined,
): Promise<T> {
  const here = import.meta.url;
  const worker = spawnWorkerEntry(here, 'quant-worker');
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new BitbenchError('cancelled', 'Cancelled by the user.')));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: QuantWorkerMessage) => {
      if (m.type === 'error') {
        const code = ErrorCode.safeParse(m.code);
        return finish(() => reject(new BitbenchError(code.success ? code.data : 'internal', m.message)));
      }
      const value = pick(m);
      if (value !== undefined) return finish(() => resolve(value));
      opts.onMessage?.(m);
    });
    worker.on('error', (err) =>
      finish(() => reject(new BitbenchError('internal', `The quantization worker crashed: ${err.message}`))),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new BitbenchError('internal', `The quantization worker exited (code ${code}) without a result.`),
        ),
      ),
    );
    worker.postMessage(req);
  });
}
