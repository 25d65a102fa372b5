import {
  tensorBytes,
  unpackWeight,
  type BlobLayer,
  type BlobWeightSet,
  type ParsedBlob,
} from '../../shared/engine/blob-format';
import { clampInt, requantToInt8, requantize, sigmoidQ15, tanhQ15 } from './int-math';

/**
 * The host integer reference: runs a parsed blob with integer arithmetic only, exactly as
 * docs/integer-arithmetic.md specifies and as the firmware kernels compute. It reads the packed
 * weights out of the blob itself, so it checks the packing as much as the arithmetic.
 */
export interface ReferenceResult {
  /** Final output tensor (int8 logits for a classifier). */
  output: Int8Array;
  /** Output tensor of every layer, in layer order (a flatten layer's equals its input). */
  layers: Int8Array[];
}

const unpacked = new WeakMap<BlobWeightSet, Int8Array>();

/** Weights of a set as int8 levels, [nRows][rowLen] (cached per parsed blob). */
export function unpackSet(s: BlobWeightSet, bits: number): Int8Array {
  let w = unpacked.get(s);
  if (!w) {
    w = new Int8Array(s.nRows * s.rowLen);
    for (let c = 0; c < s.nRows; c++) {
      for (let i = 0; i < s.rowLen; i++)
        w[c * s.rowLen + i] = unpackWeight(s.weights, c * s.rowStride, i, bits);
    }
    unpacked.set(s, w);
  }
  return w;
}

export function runReference(blob: ParsedBlob, input: Int8Array): ReferenceResult {
  const need = tensorBytes(blob.inShape);
  if (input.length !== need)
    throw new Error(`input has ${input.length} values; the model takes ${need} (${blob.inShape.join('×')})`);
  const layers: Int8Array[] = [];
  let x = input;
  for (const layer of blob.layers) {
    x = runLayer(layer, x);
    layers.push(x);
  }
  return { output: x, layers };
}

export function runLayer(l: BlobLayer, x: Int8Array): Int8Array {
  switch (l.op) {
    case 'conv2d':
      return conv2d(l, x);
    case 'depthwiseConv2d':
      return depthwise(l, x);
    case 'dense':
      return dense(l, x);
    case 'gru':
      return gru(l, x);
    case 'maxPool2d':
    case 'avgPool2d':
      return pool(l, x);
    case 'relu': {
      const out = new Int8Array(x.length);
      for (let i = 0; i < x.length; i++)
        out[i] = requantToInt8(x[i]! - l.inZp, l.a.mult[0]!, l.a.shift[0]!, l.outZp, l.actMin, l.actMax);
      return out;
    }
    case 'flatten':
      return x.slice();
  }
}

function conv2d(l: BlobLayer, x: Int8Array): Int8Array {
  const [ih, iw, ic] = l.inShape;
  const [oh, ow, oc] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.strides;
  const [pt, pl] = l.pad;
  const w = unpackSet(l.a, l.weightBits);
  const rowLen = l.a.rowLen;
  const out = new Int8Array(oh * ow * oc);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let c = 0; c < oc; c++) {
        let acc = l.a.bias[c]!;
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh - pt + ky;
          if (y < 0 || y >= ih) continue; // padded taps hold zp_in: w·(zp − zp) = 0
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw - pl + kx;
            if (xx < 0 || xx >= iw) continue;
            const xo = (y * iw + xx) * ic;
            const wo = c * rowLen + (ky * kw + kx) * ic;
            for (let i = 0; i < ic; i++) acc += w[wo + i]! * (x[xo + i]! - l.inZp);
          }
        }
        out[(oy * ow + ox) * oc + c] = requantToInt8(
          acc,
          l.a.mult[c]!,
          l.a.shift[c]!,
          l.outZp,
          l.actMin,
          l.actMax,
        );
      }
    }
  }
  return out;
}

function depthwise(l: BlobLayer, x: Int8Array): Int8Array {
  const [ih, iw, ch] = l.inShape;
  const [oh, ow] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.strides;
  const [pt, pl] = l.pad;
  const w = unpackSet(l.a, l.weightBits);
  const out = new Int8Array(oh * ow * ch);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let c = 0; c < ch; c++) {
        let acc = l.a.bias[c]!;
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh - pt + ky;
          if (y < 0 || y >= ih) continue;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw - pl + kx;
            if (xx < 0 || xx >= iw) continue;
            acc += w[c * kh * kw + ky * kw + kx]! * (x[(y * iw + xx) * ch + c]! - l.inZp);
          }
        }
        out[(oy * ow + ox) * ch + c] = requantToInt8(
          acc,
          l.a.mult[c]!,
          l.a.shift[c]!,
          l.outZp,
          l.actMin,
          l.actMax,
        );
      }
    }
  }
  return out;
}

function dense(l: BlobLayer, x: Int8Array): Int8Array {
  const n = l.a.rowLen;
  const w = unpackSet(l.a, l.weightBits);
  const out = new Int8Array(l.a.nRows);
  for (let c = 0; c < l.a.nRows; c++) {
    let acc = l.a.bias[c]!;
    for (let i = 0; i < n; i++) acc += w[c * n + i]! * (x[i]! - l.inZp);
    out[c] = requantToInt8(acc, l.a.mult[c]!, l.a.shift[c]!, l.outZp, l.actMin, l.actMax);
  }
  return out;
}

function pool(l: BlobLayer, x: Int8Array): Int8Array {
  const [, iw, ch] = l.inShape;
  const [oh, ow] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.strides;
  const isMax = l.op === 'maxPool2d';
  const out = new Int8Array(oh * ow * ch);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let c = 0; c < ch; c++) {
        let acc = isMax ? -128 : 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const v = x[((oy * sh + ky) * iw + ox * sw + kx) * ch + c]!;
            if (isMax) acc = v > acc ? v : acc;
            else acc += v - l.inZp;
          }
        }
        if (isMax) acc -= l.inZp;
        out[(oy * ow + ox) * ch + c] = requantToInt8(
          acc,
          l.a.mult[0]!,
          l.a.shift[0]!,
          l.outZp,
          l.actMin,
          l.actMax,
        );
      }
    }
  }
  return out;
}

/** GRU (reset_after, gates z, r, h), integer gates: docs/integer-arithmetic.md § GRU. */
function gru(l: BlobLayer, x: Int8Array): Int8Array {
  const a = l.a;
  const b = l.b!;
  const u = b.rowLen;
  const f = a.rowLen;
  const steps = l.inShape[1];
  const wa = unpackSet(a, l.weightBits);
  const wb = unpackSet(b, l.weightBits);
  const h = new Int8Array(u);
  const px = new Int32Array(3 * u);
  const ph = new Int32Array(3 * u);
  const out = new Int8Array(l.returnSequences ? steps * u : u);
  for (let t = 0; t < steps; t++) {
    for (let r = 0; r < 3 * u; r++) {
      let ax = a.bias[r]!;
      for (let i = 0; i < f; i++) ax += wa[r * f + i]! * (x[t * f + i]! - l.inZp);
      px[r] = clampInt(requantize(ax, a.mult[r]!, a.shift[r]!), -32768, 32767);
      let ah = b.bias[r]!;
      for (let j = 0; j < u; j++) ah += wb[r * u + j]! * h[j]!;
      ph[r] = clampInt(requantize(ah, b.mult[r]!, b.shift[r]!), -32768, 32767);
    }
    for (let j = 0; j < u; j++) {
      const z = sigmoidQ15(px[j]! + ph[j]!);
      const r = sigmoidQ15(px[u + j]! + ph[u + j]!);
      const hh = tanhQ15(px[2 * u + j]! + ((r * ph[2 * u + j]! + 16384) >> 15));
      const hq15 = (z * (h[j]! * 256) + (32768 - z) * hh + 16384) >> 15;
      h[j] = clampInt((hq15 + 128) >> 8, -128, 127);
    }
    if (l.returnSequences) out.set(h, t * u);
  }
  if (!l.returnSequences) out.set(h);
  return out;
}
