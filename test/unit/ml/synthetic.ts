import type { ModelSpec } from '../../../src/shared/model/spec';
import { parseCustomSpec } from '../../../src/main/ml/zoo';
import type { SplitData } from '../../../src/main/ml/trainer';

/**
 * A small learnable IMU-like set: windows of 32 samples × 3 channels; class c is a sinusoid of
 * frequency c+1 on channel c plus Gaussian-ish noise. Generated, deterministic.
 */
export function syntheticSplit(count: number, seed: number, classes = 3): SplitData {
  const T = 32;
  const C = 3;
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(count * T * C);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    y[i] = c;
    const phase = rand() * 2 * Math.PI;
    for (let t = 0; t < T; t++)
      for (let ch = 0; ch < C; ch++) {
        const signal = ch === c % C ? Math.sin((2 * Math.PI * (c + 1) * t) / T + phase) : 0;
        x[(i * T + t) * C + ch] = signal + (rand() + rand() + rand() - 1.5) * 0.6;
      }
  }
  return { x, y, count };
}

export const smallSpec: ModelSpec = parseCustomSpec({
  arch: 'custom',
  inputShape: [32, 3],
  numClasses: 3,
  layers: [
    { type: 'conv1d', name: 'conv', filters: 8, kernelSize: 5, activation: 'relu' },
    { type: 'maxPool1d', name: 'pool', poolSize: 2 },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'fc', units: 3 },
  ],
});
