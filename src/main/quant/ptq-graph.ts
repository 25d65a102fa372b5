import type { LayerSpec, ModelSpec, NamedWeight } from '../../shared/model/spec';
import { BitbenchError } from '../../shared/errors';
import { inferShapes } from '../../shared/model/shapes';

/**
 * The float model as the PTQ pipeline sees it: a chain of nodes, BatchNorm folded into the conv/dense
 * before it and standalone ReLU/ReLU6 fused into it (the integer engine fuses them as an int8 clamp),
 * a final softmax dropped (argmax is unchanged; the integer model outputs logits).
 *
 * Kernels keep the Keras layout with the output channel last — conv1d [k, cin, cout], dense [in, out] —
 * so a conv is the matrix product of its im2col rows [k·cin] with the kernel seen as [k·cin, cout].
 */
export type Activation = 'linear' | 'relu' | 'relu6';

export type WeightedKind = 'conv1d' | 'conv2d' | 'depthwiseConv1d' | 'depthwiseConv2d' | 'dense';

/**
 * A conv/dense layer. Kernels keep the Keras layout with the output channel last — conv1d [k, cin, cout],
 * conv2d [kh, kw, cin, cout], dense [in, out] — and depthwise kernels drop Keras' trailing channel
 * multiplier 1 ([k, c] / [kh, kw, c]) so that the output channel is last there too: per-channel
 * quantizers, CLE and the integer builder all read the kernel as a matrix [fanIn, cout].
 */
export interface WeightedNode {
  kind: WeightedKind;
  name: string;
  kernel: Float32Array;
  kernelShape: number[];
  bias: Float32Array;
  activation: Activation;
  /** 1-D convs: kernel length and stride (dense and 2-D: 1; use kernelHW / stridesHW). */
  kernelSize: number;
  strides: number;
  /** Kernel and strides as [h, w] for every conv (1-D: [1, k]); dense [1, 1]. */
  kernelHW: [number, number];
  stridesHW: [number, number];
  padding: 'valid' | 'same';
  inShape: number[];
  outShape: number[];
}

/**
 * A GRU (reset_after, gate order z, r, h; src/shared/model/spec.ts). Kernel [F, 3u] and recurrent
 * kernel [u, 3u] have their 3u gate rows last, so they quantize per gate row like any other kernel.
 * Its output is the engine's Q7 hidden state (scale 1/128, zero point 0) whatever the activation bits.
 */
export interface GruNode {
  kind: 'gru';
  name: string;
  units: number;
  returnSequences: boolean;
  kernel: Float32Array;
  kernelShape: [number, number];
  recurrentKernel: Float32Array;
  recurrentShape: [number, number];
  /** Input bias [3u] (Keras bias row 0) and recurrent bias [3u] (row 1). */
  bias: Float32Array;
  recurrentBias: Float32Array;
  inShape: number[];
  outShape: number[];
}

export type PoolKind = 'maxPool1d' | 'avgPool1d' | 'maxPool2d' | 'avgPool2d';

export interface PoolNode {
  kind: PoolKind;
  name: string;
  /** 1-D pools: window and stride (2-D: see poolHW / stridesHW). */
  poolSize: number;
  strides: number;
  poolHW: [number, number];
  stridesHW: [number, number];
  inShape: number[];
  outShape: number[];
}

export interface FlattenNode {
  kind: 'flatten';
  name: string;
  inShape: number[];
  outShape: number[];
}

export type PtqNode = WeightedNode | GruNode | PoolNode | FlattenNode;

export interface PtqGraph {
  inputShape: number[];
  numClasses: number;
  nodes: PtqNode[];
}

const WEIGHTED_KINDS: ReadonlySet<string> = new Set([
  'conv1d',
  'conv2d',
  'depthwiseConv1d',
  'depthwiseConv2d',
  'dense',
]);

/** A conv/dense node: one kernel matrix [fanIn, cout] (GRUs are `isGru`). */
export function isWeighted(n: PtqNode): n is WeightedNode {
  return WEIGHTED_KINDS.has(n.kind);
}

export function isGru(n: PtqNode): n is GruNode {
  return n.kind === 'gru';
}

/** A node whose weights are quantized (conv/dense or GRU): what the per-layer bit table names. */
export function hasWeights(n: PtqNode): n is WeightedNode | GruNode {
  return isWeighted(n) || isGru(n);
}

export function isDepthwise(n: PtqNode): boolean {
  return n.kind === 'depthwiseConv1d' || n.kind === 'depthwiseConv2d';
}

export function isPool(n: PtqNode): n is PoolNode {
  return n.kind === 'maxPool1d' || n.kind === 'avgPool1d' || n.kind === 'maxPool2d' || n.kind === 'avgPool2d';
}

/** Rows and columns of the kernel seen as a matrix [fanIn, cout]. */
export function kernelMatrixShape(n: WeightedNode): [number, number] {
  const cout = n.kernelShape[n.kernelShape.length - 1]!;
  return [n.kernel.length / cout, cout];
}

/** Layer types the PTQ pipeline and the integer engine run (after folding/fusion). */
export const SUPPORTED_LAYER_TYPES = [
  'conv1d',
  'conv2d',
  'depthwiseConv1d',
  'depthwiseConv2d',
  'dense',
  'gru',
  'batchNorm',
  'relu',
  'relu6',
  'maxPool1d',
  'avgPool1d',
  'maxPool2d',
  'avgPool2d',
  'flatten',
  'softmax',
] as const;

function refuse(message: string): never {
  throw new BitbenchError('bad_request', message);
}

function weightOf(weights: readonly NamedWeight[], layer: string, param: string): NamedWeight | undefined {
  return weights.find((w) => w.layer === layer && w.param === param);
}

/** Left zero padding of a 'same' conv, as TensorFlow computes it. */
export function samePadLeft(len: number, k: number, s: number): number {
  const out = Math.ceil(len / s);
  const total = Math.max((out - 1) * s + k - len, 0);
  return Math.floor(total / 2);
}

/**
 * Lists why a spec cannot be quantized to the integer engine, or [] when it can. Checked before any
 * work so that a bad request costs nothing.
 */
export function unsupportedLayers(spec: ModelSpec): string[] {
  const reasons: string[] = [];
  spec.layers.forEach((l, i) => {
    if (!(SUPPORTED_LAYER_TYPES as readonly string[]).includes(l.type)) {
      reasons.push(
        `layer ${i} "${l.name}" (${l.type}) is not supported by the PTQ pipeline / integer engine yet`,
      );
    }
    if (l.type === 'softmax' && i !== spec.layers.length - 1)
      reasons.push(`softmax "${l.name}" must be the last layer`);
    if (l.type === 'dense' && l.activation === 'softmax' && i !== spec.layers.length - 1)
      reasons.push(`dense "${l.name}" has a softmax activation but is not the last layer`);
  });
  return reasons;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Builds the PTQ graph from a spec and its float weights. `foldBatchNorm: false` with a BatchNorm in
 * the model is refused: the integer engine has no BatchNorm op.
 */
export function buildPtqGraph(
  spec: ModelSpec,
  weights: readonly NamedWeight[],
  opts: { foldBatchNorm?: boolean } = {},
): PtqGraph {
  const reasons = unsupportedLayers(spec);
  if (reasons.length) refuse(`Cannot quantize this model: ${reasons.join('; ')}.`);
  const shapes = inferShapes(spec).layers;
  const fold = opts.foldBatchNorm ?? true;
  const nodes: PtqNode[] = [];
  const last = (): PtqNode | undefined => nodes[nodes.length - 1];
  const param = (l: LayerSpec, p: string, shape: number[]): Float32Array => {
    const w = weightOf(weights, l.name, p);
    if (!w || w.values.length !== prod(shape))
      refuse(`${l.type} "${l.name}": ${p} missing or not of shape [${shape.join(', ')}]`);
    return Float32Array.from(w.values);
  };

  spec.layers.forEach((l: LayerSpec, idx) => {
    const ls = shapes[idx]!;
    const inShape = [...ls.inShape];
    const outShape = [...ls.outShape];
    switch (l.type) {
      case 'conv1d':
      case 'conv2d':
      case 'depthwiseConv1d':
      case 'depthwiseConv2d':
      case 'dense': {
        const kshape = ls.params.find((p) => p.param === 'kernel')!.shape;
        const kernel = param(l, 'kernel', kshape);
        const cout = outShape[outShape.length - 1]!;
        const depthwise = l.type === 'depthwiseConv1d' || l.type === 'depthwiseConv2d';
        const is2d = l.type === 'conv2d' || l.type === 'depthwiseConv2d';
        const k1 = l.type === 'dense' ? 1 : is2d ? 1 : (l.kernelSize as number);
        const s1 = l.type === 'dense' ? 1 : is2d ? 1 : (l.strides as number);
        nodes.push({
          kind: l.type,
          name: l.name,
          kernel,
          kernelShape: depthwise ? kshape.slice(0, -1) : [...kshape],
          bias: l.useBias ? param(l, 'bias', [cout]) : new Float32Array(cout),
          activation: l.activation === 'softmax' ? 'linear' : l.activation,
          kernelSize: k1,
          strides: s1,
          kernelHW: l.type === 'dense' ? [1, 1] : is2d ? [...(l.kernelSize as [number, number])] : [1, k1],
          stridesHW: l.type === 'dense' ? [1, 1] : is2d ? [...(l.strides as [number, number])] : [1, s1],
          padding: l.type === 'dense' ? 'valid' : l.padding,
          inShape,
          outShape,
        });
        break;
      }
      case 'gru': {
        const u = l.units;
        const f = inShape[1]!;
        const bias = param(l, 'bias', [2, 3 * u]);
        nodes.push({
          kind: 'gru',
          name: l.name,
          units: u,
          returnSequences: l.returnSequences,
          kernel: param(l, 'kernel', [f, 3 * u]),
          kernelShape: [f, 3 * u],
          recurrentKernel: param(l, 'recurrentKernel', [u, 3 * u]),
          recurrentShape: [u, 3 * u],
          bias: bias.slice(0, 3 * u),
          recurrentBias: bias.slice(3 * u),
          inShape,
          outShape,
        });
        break;
      }
      case 'batchNorm': {
        const prev = last();
        if (!fold)
          refuse(
            `BatchNorm "${l.name}" must be folded: the integer engine has no BatchNorm op (enable BN folding)`,
          );
        if (!prev || !isWeighted(prev) || prev.activation !== 'linear')
          refuse(
            `BatchNorm "${l.name}" can only be folded into a conv/dense with a linear activation right before it`,
          );
        const get = (p: string) => {
          const w = weightOf(weights, l.name, p);
          if (!w) refuse(`BatchNorm "${l.name}": parameter ${p} missing`);
          return w.values;
        };
        foldBatchNorm(prev, get('gamma'), get('beta'), get('movingMean'), get('movingVariance'), l.epsilon);
        break;
      }
      case 'relu':
      case 'relu6': {
        const prev = last();
        if (!prev || !isWeighted(prev) || prev.activation !== 'linear')
          refuse(
            `${l.type} "${l.name}" must follow a conv/dense with a linear activation (it is fused into it)`,
          );
        prev.activation = l.type;
        break;
      }
      case 'maxPool1d':
      case 'avgPool1d':
      case 'maxPool2d':
      case 'avgPool2d': {
        const is1d = l.type === 'maxPool1d' || l.type === 'avgPool1d';
        const poolHW: [number, number] = is1d
          ? [1, l.poolSize as number]
          : [...(l.poolSize as [number, number])];
        const st = l.strides ?? l.poolSize;
        const stridesHW: [number, number] = is1d ? [1, st as number] : [...(st as [number, number])];
        nodes.push({
          kind: l.type,
          name: l.name,
          poolSize: poolHW[1],
          strides: stridesHW[1],
          poolHW,
          stridesHW,
          inShape,
          outShape,
        });
        break;
      }
      case 'flatten':
        nodes.push({ kind: 'flatten', name: l.name, inShape, outShape });
        break;
      case 'softmax':
        break;
    }
  });
  if (!nodes.some(hasWeights)) refuse('The model has no conv/dense/GRU layer to quantize.');
  return { inputShape: [...spec.inputShape], numClasses: spec.numClasses, nodes };
}

/**
 * BatchNorm folding (seed 004): W_fold = γW/√(σ²+ε), b_fold = β + γ(b − μ)/√(σ²+ε), per output channel.
 * Mutates the node in place.
 */
export function foldBatchNorm(
  node: WeightedNode,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  epsilon: number,
): void {
  const [rows, cout] = kernelMatrixShape(node);
  if (gamma.length !== cout)
    throw new BitbenchError(
      'bad_request',
      `BatchNorm after "${node.name}" has ${gamma.length} channels, expected ${cout}`,
    );
  for (let c = 0; c < cout; c++) {
    const f = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
    for (let r = 0; r < rows; r++) node.kernel[r * cout + c]! *= f;
    node.bias[c] = beta[c]! + f * (node.bias[c]! - mean[c]!);
  }
}

/** A deep copy, so pipeline steps can mutate weights without touching the caller's graph. */
export function cloneGraph(g: PtqGraph): PtqGraph {
  return {
    inputShape: [...g.inputShape],
    numClasses: g.numClasses,
    nodes: g.nodes.map((n): PtqNode => {
      const shapes = { inShape: [...n.inShape], outShape: [...n.outShape] };
      if (isWeighted(n))
        return {
          ...n,
          ...shapes,
          kernel: Float32Array.from(n.kernel),
          bias: Float32Array.from(n.bias),
          kernelShape: [...n.kernelShape],
        };
      if (isGru(n))
        return {
          ...n,
          ...shapes,
          kernel: Float32Array.from(n.kernel),
          recurrentKernel: Float32Array.from(n.recurrentKernel),
          bias: Float32Array.from(n.bias),
          recurrentBias: Float32Array.from(n.recurrentBias),
        };
      return { ...n, ...shapes };
    }),
  };
}

export function weightedNodes(g: PtqGraph): WeightedNode[] {
  return g.nodes.filter(isWeighted);
}

/** Conv/dense and GRU nodes in order: the layers the bit table names. */
export function quantizableNodes(g: PtqGraph): Array<WeightedNode | GruNode> {
  return g.nodes.filter(hasWeights);
}
