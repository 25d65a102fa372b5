// Thinning a stored session for plotting: min/max per bucket keeps spikes visible, unlike taking
// every k-th sample, and bounds the points sent to the UI whatever the session's length.

export interface Decimated {
  /** Sample index of each point (two per bucket when thinned: the bucket's start and middle). */
  index: number[];
  /** Per channel, the values at `index`. */
  channels: number[][];
  /** Samples per bucket (1 = every sample). */
  bucket: number;
}

/**
 * `data` is interleaved by sample; returns at most `maxPoints` points per channel (rounded down to
 * an even number when thinned). Each bucket gives two points, at its start and its middle (all
 * channels share x values: uPlot wants one x array); per channel they hold the bucket's min and
 * max, in the order they occurred, so the plot draws the full envelope and follows the signal.
 */
export function decimateMinMax(
  data: Float32Array,
  nChannels: number,
  firstIndex: number,
  maxPoints: number,
): Decimated {
  const n = Math.floor(data.length / nChannels);
  const channels: number[][] = Array.from({ length: nChannels }, () => []);
  const index: number[] = [];
  if (n <= maxPoints) {
    for (let s = 0; s < n; s++) {
      index.push(firstIndex + s);
      for (let c = 0; c < nChannels; c++) channels[c]!.push(data[s * nChannels + c]!);
    }
    return { index, channels, bucket: 1 };
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const bucket = Math.ceil(n / buckets);
  const minV = new Float64Array(nChannels);
  const maxV = new Float64Array(nChannels);
  const minAt = new Int32Array(nChannels);
  const maxAt = new Int32Array(nChannels);
  for (let b = 0; b * bucket < n; b++) {
    const lo = b * bucket;
    const hi = Math.min(n, lo + bucket);
    minV.fill(Infinity);
    maxV.fill(-Infinity);
    for (let s = lo; s < hi; s++) {
      for (let c = 0; c < nChannels; c++) {
        const v = data[s * nChannels + c]!;
        if (v < minV[c]!) {
          minV[c] = v;
          minAt[c] = s;
        }
        if (v > maxV[c]!) {
          maxV[c] = v;
          maxAt[c] = s;
        }
      }
    }
    const mid = Math.floor((lo + hi - 1) / 2);
    index.push(firstIndex + lo, firstIndex + Math.max(mid, lo));
    // Per channel, whichever extreme came first is drawn first, so the line follows the signal.
    for (let c = 0; c < nChannels; c++) {
      if (minAt[c]! <= maxAt[c]!) channels[c]!.push(minV[c]!, maxV[c]!);
      else channels[c]!.push(maxV[c]!, minV[c]!);
    }
  }
  return { index, channels, bucket };
}
