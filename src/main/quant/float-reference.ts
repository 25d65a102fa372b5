import {
  samePadLeft,
  type GruNode,
  type PoolNode,
  type PtqGraph,
  type PtqNode,
  type WeightedNode,
} from './ptq-graph';

/**
 * A plain-TypeScript float forward pass of a PTQ graph, one sample at a time, in float64. Slow and
 * simple on purpose: the oracle the tests hold BN folding, CLE and the TF.js forward to.
 */
function act(v: number, a: WeightedNode['activation']): number {
  if (a === 'relu') return v > 0 ? v : 0;
  if (a === 'relu6') return v < 0 ? 0 : v > 6 ? 6 : v;
  return v;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Any conv (1-D as h = 1; depthwise with one [kh·kw] filter per channel), TF 'same' padding with zeros. */
function convForward(n: WeightedNode, x: Float64Array, preActivation: boolean): Float64Array {
  const is1d = n.kind === 'conv1d' || n.kind === 'depthwiseConv1d';
  const [ih, iw, cin] = (is1d ? [1, ...n.inShape] : n.inShape) as [number, number, number];
  const [oh, ow, cout] = (is1d ? [1, ...n.outShape] : n.outShape) as [number, number, number];
  const [kh, kw] = n.kernelHW;
  const [sh, sw] = n.stridesHW;
  const same = n.padding === 'same';
  const pt = same ? samePadLeft(ih, kh, sh) : 0;
  const pl = same ? samePadLeft(iw, kw, sw) : 0;
  const depthwise = n.kind === 'depthwiseConv1d' || n.kind === 'depthwiseConv2d';
  const y = new Float64Array(oh * ow * cout);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let o = 0; o < cout; o++) {
        let s = n.bias[o]!;
        for (let ky = 0; ky < kh; ky++) {
          const yy = oy * sh + ky - pt;
          if (yy < 0 || yy >= ih) continue;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw + kx - pl;
            if (xx < 0 || xx >= iw) continue;
            const xb = (yy * iw + xx) * cin;
            if (depthwise) s += x[xb + o]! * n.kernel[(ky * kw + kx) * cout + o]!;
            else
              for (let c = 0; c < cin; c++)
                s += x[xb + c]! * n.kernel[((ky * kw + kx) * cin + c) * cout + o]!;
          }
        }
        y[(oy * ow + ox) * cout + o] = preActivation ? s : act(s, n.activation);
      }
  return y;
}

function poolForward(n: PoolNode, x: Float64Array): Float64Array {
  const is1d = n.kind === 'maxPool1d' || n.kind === 'avgPool1d';
  const [, iw, c] = (is1d ? [1, ...n.inShape] : n.inShape) as [number, number, number];
  const [oh, ow] = (is1d ? [1, ...n.outShape] : n.outShape) as [number, number, number];
  const [kh, kw] = n.poolHW;
  const [sh, sw] = n.stridesHW;
  const isMax = n.kind === 'maxPool1d' || n.kind === 'maxPool2d';
  const y = new Float64Array(oh * ow * c);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let ch = 0; ch < c; ch++) {
        let m = isMax ? Number.NEGATIVE_INFINITY : 0;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const v = x[((oy * sh + ky) * iw + ox * sw + kx) * c + ch]!;
            m = isMax ? Math.max(m, v) : m + v;
          }
        y[(oy * ow + ox) * c + ch] = isMax ? m : m / (kh * kw);
      }
  return y;
}

/** GRU, reset_after (src/shared/model/spec.ts): z, r = σ(xW + b + hU + b'), h̃ = tanh(x_h + r ⊙ h_h). */
function gruForward(n: GruNode, x: Float64Array): Float64Array {
  const u = n.units;
  const [t, f] = n.inShape as [number, number];
  const h = new Float64Array(u);
  const out = new Float64Array(n.returnSequences ? t * u : u);
  const gx = new Float64Array(3 * u);
  const gh = new Float64Array(3 * u);
  for (let s = 0; s < t; s++) {
    for (let r = 0; r < 3 * u; r++) {
      let a = n.bias[r]!;
      for (let i = 0; i < f; i++) a += x[s * f + i]! * n.kernel[i * 3 * u + r]!;
      gx[r] = a;
      let b = n.recurrentBias[r]!;
      for (let k = 0; k < u; k++) b += h[k]! * n.recurrentKernel[k * 3 * u + r]!;
      gh[r] = b;
    }
    for (let j = 0; j < u; j++) {
      const z = sigmoid(gx[j]! + gh[j]!);
      const r = sigmoid(gx[u + j]! + gh[u + j]!);
      const hh = Math.tanh(gx[2 * u + j]! + r * gh[2 * u + j]!);
      h[j] = z * h[j]! + (1 - z) * hh;
    }
    if (n.returnSequences) out.set(h, s * u);
  }
  if (!n.returnSequences) out.set(h);
  return out;
}

export function nodeForward(n: PtqNode, x: Float64Array, preActivation = false): Float64Array {
  switch (n.kind) {
    case 'conv1d':
    case 'conv2d':
    case 'depthwiseConv1d':
    case 'depthwiseConv2d':
      return convForward(n, x, preActivation);
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
    case 'gru':
      return gruForward(n, x);
    case 'flatten':
      return x;
    default:
      return poolForward(n, x);
  }
}

/** Logits of one sample (flat, channels-last) through the whole graph. */
export function floatReferenceForward(g: PtqGraph, sample: ArrayLike<number>): Float64Array {
  let x: Float64Array = Float64Array.from(sample);
  for (const n of g.nodes) x = nodeForward(n, x);
  return x;
}
