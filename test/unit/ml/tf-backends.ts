import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * Test helper: TensorFlow.js with both the cpu and the wasm backend ready in one process, so a
 * test can run the same computation on each and compare. Our gradient kernels are registered
 * on wasm only; cpu keeps its own kernels (the reference).
 */
const require = createRequire(import.meta.url);
let ready: Promise<typeof tf> | undefined;

export function tfWithBothBackends(): Promise<typeof tf> {
  ready ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
    await tf.ready();
    const { registerGradKernels } = await import('../../../src/main/ml/grad-kernels');
    registerGradKernels(tf, 'wasm');
    await tf.setBackend('cpu');
    return tf;
  })();
  return ready;
}

/** Runs `fn` on `backend` and returns plain arrays (so results from both backends compare). */
export async function on<T>(backend: 'cpu' | 'wasm', fn: () => T): Promise<T> {
  const t = await tfWithBothBackends();
  await t.setBackend(backend);
  return fn();
}

export function seededArray(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
