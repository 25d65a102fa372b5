import { sampleIndices } from '../quant/rng';

/** A split's windows as flat arrays: `count` windows of x.length / count values each, one label each. */
export interface Windows {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

/** The windows at `idx`, in that order. */
export function windowsAt(t: Windows, idx: readonly number[]): Windows {
  const per = t.x.length / Math.max(1, t.count);
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  idx.forEach((w, i) => {
    x.set(t.x.subarray(w * per, (w + 1) * per), i * per);
    y[i] = t.y[w]!;
  });
  return { x, y, count: idx.length };
}

/**
 * A seeded sample of `max` windows, drawn without replacement; with `max` 0, or at least the count,
 * all of them as they are. Training on part of a big split (`train --max-train`, low-bit training).
 */
export function sampleWindows(t: Windows, max: number, rand: () => number): Windows {
  if (max <= 0 || t.count <= max) return { x: t.x, y: t.y, count: t.count };
  return windowsAt(t, sampleIndices(t.count, max, rand));
}
