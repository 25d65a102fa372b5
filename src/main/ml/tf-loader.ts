import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfType from '@tensorflow/tfjs';
import type { TfBackendName } from '../../shared/api/status';
import { registerGradKernels } from './grad-kernels';

export type Tf = typeof TfType;

export interface LoadedTf {
  tf: Tf;
  backend: TfBackendName;
  /** Why this backend: what was tried and failed before it. */
  note: string;
}

const requireCjs = createRequire(import.meta.url);
let loading: Promise<LoadedTf> | undefined;

/** Hooks run once after the wasm backend is ready (e.g. registering our own gradient kernels). */
const wasmSetupHooks: Array<(tf: Tf) => void> = [];
export function onWasmBackendReady(hook: (tf: Tf) => void): void {
  wasmSetupHooks.push(hook);
}

async function tryTfjsNode(): Promise<LoadedTf | string> {
  try {
    // tfjs-node is not a dependency (its install downloads libtensorflow); used when the user installed it.
    const tf = requireCjs('@tensorflow/tfjs-node') as Tf;
    await tf.ready();
    return { tf, backend: 'tensorflow', note: 'tfjs-node (libtensorflow) found' };
  } catch (err) {
    return `tfjs-node unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}

async function tryWasm(tf: Tf): Promise<true | string> {
  try {
    const wasm =
      (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(requireCjs.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) return 'wasm backend failed to initialise';
    await tf.ready();
    // The wasm backend lacks Conv2DBackpropFilter and the depthwise gradients, and its
    // Conv2DBackpropInput / transposed matMul are slow loops: ours make training work and fast.
    registerGradKernels(tf, 'wasm');
    for (const hook of wasmSetupHooks) hook(tf);
    return true;
  } catch (err) {
    return `wasm unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}

async function load(preferred?: TfBackendName): Promise<LoadedTf> {
  const notes: string[] = [];
  if (preferred === undefined || preferred === 'tensorflow') {
    const node = await tryTfjsNode();
    if (typeof node !== 'string') return node;
    notes.push(node);
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  if (preferred === undefined || preferred === 'wasm') {
    const ok = await tryWasm(tf);
    if (ok === true)
      return {
        tf,
        backend: 'wasm',
        note: notes.concat('using wasm (with bitbench gradient kernels)').join('; '),
      };
    notes.push(ok);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend's conv weight gradient is a per-element loop (~50 min per har-cnn epoch).
  registerGradKernels(tf, 'cpu');
  return { tf, backend: 'cpu', note: notes.concat('using cpu (with bitbench gradient kernels)').join('; ') };
}

/**
 * Returns TensorFlow.js with the best backend available: tfjs-node if it loads, else wasm,
 * else cpu. `BITBENCH_TF_BACKEND` forces one (tests and benchmarks compare backends).
 */
export function loadTf(): Promise<LoadedTf> {
  const env = process.env.BITBENCH_TF_BACKEND;
  const forced = env === 'tensorflow' || env === 'wasm' || env === 'cpu' ? env : undefined;
  loading ??= load(forced);
  return loading;
}

/** The backend picked so far, without loading TensorFlow.js. */
export async function loadedBackend(): Promise<LoadedTf | undefined> {
  return loading;
}
