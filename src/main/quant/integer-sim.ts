import type { IntLayer, IntegerModel } from '../../shared/quant/integer-model';
import { BitbenchError } from '../../shared/errors';
import { clamp, roundHalfUp } from './affine-quantizer';
import { requantize } from './fixed-point';
import { samePadLeft } from './ptq-graph';

/**
 * Integer-exact simulation of an integer model for the layers of har-cnn (conv1d, max-pool, flatten,
 * dense, standalone ReLU), following docs/integer-arithmetic.md bit for bit:
 *   acc = bias[c] + Σ q_w·(q_in − zp_in)      (int32)
 *   r = (acc·multiplier + 2^(total−1)) >> total,  total = 31 − shift
 *   q_out = clamp(r + zp_out, actMin, actMax)
 * The PTQ pipeline's own oracle for "the integer evaluation gives the fake-quant predictions"; the
 * engine's host reference interpreter is the product's one once it exists.
 */

/** Host-side input quantisation: q = clamp(⌊x/s⌉ + zp, −128, 127). */
export function quantizeInput(model: IntegerModel, x: ArrayLike<number>): Int32Array {
  const q = new Int32Array(x.length);
  const { scale, zeroPoint } = model.input;
  for (let i = 0; i < x.length; i++) q[i] = clamp(roundHalfUp(x[i]! / scale) + zeroPoint, -128, 127);
  return q;
}

function runLayer(layer: IntLayer, q: Int32Array): Int32Array {
  switch (layer.op) {
    case 'conv1d': {
      const [len, cin] = layer.inShape as [number, number];
      const [outLen, cout] = layer.outShape as [number, number];
      const k = layer.kernelSize;
      const s = layer.strides;
      const zpIn = layer.input.zeroPoint;
      const zpOut = layer.output.zeroPoint;
      const padL = layer.padding === 'same' ? samePadLeft(len, k, s) : 0;
      const x = new Int32Array(q.length);
      for (let i = 0; i < q.length; i++) x[i] = q[i]! - zpIn;
      const w = Int32Array.from(layer.weights);
      const y = new Int32Array(outLen * cout);
      const rowLen = k * cin;
      for (let t = 0; t < outLen; t++) {
        const t0 = t * s - padL;
        const jLo = Math.max(0, -t0);
        const jHi = Math.min(k, len - t0);
        for (let o = 0; o < cout; o++) {
          let acc = layer.bias[o]!;
          const wBase = o * rowLen;
          for (let j = jLo; j < jHi; j++) {
            const xb = (t0 + j) * cin;
            const wb = wBase + j * cin;
            for (let c = 0; c < cin; c++) acc += w[wb + c]! * x[xb + c]!;
          }
          const r = requantize(acc, layer.requant.multiplier[o]!, layer.requant.shift[o]!);
          y[t * cout + o] = clamp(r + zpOut, layer.actMin, layer.actMax);
        }
      }
      return y;
    }
    case 'dense': {
      const fin = layer.inFeatures;
      const zpIn = layer.input.zeroPoint;
      const zpOut = layer.output.zeroPoint;
      const y = new Int32Array(layer.outFeatures);
      for (let o = 0; o < layer.outFeatures; o++) {
        let acc = layer.bias[o]!;
        const base = o * fin;
        for (let i = 0; i < fin; i++) acc += layer.weights[base + i]! * (q[i]! - zpIn);
        const r = requantize(acc, layer.requant.multiplier[o]!, layer.requant.shift[o]!);
        y[o] = clamp(r + zpOut, layer.actMin, layer.actMax);
      }
      return y;
    }
    case 'maxPool1d': {
      if (layer.input.scale !== layer.output.scale || layer.input.zeroPoint !== layer.output.zeroPoint)
        throw new BitbenchError('bad_request', `max-pool "${layer.name}" must keep its input's quantisation`);
      const [, c] = layer.inShape as [number, number];
      const [outLen] = layer.outShape as [number];
      const p = layer.poolSize[0]!;
      const s = layer.strides[0]!;
      const y = new Int32Array(outLen * c);
      for (let t = 0; t < outLen; t++)
        for (let ch = 0; ch < c; ch++) {
          let m = -128;
          for (let j = 0; j < p; j++) m = Math.max(m, q[(t * s + j) * c + ch]!);
          y[t * c + ch] = m;
        }
      return y;
    }
    case 'flatten':
      return q;
    case 'relu': {
      const y = new Int32Array(q.length);
      for (let i = 0; i < q.length; i++) y[i] = clamp(q[i]!, layer.actMin, layer.actMax);
      return y;
    }
    default:
      throw new BitbenchError(
        'bad_request',
        `The integer simulation does not run ${layer.op} layers ("${layer.name}")`,
      );
  }
}

/** Int8 logits of one sample. */
export function runIntegerModel(model: IntegerModel, sample: ArrayLike<number>): Int32Array {
  let q = quantizeInput(model, sample);
  for (const layer of model.layers) q = runLayer(layer, q);
  return q;
}

/** Argmax predictions (first maximum wins, as on the device) and int8 logits for a batch. */
export function integerPredict(
  model: IntegerModel,
  x: Float32Array,
  count: number,
  onProgress?: (done: number) => void,
): { predictions: Int32Array; logits: Int32Array } {
  const per = x.length / count;
  const k = model.numClasses;
  const predictions = new Int32Array(count);
  const logits = new Int32Array(count * k);
  for (let n = 0; n < count; n++) {
    const out = runIntegerModel(model, x.subarray(n * per, (n + 1) * per));
    let best = 0;
    for (let c = 0; c < k; c++) {
      logits[n * k + c] = out[c]!;
      if (out[c]! > out[best]!) best = c;
    }
    predictions[n] = best;
    if (onProgress && n % 256 === 255) onProgress(n + 1);
  }
  return { predictions, logits };
}

/** Real value of int8 logits. */
export function dequantizeLogits(model: IntegerModel, logits: Int32Array): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = model.output.scale * (logits[i]! - model.output.zeroPoint);
  return out;
}
