import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import { gruLevels, poolLevels, type GruIntLayer } from './integer-sim';
import { clamp, roundHalfUp } from './affine-quantizer';
import {
  isWeighted,
  kernelMatrixShape,
  samePadLeft,
  type GruNode,
  type PoolNode,
  type PtqGraph,
  type PtqNode,
  type WeightedNode,
} from './ptq-graph';
import { fakeQuant } from './tf-quantizer';

/**
 * TensorFlow.js forward pass of a PTQ graph, float or with simulated quantization ("fake quant",
 * seed 003 §3.1: tensors are quantized and dequantized, the ops run in float). Built functionally
 * from the graph so that the float model, the fully quantized model and every weight-only /
 * activation-only debugging variant are the same code with different switches.
 *
 * Two layers are not simulated in float but run on their int8 levels, because their quantized
 * arithmetic *is* integer arithmetic that a float op would only approximate:
 *  - a GRU with quantized activations runs the engine's integer gates (Q3.12 pre-activations, the
 *    Q15 tanh/sigmoid table, Q7 state; `integerGru`), since the table and the per-step state
 *    rounding are part of the quantized model;
 *  - an average pool with quantized activations sums its int8 levels and requantises with the
 *    engine's multiplier M = s_in/(s_out·n), which rounds exact ties (an even window) half up
 *    where float32 division would round them either way.
 */
type Tensor = TfType.Tensor;

export interface SimSettings {
  /** Quantize the model input with this encoding. */
  inputEnc?: AffineEncoding;
  /** Quantize node i's output with outputEncs[i] (undefined: leave float). */
  outputEncs?: ReadonlyArray<AffineEncoding | undefined>;
  /** Replace a layer's kernel (Keras layout) by this one, e.g. its dequantized levels. */
  kernels?: ReadonlyMap<string, Float32Array>;
  /** Replace a GRU's recurrent kernel ([u, 3u]) by this one. */
  recurrentKernels?: ReadonlyMap<string, Float32Array>;
  /** Replace a layer's bias, e.g. by its int32-grid value. */
  biases?: ReadonlyMap<string, Float32Array>;
  /** Run these GRUs with the integer engine's gate arithmetic (the fully quantized model). */
  integerGru?: ReadonlyMap<string, GruIntLayer>;
}

/**
 * The simulation without the logits' output grid. SQNR of the logits is measured before it: the grid
 * is for argmax alone (range-setters.ts, argmaxLogitEncoding) and clamps a confident winner to its
 * top, which costs SQNR and no accuracy. Accuracy is always read on the grid.
 */
export function withoutLogitsGrid(g: PtqGraph, sim: SimSettings): SimSettings {
  const last = g.nodes.length - 1;
  if (!sim.outputEncs?.[last]) return sim;
  return { ...sim, outputEncs: sim.outputEncs.map((e, i) => (i === last ? undefined : e)) };
}

/**
 * Each node's input scale under `sim`: the model input's grid for the first node, the previous node's
 * output grid after it (1 where a tensor stays float). The int32 bias grid of a layer is s_in·s_w.
 */
export function inputScales(g: PtqGraph, sim: SimSettings): Map<string, number> {
  return new Map(
    g.nodes.map((n, i) => [n.name, (i === 0 ? sim.inputEnc : sim.outputEncs?.[i - 1])?.scales[0] ?? 1]),
  );
}

export function applyActivation(tf: Tf, y: Tensor, a: WeightedNode['activation']): Tensor {
  if (a === 'relu') return tf.relu(y);
  if (a === 'relu6') return tf.relu6(y);
  return y;
}

/** A depthwise kernel [kh, kw, c] / [k, c] as TF's [kh, kw, c, 1]. */
function depthwiseFilter(n: WeightedNode, kernel: Tensor): TfType.Tensor4D {
  const [kh, kw] = n.kernelHW;
  const c = n.kernelShape[n.kernelShape.length - 1]!;
  return kernel.reshape([kh, kw, c, 1]);
}

/** Pre-activation output of a weighted node on x ([N, ...inShape]). */
export function weightedPreActivation(
  tf: Tf,
  n: WeightedNode,
  x: Tensor,
  /** A replacement kernel (Keras layout); a tensor (e.g. built from variables being learned) is reshaped. */
  kernel?: Float32Array | Tensor,
  /** A replacement bias; a tensor (e.g. a variable being learned) is used as it is. */
  bias?: Float32Array | Tensor,
): Tensor {
  return tf.tidy(() => {
    const k =
      kernel instanceof Float32Array || kernel === undefined
        ? tf.tensor(kernel ?? n.kernel, n.kernelShape)
        : kernel.reshape(n.kernelShape);
    const b = bias instanceof Float32Array || bias === undefined ? tf.tensor1d(bias ?? n.bias) : bias;
    switch (n.kind) {
      case 'conv1d':
        return tf.conv1d(x as TfType.Tensor3D, k as TfType.Tensor3D, n.strides, n.padding).add(b);
      case 'conv2d':
        return tf.conv2d(x as TfType.Tensor4D, k as TfType.Tensor4D, n.stridesHW, n.padding).add(b);
      case 'depthwiseConv1d': {
        const [t, c] = n.inShape as [number, number];
        const x4 = x.reshape([-1, 1, t, c]) as TfType.Tensor4D;
        return tf
          .depthwiseConv2d(x4, depthwiseFilter(n, k), n.stridesHW, n.padding)
          .reshape([-1, ...n.outShape])
          .add(b);
      }
      case 'depthwiseConv2d':
        return tf.depthwiseConv2d(x as TfType.Tensor4D, depthwiseFilter(n, k), n.stridesHW, n.padding).add(b);
      case 'dense':
        return tf.matMul(x as TfType.Tensor2D, k as TfType.Tensor2D).add(b);
    }
  });
}

/** Float GRU (reset_after, gates z, r, h; the semantics of src/main/ml/gru-layer.ts). */
export function gruForwardTf(
  tf: Tf,
  n: GruNode,
  x: Tensor,
  kernel?: Float32Array,
  recurrent?: Float32Array,
): Tensor {
  return tf.tidy(() => {
    const u = n.units;
    const [t, f] = n.inShape as [number, number];
    const b = x.shape[0]!;
    const w = tf.tensor2d(kernel ?? n.kernel, n.kernelShape);
    const rec = tf.tensor2d(recurrent ?? n.recurrentKernel, n.recurrentShape);
    const xw = tf
      .matMul(x.reshape([b * t, f]) as TfType.Tensor2D, w)
      .add(tf.tensor1d(n.bias))
      .reshape([b, t, 3 * u]);
    const biasRec = tf.tensor1d(n.recurrentBias);
    let h: Tensor = tf.zeros([b, u]);
    const outs: Tensor[] = [];
    for (const xt of tf.unstack(xw, 1)) {
      const hu = tf.matMul(h as TfType.Tensor2D, rec).add(biasRec);
      const zr = tf.sigmoid(xt.slice([0, 0], [b, 2 * u]).add(hu.slice([0, 0], [b, 2 * u])));
      const z = zr.slice([0, 0], [b, u]);
      const r = zr.slice([0, u], [b, u]);
      const cand = tf.tanh(xt.slice([0, 2 * u], [b, u]).add(r.mul(hu.slice([0, 2 * u], [b, u]))));
      h = cand.add(z.mul(h.sub(cand)));
      if (n.returnSequences) outs.push(h);
    }
    return n.returnSequences ? tf.stack(outs, 1) : h;
  });
}

function poolForwardTf(tf: Tf, n: PoolNode, x: Tensor): Tensor {
  return tf.tidy(() => {
    const is1d = n.kind === 'maxPool1d' || n.kind === 'avgPool1d';
    const x4 = (is1d ? x.reshape([-1, 1, n.inShape[0]!, n.inShape[1]!]) : x) as TfType.Tensor4D;
    const y =
      n.kind === 'maxPool1d' || n.kind === 'maxPool2d'
        ? tf.maxPool(x4, n.poolHW, n.stridesHW, 'valid')
        : tf.avgPool(x4, n.poolHW, n.stridesHW, 'valid');
    return y.reshape([-1, ...n.outShape]);
  });
}

export function nodeForwardTf(
  tf: Tf,
  n: PtqNode,
  x: Tensor,
  kernel?: Float32Array,
  bias?: Float32Array,
  recurrent?: Float32Array,
): Tensor {
  return tf.tidy(() => {
    if (isWeighted(n))
      return applyActivation(tf, weightedPreActivation(tf, n, x, kernel, bias), n.activation);
    switch (n.kind) {
      case 'gru':
        return gruForwardTf(tf, n, x, kernel, recurrent);
      case 'flatten':
        return x.reshape([-1, ...n.outShape]);
      default:
        return poolForwardTf(tf, n as PoolNode, x);
    }
  });
}

/** Runs an integer op on each sample's int8 levels (host side) and returns its dequantized output. */
function onLevels(
  tf: Tf,
  x: Tensor,
  inQ: { scale: number; zeroPoint: number },
  outQ: { scale: number; zeroPoint: number },
  outShape: number[],
  op: (levels: Int32Array) => Int32Array,
): Tensor {
  const n = x.shape[0]!;
  const data = x.dataSync();
  const per = data.length / n;
  const outPer = outShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * outPer);
  const q = new Int32Array(per);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < per; i++)
      q[i] = clamp(roundHalfUp(data[s * per + i]! / inQ.scale) + inQ.zeroPoint, -128, 127);
    const y = op(q);
    for (let i = 0; i < outPer; i++) out[s * outPer + i] = outQ.scale * (y[i]! - outQ.zeroPoint);
  }
  return tf.tensor(out, [n, ...outShape]);
}

/**
 * The model input's fake quantization, computed as the host quantizes a window for the integer model
 * (integer-sim.ts `quantizeInput`, float64): float32 division inside TF.js can put x/s on the other
 * side of a rounding tie, and one input level off changes every output that sees it.
 */
export function quantizeInputLikeHost(tf: Tf, x: Tensor, enc: AffineEncoding): Tensor {
  const s = enc.scales[0]!;
  const zp = enc.zeroPoints[0]!;
  if (enc.granularity !== 'per-tensor' || enc.symmetric) return fakeQuant(tf, x, enc);
  const data = x.dataSync();
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++)
    out[i] = s * (clamp(roundHalfUp(data[i]! / s) + zp, enc.qmin, enc.qmax) - zp);
  return tf.tensor(out, x.shape);
}

const actOf = (e: AffineEncoding) => ({ scale: e.scales[0]!, zeroPoint: e.zeroPoints[0]! });

/**
 * Node i of the graph under `sim`: the float op with the replaced weights, its output fake-quantized
 * when `sim.outputEncs[i]` is set (weighted nodes; pools and flatten keep their input's grid), or the
 * integer path for a GRU in `sim.integerGru` and a quantized average pool (see the file comment).
 */
export function simNodeForward(tf: Tf, g: PtqGraph, i: number, x: Tensor, sim: SimSettings = {}): Tensor {
  const n = g.nodes[i]!;
  const enc = sim.outputEncs?.[i];
  const inEnc = i === 0 ? sim.inputEnc : sim.outputEncs?.[i - 1];
  if (n.kind === 'gru') {
    const layer = sim.integerGru?.get(n.name);
    if (layer) return onLevels(tf, x, layer.input, layer.output, n.outShape, (q) => gruLevels(layer, q));
  }
  if ((n.kind === 'avgPool1d' || n.kind === 'avgPool2d') && enc && inEnc) {
    const layer = {
      op: n.kind,
      name: n.name,
      input: actOf(inEnc),
      output: actOf(enc),
      inShape: n.inShape,
      outShape: n.outShape,
      poolSize: n.kind === 'avgPool1d' ? [n.poolSize] : [...n.poolHW],
      strides: n.kind === 'avgPool1d' ? [n.strides] : [...n.stridesHW],
    };
    return onLevels(tf, x, layer.input, layer.output, n.outShape, (q) => poolLevels(layer, q));
  }
  return tf.tidy(() => {
    const raw = nodeForwardTf(
      tf,
      n,
      x,
      sim.kernels?.get(n.name),
      sim.biases?.get(n.name),
      sim.recurrentKernels?.get(n.name),
    );
    return enc && (isWeighted(n) || n.kind === 'gru') ? fakeQuant(tf, raw, enc) : raw;
  });
}

/**
 * Runs nodes [from, to) on x; returns every node's output (caller disposes). With `sim`, applies
 * the requested quantizers.
 */
export function forwardNodes(
  tf: Tf,
  g: PtqGraph,
  x: Tensor,
  sim: SimSettings = {},
  from = 0,
  to = g.nodes.length,
): Tensor[] {
  const outs: Tensor[] = [];
  let cur = from === 0 && sim.inputEnc ? quantizeInputLikeHost(tf, x, sim.inputEnc) : x;
  for (let i = from; i < to; i++) {
    const y = simNodeForward(tf, g, i, cur, sim);
    if (cur !== x && !outs.includes(cur)) cur.dispose();
    outs.push(y);
    cur = y;
  }
  return outs;
}

/** Logits for a batch, computed in chunks to bound memory. */
export function predictLogits(
  tf: Tf,
  g: PtqGraph,
  x: Float32Array,
  count: number,
  sim: SimSettings = {},
  batch = 256,
): Float32Array {
  const per = x.length / count;
  const k = g.numClasses;
  const out = new Float32Array(count * k);
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const logits = tf.tidy(() => {
      const xb = tf.tensor(x.subarray(s * per, (s + n) * per), [n, ...g.inputShape]);
      const outs = forwardNodes(tf, g, xb, sim);
      const last = outs[outs.length - 1]!;
      for (const o of outs) if (o !== last) o.dispose();
      return last;
    });
    out.set(logits.dataSync(), s * k);
    logits.dispose();
  }
  return out;
}

/**
 * im2col of a conv input: [N, ...inShape] → [N·outPositions, kh·kw·cin] rows whose column order matches
 * the Keras kernel [kh, kw, cin, cout] ([k, cin, cout] for 1-D) seen as [fanIn, cout], so
 * conv(x) = im2col(x) @ kernel. Dense inputs are returned as they are. Depthwise convs are not a
 * single matrix product and are refused (the pipeline does not call this for them).
 */
export function layerInputRows(tf: Tf, n: WeightedNode, x: Tensor): Tensor {
  return tf.tidy(() => {
    if (n.kind === 'dense') return x.reshape([-1, n.kernelShape[0]!]);
    if (n.kind !== 'conv1d' && n.kind !== 'conv2d')
      throw new Error(`layerInputRows: ${n.kind} "${n.name}" has no im2col matrix form`);
    const is1d = n.kind === 'conv1d';
    const [ih, iw, cin] = (is1d ? [1, ...n.inShape] : n.inShape) as [number, number, number];
    const [oh, ow] = (is1d ? [1, ...n.outShape] : n.outShape) as [number, number, number];
    const [kh, kw] = n.kernelHW;
    const [sh, sw] = n.stridesHW;
    let xp = x.reshape([-1, ih, iw, cin]) as TfType.Tensor4D;
    if (n.padding === 'same') {
      const pt = samePadLeft(ih, kh, sh);
      const pl = samePadLeft(iw, kw, sw);
      const totH = Math.max((oh - 1) * sh + kh - ih, 0);
      const totW = Math.max((ow - 1) * sw + kw - iw, 0);
      xp = tf.pad(xp, [
        [0, 0],
        [pt, totH - pt],
        [pl, totW - pl],
        [0, 0],
      ]);
    }
    const cols: Tensor[] = [];
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        cols.push(
          tf.stridedSlice(
            xp,
            [0, ky, kx, 0],
            [xp.shape[0], ky + (oh - 1) * sh + 1, kx + (ow - 1) * sw + 1, cin],
            [1, sh, sw, 1],
          ),
        );
    return tf.concat(cols, 3).reshape([-1, kernelMatrixShape(n)[0]]);
  });
}
