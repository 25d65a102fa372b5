import { GruExtraSchema, type GruExtra } from '../../shared/engine/blob-format';
import { inputLevelsOf, type IntLayer, type IntegerModel } from '../../shared/quant/integer-model';
import { BitbenchError } from '../../shared/errors';
import {
  IDENTITY_REQUANT,
  quantizeMultiplier as engineMultiplier,
  requantize as engineRequantize,
  sigmoidQ15,
  tanhQ15,
} from '../engine/int-math';
import { clamp, roundHalfUp } from './affine-quantizer';
import { requantize } from './fixed-point';
import { samePadLeft } from './ptq-graph';

/**
 * Integer-exact simulation of an integer model (conv1d/2d, depthwise, dense, GRU, max/avg pools,
 * flatten, standalone ReLU), following docs/integer-arithmetic.md bit for bit on the *unpacked*
 * integer model:
 *   acc = bias[c] + Σ q_w·(q_in − zp_in)      (int32)
 *   r = (acc·multiplier + 2^(total−1)) >> total,  total = 31 − shift
 *   q_out = clamp(r + zp_out, actMin, actMax)
 * The PTQ pipeline's own oracle, cross-checked against the engine's host reference, which runs the
 * packed device blob. The GRU's gates and the pools' multipliers use the engine's own primitives
 * (src/main/engine/int-math.ts: the Q15 tanh/sigmoid table, quantizeMultiplier) so there is one
 * definition of that arithmetic; the loops around them are written here from the spec.
 */
export type GruIntLayer = Extract<IntLayer, { op: 'gru' }>;
export type PoolIntLayer = Extract<IntLayer, { op: 'maxPool1d' | 'avgPool1d' | 'maxPool2d' | 'avgPool2d' }>;

/** Host-side input quantisation: q = clamp(⌊x/s⌉ + zp, lo, hi), lo…hi the input's levels (int8 by default). */
export function quantizeInput(model: IntegerModel, x: ArrayLike<number>): Int32Array {
  const q = new Int32Array(x.length);
  const { scale, zeroPoint } = model.input;
  const { min: lo, max: hi } = inputLevelsOf(model);
  for (let i = 0; i < x.length; i++) q[i] = clamp(roundHalfUp(x[i]! / scale) + zeroPoint, lo, hi);
  return q;
}

/**
 * Convolution of [h, w, cin] → [oh, ow, cout] (1-D: h = kh = 1), or depthwise (cout = cin, one
 * [kh·kw] row per channel). 'same' padding pads with zp_in, so padded taps add nothing.
 */
function convLevels(
  layer: Extract<IntLayer, { op: 'conv1d' | 'conv2d' | 'depthwiseConv2d' }>,
  q: ArrayLike<number>,
): Int32Array {
  const in3 = layer.inShape.length === 2 ? [1, ...layer.inShape] : layer.inShape;
  const out3 = layer.outShape.length === 2 ? [1, ...layer.outShape] : layer.outShape;
  const [ih, iw, cin] = in3 as [number, number, number];
  const [oh, ow, cout] = out3 as [number, number, number];
  const [kh, kw] = layer.op === 'conv1d' ? [1, layer.kernelSize] : layer.kernelSize;
  const [sh, sw] = layer.op === 'conv1d' ? [1, layer.strides] : layer.strides;
  const same = layer.padding === 'same';
  const pt = same ? samePadLeft(ih, kh, sh) : 0;
  const pl = same ? samePadLeft(iw, kw, sw) : 0;
  const depthwise = layer.op === 'depthwiseConv2d';
  const zpIn = layer.input.zeroPoint;
  const zpOut = layer.output.zeroPoint;
  const w = layer.weights;
  const y = new Int32Array(oh * ow * cout);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let o = 0; o < cout; o++) {
        let acc = layer.bias[o]!;
        for (let ky = 0; ky < kh; ky++) {
          const yy = oy * sh - pt + ky;
          if (yy < 0 || yy >= ih) continue;
          for (let kx = 0; kx < kw; kx++) {
            const xx = ox * sw - pl + kx;
            if (xx < 0 || xx >= iw) continue;
            const xb = (yy * iw + xx) * cin;
            if (depthwise) acc += w[o * kh * kw + ky * kw + kx]! * (q[xb + o]! - zpIn);
            else {
              const wb = o * kh * kw * cin + (ky * kw + kx) * cin;
              for (let c = 0; c < cin; c++) acc += w[wb + c]! * (q[xb + c]! - zpIn);
            }
          }
        }
        const r = requantize(acc, layer.requant.multiplier[o]!, layer.requant.shift[o]!);
        y[(oy * ow + ox) * cout + o] = clamp(r + zpOut, layer.actMin, layer.actMax);
      }
  return y;
}

/**
 * Max / average pooling on int8 levels (valid padding): max: acc = max(q) − zp_in; average:
 * acc = Σ (q − zp_in); then requantised with M = s_in/s_out (max; identity when the quantisation is
 * unchanged) or s_in/(s_out·n) (average) — the multiplier the blob writer stores.
 */
export function poolLevels(layer: PoolIntLayer, q: ArrayLike<number>): Int32Array {
  const is1d = layer.op.endsWith('1d');
  const in3 = is1d ? [1, ...layer.inShape] : layer.inShape;
  const [, iw, c] = in3 as [number, number, number];
  const [kh, kw] = is1d ? [1, layer.poolSize[0]!] : [layer.poolSize[0]!, layer.poolSize[1]!];
  const [sh, sw] = is1d ? [1, layer.strides[0] ?? kw] : [layer.strides[0] ?? kh, layer.strides[1] ?? kw];
  const out3 = is1d ? [1, ...layer.outShape] : layer.outShape;
  const [oh, ow] = out3 as [number, number, number];
  const isMax = layer.op.startsWith('max');
  const ratio = layer.input.scale / layer.output.scale;
  const sameQuant = layer.input.zeroPoint === layer.output.zeroPoint && Math.abs(ratio - 1) < 1e-9;
  const rq = isMax && sameQuant ? IDENTITY_REQUANT : engineMultiplier(isMax ? ratio : ratio / (kh * kw));
  const zpIn = layer.input.zeroPoint;
  const y = new Int32Array(oh * ow * c);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let ch = 0; ch < c; ch++) {
        let acc = isMax ? -128 : 0;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const v = q[((oy * sh + ky) * iw + ox * sw + kx) * c + ch]!;
            if (isMax) acc = Math.max(acc, v);
            else acc += v - zpIn;
          }
        if (isMax) acc -= zpIn;
        const r = requantize(acc, rq.multiplier, rq.shift);
        y[(oy * ow + ox) * c + ch] = clamp(r + layer.output.zeroPoint, -128, 127);
      }
  return y;
}

/** The GRU's fixed-point parameters, validated once per layer object. */
const gruExtras = new WeakMap<GruIntLayer, GruExtra>();
function gruExtra(layer: GruIntLayer): GruExtra {
  let e = gruExtras.get(layer);
  if (!e) {
    const parsed = GruExtraSchema.safeParse(layer.extra);
    if (!parsed.success)
      throw new BitbenchError('internal', `GRU "${layer.name}": malformed extra: ${parsed.error.message}`);
    e = parsed.data;
    gruExtras.set(layer, e);
  }
  return e;
}

/**
 * GRU with integer gates (docs/integer-arithmetic.md § GRU): Q3.12 pre-activations saturated to
 * int16, the engine's Q15 sigmoid/tanh, Q7 state. Input [T][F] int8 levels; output h after the last
 * step, or after every step with return_sequences.
 */
export function gruLevels(layer: GruIntLayer, q: ArrayLike<number>): Int32Array {
  const e = gruExtra(layer);
  const u = layer.units;
  const f = layer.inFeatures;
  const steps = layer.timeSteps;
  const zpIn = layer.input.zeroPoint;
  const h = new Int32Array(u);
  const px = new Int32Array(3 * u);
  const ph = new Int32Array(3 * u);
  const out = new Int32Array(layer.returnSequences ? steps * u : u);
  for (let t = 0; t < steps; t++) {
    for (let r = 0; r < 3 * u; r++) {
      let ax = e.kernelBias[r]!;
      for (let i = 0; i < f; i++) ax += e.kernel[r * f + i]! * (q[t * f + i]! - zpIn);
      px[r] = clamp(
        engineRequantize(ax, e.kernelRequant.multiplier[r]!, e.kernelRequant.shift[r]!),
        -32768,
        32767,
      );
      let ah = e.recurrentBias[r]!;
      for (let k = 0; k < u; k++) ah += e.recurrentKernel[r * u + k]! * h[k]!;
      ph[r] = clamp(
        engineRequantize(ah, e.recurrentRequant.multiplier[r]!, e.recurrentRequant.shift[r]!),
        -32768,
        32767,
      );
    }
    for (let j = 0; j < u; j++) {
      const z = sigmoidQ15(px[j]! + ph[j]!);
      const rg = sigmoidQ15(px[u + j]! + ph[u + j]!);
      const hh = tanhQ15(px[2 * u + j]! + ((rg * ph[2 * u + j]! + 16384) >> 15));
      const h15 = (z * (h[j]! * 256) + (32768 - z) * hh + 16384) >> 15;
      h[j] = clamp((h15 + 128) >> 8, -128, 127);
    }
    if (layer.returnSequences) out.set(h, t * u);
  }
  if (!layer.returnSequences) out.set(h);
  return out;
}

function runLayer(layer: IntLayer, q: Int32Array): Int32Array {
  switch (layer.op) {
    case 'conv1d':
    case 'conv2d':
    case 'depthwiseConv2d':
      return convLevels(layer, q);
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
    case 'gru':
      return gruLevels(layer, q);
    case 'maxPool1d':
    case 'avgPool1d':
    case 'maxPool2d':
    case 'avgPool2d':
      return poolLevels(layer, q);
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
        `The integer simulation does not run ${(layer as IntLayer).op} layers ("${(layer as IntLayer).name}")`,
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
