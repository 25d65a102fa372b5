import type * as TfType from '@tensorflow/tfjs';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { Tf } from '../ml/tf-loader';
import { kernelMatrixShape, samePadLeft, type PtqGraph, type PtqNode, type WeightedNode } from './ptq-graph';
import { fakeQuant } from './tf-quantizer';

/**
 * TensorFlow.js forward pass of a PTQ graph, float or with simulated quantization ("fake quant",
 * seed 003 §3.1: tensors are quantized and dequantized, the ops run in float). Built functionally
 * from the graph so that the float model, the fully quantized model and every weight-only /
 * activation-only debugging variant are the same code with different switches.
 */
type Tensor = TfType.Tensor;

export interface SimSettings {
  /** Quantize the model input with this encoding. */
  inputEnc?: AffineEncoding;
  /** Quantize node i's output with outputEncs[i] (undefined: leave float). */
  outputEncs?: ReadonlyArray<AffineEncoding | undefined>;
  /** Replace a layer's kernel (Keras layout) by this one, e.g. its dequantized levels. */
  kernels?: ReadonlyMap<string, Float32Array>;
  /** Replace a layer's bias, e.g. by its int32-grid value. */
  biases?: ReadonlyMap<string, Float32Array>;
}

export function applyActivation(tf: Tf, y: Tensor, a: WeightedNode['activation']): Tensor {
  if (a === 'relu') return tf.relu(y);
  if (a === 'relu6') return tf.relu6(y);
  return y;
}

/** Pre-activation output of a weighted node on x ([N, ...inShape]). */
export function weightedPreActivation(
  tf: Tf,
  n: WeightedNode,
  x: Tensor,
  kernel?: Float32Array,
  bias?: Float32Array,
): Tensor {
  return tf.tidy(() => {
    const k = tf.tensor(kernel ?? n.kernel, n.kernelShape);
    const b = tf.tensor1d(bias ?? n.bias);
    if (n.kind === 'conv1d')
      return tf.conv1d(x as TfType.Tensor3D, k as TfType.Tensor3D, n.strides, n.padding).add(b);
    return tf.matMul(x as TfType.Tensor2D, k as TfType.Tensor2D).add(b);
  });
}

export function nodeForwardTf(
  tf: Tf,
  n: PtqNode,
  x: Tensor,
  kernel?: Float32Array,
  bias?: Float32Array,
): Tensor {
  return tf.tidy(() => {
    switch (n.kind) {
      case 'conv1d':
      case 'dense':
        return applyActivation(tf, weightedPreActivation(tf, n, x, kernel, bias), n.activation);
      case 'maxPool1d': {
        const [len, c] = n.inShape as [number, number];
        const x4 = x.reshape([-1, len, 1, c]) as TfType.Tensor4D;
        return tf.maxPool(x4, [n.poolSize, 1], [n.strides, 1], 'valid').reshape([-1, ...n.outShape]);
      }
      case 'flatten':
        return x.reshape([-1, ...n.outShape]);
    }
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
  let cur = from === 0 && sim.inputEnc ? fakeQuant(tf, x, sim.inputEnc) : x;
  for (let i = from; i < to; i++) {
    const n = g.nodes[i]!;
    const y = tf.tidy(() => {
      const raw = nodeForwardTf(tf, n, cur, sim.kernels?.get(n.name), sim.biases?.get(n.name));
      const enc = sim.outputEncs?.[i];
      return enc && (n.kind === 'conv1d' || n.kind === 'dense') ? fakeQuant(tf, raw, enc) : raw;
    });
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
 * im2col of a conv1d input: [N, len, cin] → [N·outLen, k·cin] rows whose column order matches the
 * Keras kernel [k, cin, cout] seen as [k·cin, cout], so conv(x) = im2col(x) @ kernel. Dense inputs
 * are returned as they are.
 */
export function layerInputRows(tf: Tf, n: WeightedNode, x: Tensor): Tensor {
  return tf.tidy(() => {
    if (n.kind === 'dense') return x.reshape([-1, n.kernelShape[0]!]);
    const [len, cin] = n.inShape as [number, number];
    const [outLen] = n.outShape as [number];
    let xp = x as TfType.Tensor3D;
    if (n.padding === 'same') {
      const padL = samePadLeft(len, n.kernelSize, n.strides);
      const total = Math.max((outLen - 1) * n.strides + n.kernelSize - len, 0);
      xp = tf.pad(xp, [
        [0, 0],
        [padL, total - padL],
        [0, 0],
      ]);
    }
    const cols: Tensor[] = [];
    for (let j = 0; j < n.kernelSize; j++) {
      const end = j + (outLen - 1) * n.strides + 1;
      cols.push(tf.stridedSlice(xp, [0, j, 0], [xp.shape[0], end, cin], [1, n.strides, 1]));
    }
    return tf.concat(cols, 2).reshape([-1, kernelMatrixShape(n)[0]]);
  });
}
