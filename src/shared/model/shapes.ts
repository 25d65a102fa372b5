import { BitbenchError } from '../errors';
import type { LayerSpec, ModelSpec } from './spec';

/**
 * Shape inference for a ModelSpec, without TensorFlow.js: every layer's input/output shape
 * (batch excluded) and its parameter tensors in NamedWeight order. Used to refuse a spec or a
 * dataset before training ("conv1d `conv1` needs [time, channels] input, got [28, 28, 1]"),
 * to count parameters and bytes, and by the quantizers/exporter to size buffers.
 */

export interface ParamShape {
  param: string;
  shape: number[];
}

export interface LayerShapes {
  name: string;
  type: LayerSpec['type'];
  inShape: number[];
  outShape: number[];
  params: ParamShape[];
  /** Multiply–accumulates for one inference (one window). */
  macs: number;
}

export interface ModelShapes {
  layers: LayerShapes[];
  outputShape: number[];
  /** Trainable + non-trainable float parameters (BatchNorm moving stats included). */
  params: number;
  /** params × 4: the float32 model size as papers report it. */
  floatBytes: number;
  macs: number;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function refuse(layer: { name: string; type: string }, why: string): never {
  throw new BitbenchError('bad_request', `Layer "${layer.name}" (${layer.type}): ${why}`);
}

function convLength(len: number, k: number, s: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(len / s) : Math.floor((len - k) / s) + 1;
}

function need(layer: LayerSpec, inShape: number[], rank: number, what: string): void {
  if (inShape.length !== rank)
    refuse(layer, `needs ${what} input, got [${inShape.join(', ')}] (rank ${inShape.length}).`);
}

function positive(layer: LayerSpec, out: number[], inShape: number[]): number[] {
  if (out.some((d) => !(d >= 1)))
    refuse(layer, `input [${inShape.join(', ')}] is too small: the output would be [${out.join(', ')}].`);
  return out;
}

function layerShapes(layer: LayerSpec, inShape: number[]): LayerShapes {
  const base = { name: layer.name, type: layer.type, inShape };
  const withBias = (useBias: boolean, n: number): ParamShape[] =>
    useBias ? [{ param: 'bias', shape: [n] }] : [];
  switch (layer.type) {
    case 'conv1d': {
      need(layer, inShape, 2, '[time, channels]');
      const [t, c] = inShape as [number, number];
      const out = positive(
        layer,
        [convLength(t, layer.kernelSize, layer.strides, layer.padding), layer.filters],
        inShape,
      );
      return {
        ...base,
        outShape: out,
        params: [
          { param: 'kernel', shape: [layer.kernelSize, c, layer.filters] },
          ...withBias(layer.useBias, layer.filters),
        ],
        macs: out[0]! * layer.kernelSize * c * layer.filters,
      };
    }
    case 'conv2d': {
      need(layer, inShape, 3, '[height, width, channels]');
      const [h, w, c] = inShape as [number, number, number];
      const [kh, kw] = layer.kernelSize;
      const out = positive(
        layer,
        [
          convLength(h, kh, layer.strides[0], layer.padding),
          convLength(w, kw, layer.strides[1], layer.padding),
          layer.filters,
        ],
        inShape,
      );
      return {
        ...base,
        outShape: out,
        params: [
          { param: 'kernel', shape: [kh, kw, c, layer.filters] },
          ...withBias(layer.useBias, layer.filters),
        ],
        macs: out[0]! * out[1]! * kh * kw * c * layer.filters,
      };
    }
    case 'depthwiseConv1d': {
      need(layer, inShape, 2, '[time, channels]');
      const [t, c] = inShape as [number, number];
      const out = positive(
        layer,
        [convLength(t, layer.kernelSize, layer.strides, layer.padding), c],
        inShape,
      );
      return {
        ...base,
        outShape: out,
        params: [{ param: 'kernel', shape: [layer.kernelSize, c, 1] }, ...withBias(layer.useBias, c)],
        macs: out[0]! * layer.kernelSize * c,
      };
    }
    case 'depthwiseConv2d': {
      need(layer, inShape, 3, '[height, width, channels]');
      const [h, w, c] = inShape as [number, number, number];
      const [kh, kw] = layer.kernelSize;
      const out = positive(
        layer,
        [
          convLength(h, kh, layer.strides[0], layer.padding),
          convLength(w, kw, layer.strides[1], layer.padding),
          c,
        ],
        inShape,
      );
      return {
        ...base,
        outShape: out,
        params: [{ param: 'kernel', shape: [kh, kw, c, 1] }, ...withBias(layer.useBias, c)],
        macs: out[0]! * out[1]! * kh * kw * c,
      };
    }
    case 'dense': {
      if (inShape.length !== 1)
        refuse(layer, `needs a flat input, got [${inShape.join(', ')}]: add a flatten layer before it.`);
      const n = inShape[0]!;
      return {
        ...base,
        outShape: [layer.units],
        params: [{ param: 'kernel', shape: [n, layer.units] }, ...withBias(layer.useBias, layer.units)],
        macs: n * layer.units,
      };
    }
    case 'gru': {
      need(layer, inShape, 2, '[time, features]');
      const [t, f] = inShape as [number, number];
      const u = layer.units;
      return {
        ...base,
        outShape: layer.returnSequences ? [t, u] : [u],
        params: [
          { param: 'kernel', shape: [f, 3 * u] },
          { param: 'recurrentKernel', shape: [u, 3 * u] },
          { param: 'bias', shape: [2, 3 * u] },
        ],
        macs: t * 3 * u * (f + u),
      };
    }
    case 'batchNorm': {
      const c = inShape[inShape.length - 1]!;
      return {
        ...base,
        outShape: inShape,
        params: ['gamma', 'beta', 'movingMean', 'movingVariance'].map((param) => ({ param, shape: [c] })),
        macs: size(inShape),
      };
    }
    case 'relu':
    case 'relu6':
    case 'softmax':
      return { ...base, outShape: inShape, params: [], macs: 0 };
    case 'maxPool1d':
    case 'avgPool1d': {
      need(layer, inShape, 2, '[time, channels]');
      const s = layer.strides ?? layer.poolSize;
      const out = positive(
        layer,
        [convLength(inShape[0]!, layer.poolSize, s, 'valid'), inShape[1]!],
        inShape,
      );
      return { ...base, outShape: out, params: [], macs: 0 };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      need(layer, inShape, 3, '[height, width, channels]');
      const s = layer.strides ?? layer.poolSize;
      const out = positive(
        layer,
        [
          convLength(inShape[0]!, layer.poolSize[0], s[0], 'valid'),
          convLength(inShape[1]!, layer.poolSize[1], s[1], 'valid'),
          inShape[2]!,
        ],
        inShape,
      );
      return { ...base, outShape: out, params: [], macs: 0 };
    }
    case 'flatten':
      return { ...base, outShape: [size(inShape)], params: [], macs: 0 };
  }
}

/**
 * Infers every layer's shapes; throws a `bad_request` BitbenchError naming the layer when the
 * spec cannot run (rank mismatch, output too small, duplicate names, wrong class count).
 */
export function inferShapes(spec: ModelSpec): ModelShapes {
  const seen = new Set<string>();
  let shape = spec.inputShape;
  const layers: LayerShapes[] = [];
  for (const layer of spec.layers) {
    if (seen.has(layer.name)) refuse(layer, 'the name is used twice; layer names must be unique.');
    seen.add(layer.name);
    const ls = layerShapes(layer, shape);
    layers.push(ls);
    shape = ls.outShape;
  }
  if (shape.length !== 1 || shape[0] !== spec.numClasses)
    throw new BitbenchError(
      'bad_request',
      `The model ends with shape [${shape.join(', ')}] but must end with [${spec.numClasses}] (one score per class).`,
    );
  const params = layers.reduce((a, l) => a + l.params.reduce((b, p) => b + size(p.shape), 0), 0);
  return {
    layers,
    outputShape: shape,
    params,
    floatBytes: params * 4,
    macs: layers.reduce((a, l) => a + l.macs, 0),
  };
}

/** Refuses data whose window shape differs from the spec's input, with both shapes in the reason. */
export function checkInputShape(spec: ModelSpec, windowShape: readonly number[]): void {
  const a = spec.inputShape;
  if (a.length !== windowShape.length || a.some((d, i) => d !== windowShape[i]))
    throw new BitbenchError(
      'bad_request',
      `The ${spec.arch} architecture takes windows of shape [${a.join(', ')}], but the data has windows of shape [${windowShape.join(', ')}]. ` +
        `Choose an architecture built for [${windowShape.join(', ')}], or a custom one (arch "custom") whose inputShape is [${windowShape.join(', ')}].`,
    );
}
