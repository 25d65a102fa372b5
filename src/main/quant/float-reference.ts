import { samePadLeft, type PtqGraph, type PtqNode, type WeightedNode } from './ptq-graph';

/**
 * A plain-TypeScript float forward pass of a PTQ graph, one sample at a time, in float64. Slow and
 * simple on purpose: the oracle the tests hold BN folding, CLE and the TF.js forward to.
 */
function act(v: number, a: WeightedNode['activation']): number {
  if (a === 'relu') return v > 0 ? v : 0;
  if (a === 'relu6') return v < 0 ? 0 : v > 6 ? 6 : v;
  return v;
}

export function nodeForward(n: PtqNode, x: Float64Array, preActivation = false): Float64Array {
  switch (n.kind) {
    case 'conv1d': {
      const [len, cin] = n.inShape as [number, number];
      const [outLen, cout] = n.outShape as [number, number];
      const padL = n.padding === 'same' ? samePadLeft(len, n.kernelSize, n.strides) : 0;
      const y = new Float64Array(outLen * cout);
      for (let t = 0; t < outLen; t++) {
        for (let o = 0; o < cout; o++) {
          let s = n.bias[o]!;
          for (let j = 0; j < n.kernelSize; j++) {
            const ti = t * n.strides + j - padL;
            if (ti < 0 || ti >= len) continue;
            for (let c = 0; c < cin; c++) s += x[ti * cin + c]! * n.kernel[(j * cin + c) * cout + o]!;
          }
          y[t * cout + o] = preActivation ? s : act(s, n.activation);
        }
      }
      return y;
    }
    case 'dense': {
      const [fin, cout] = n.kernelShape as [number, number];
      const y = new Float64Array(cout);
      for (let o = 0; o < cout; o++) {
        let s = n.bias[o]!;
        for (let i = 0; i < fin; i++) s += x[i]! * n.kernel[i * cout + o]!;
        y[o] = preActivation ? s : act(s, n.activation);
      }
      return y;
    }
    case 'maxPool1d': {
      const [, c] = n.inShape as [number, number];
      const [outLen] = n.outShape as [number];
      const y = new Float64Array(outLen * c);
      for (let t = 0; t < outLen; t++)
        for (let ch = 0; ch < c; ch++) {
          let m = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < n.poolSize; j++) m = Math.max(m, x[(t * n.strides + j) * c + ch]!);
          y[t * c + ch] = m;
        }
      return y;
    }
    case 'flatten':
      return x;
  }
}

/** Logits of one sample (flat, channels-last) through the whole graph. */
export function floatReferenceForward(g: PtqGraph, sample: ArrayLike<number>): Float64Array {
  let x: Float64Array = Float64Array.from(sample);
  for (const n of g.nodes) x = nodeForward(n, x);
  return x;
}
