import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BitbenchError, ErrorCode } from '../../shared/errors';
import type { QuantWorkerMessage, QuantWorkerRequest } from './quant-worker';

/**
 * Runs one request in the quantization worker. From the sources (tests, tsx) the worker is the .ts file
 * through tsx; in the build every main chunk lands flat in out/main/, so quant-worker.js is a
 * sibling. Cancelling (the signal) terminates the thread: training holds no state worth saving and the
 * float model is never written. A worker that dies without answering is reported, never ignored.
 */
function spawnQuantWorker(): Worker {
  const here = import.meta.url;
  const ts = new URL('./quant-worker.ts', here);
  if (here.endsWith('.ts') && existsSync(fileURLToPath(ts))) {
    // As in ml/train-client.ts: on Node 20, `execArgv: ['--import', 'tsx']` does not reach a worker's
    // entry module, so a small eval bootstrap loads it through tsx's tsImport.
    const boot = `import('tsx/esm/api').then((api) => api.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(here)}))`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL('./quant-worker.js', here));
}

export function runInQuantWorker<T>(
  req: QuantWorkerRequest,
  opts: { signal?: AbortSignal; onMessage?: (m: QuantWorkerMessage) => void },
  pick: (m: QuantWorkerMessage) => T | undefined,
): Promise<T> {
  const worker = spawnQuantWorker();
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
