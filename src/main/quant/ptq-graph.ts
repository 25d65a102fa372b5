import type { LayerSpec, ModelSpec, NamedWeight } from '../../shared/model/spec';
import { BitbenchError } from '../../shared/errors';

/**
 * The float model as the PTQ pipeline sees it: a chain of nodes, BatchNorm folded into the conv/dense
 * before it and standalone ReLU/ReLU6 fused into it (the integer engine fuses them as an int8 clamp),
 * a final softmax dropped (argmax is unchanged; the integer model outputs logits).
 *
 * Kernels keep the Keras layout with the output channel last — conv1d [k, cin, cout], dense [in, out] —
 * so a conv is the matrix product of its im2col rows [k·cin] with the kernel seen as [k·cin, cout].
 */
export type Activation = 'linear' | 'relu' | 'relu6';

export interface WeightedNode {
  kind: 'conv1d' | 'dense';
  name: string;
  kernel: Float32Array;
  kernelShape: number[];
  bias: Float32Array;
  activation: Activation;
  /** conv1d only (dense: 1, 1, 'valid'). */
  kernelSize: number;
  strides: number;
  padding: 'valid' | 'same';
  inShape: number[];
  outShape: number[];
}

export interface PoolNode {
  kind: 'maxPool1d';
  name: string;
  poolSize: number;
  strides: number;
  inShape: number[];
  outShape: number[];
}

export interface FlattenNode {
  kind: 'flatten';
  name: string;
  inShape: number[];
  outShape: number[];
}

export type PtqNode = WeightedNode | PoolNode | FlattenNode;

export interface PtqGraph {
  inputShape: number[];
  numClasses: number;
  nodes: PtqNode[];
}

export function isWeighted(n: PtqNode): n is WeightedNode {
  return n.kind === 'conv1d' || n.kind === 'dense';
}

/** Rows and columns of the kernel seen as a matrix [fanIn, cout]. */
export function kernelMatrixShape(n: WeightedNode): [number, number] {
  const cout = n.kernelShape[n.kernelShape.length - 1]!;
  return [n.kernel.length / cout, cout];
}

/** Layer types the PTQ pipeline and the integer engine run (after folding/fusion). */
export const SUPPORTED_LAYER_TYPES = [
  'conv1d',
  'dense',
  'batchNorm',
  'relu',
  'relu6',
  'maxPool1d',
  'flatten',
  'softmax',
] as const;

function refuse(message: string): never {
  throw new BitbenchError('bad_request', message);
}

function weightOf(weights: readonly NamedWeight[], layer: string, param: string): NamedWeight | undefined {
  return weights.find((w) => w.layer === layer && w.param === param);
}

function convOutLen(len: number, k: number, s: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(len / s) : Math.floor((len - k) / s) + 1;
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
  const fold = opts.foldBatchNorm ?? true;
  const nodes: PtqNode[] = [];
  let shape = [...spec.inputShape];
  const last = (): PtqNode | undefined => nodes[nodes.length - 1];

  spec.layers.forEach((l: LayerSpec, idx) => {
    switch (l.type) {
      case 'conv1d': {
        if (shape.length !== 2)
          refuse(`conv1d "${l.name}" needs a [time, channels] input, got [${shape.join(', ')}]`);
        const cin = shape[1]!;
        const kw = weightOf(weights, l.name, 'kernel');
        const expected = [l.kernelSize, cin, l.filters];
        if (!kw || kw.values.length !== expected[0]! * expected[1]! * expected[2]!)
          refuse(`conv1d "${l.name}": kernel missing or not of shape [${expected.join(', ')}]`);
        const bw = weightOf(weights, l.name, 'bias');
        const outLen = convOutLen(shape[0]!, l.kernelSize, l.strides, l.padding);
        if (outLen < 1) refuse(`conv1d "${l.name}": input of ${shape[0]} steps is shorter than the kernel`);
        const node: WeightedNode = {
          kind: 'conv1d',
          name: l.name,
          kernel: Float32Array.from(kw.values),
          kernelShape: expected,
          bias: l.useBias && bw ? Float32Array.from(bw.values) : new Float32Array(l.filters),
          activation: l.activation,
          kernelSize: l.kernelSize,
          strides: l.strides,
          padding: l.padding,
          inShape: [...shape],
          outShape: [outLen, l.filters],
        };
        nodes.push(node);
        shape = node.outShape;
        break;
      }
      case 'dense': {
        if (shape.length !== 1)
          refuse(`dense "${l.name}" needs a flat input (add a flatten), got [${shape.join(', ')}]`);
        const fin = shape[0]!;
        const kw = weightOf(weights, l.name, 'kernel');
        if (!kw || kw.values.length !== fin * l.units)
          refuse(`dense "${l.name}": kernel missing or not of shape [${fin}, ${l.units}]`);
        const bw = weightOf(weights, l.name, 'bias');
        const activation = l.activation === 'softmax' ? 'linear' : l.activation;
        nodes.push({
          kind: 'dense',
          name: l.name,
          kernel: Float32Array.from(kw.values),
          kernelShape: [fin, l.units],
          bias: l.useBias && bw ? Float32Array.from(bw.values) : new Float32Array(l.units),
          activation,
          kernelSize: 1,
          strides: 1,
          padding: 'valid',
          inShape: [fin],
          outShape: [l.units],
        });
        shape = [l.units];
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
      case 'maxPool1d': {
        if (shape.length !== 2) refuse(`maxPool1d "${l.name}" needs a [time, channels] input`);
        const strides = l.strides ?? l.poolSize;
        const outLen = Math.floor((shape[0]! - l.poolSize) / strides) + 1;
        if (outLen < 1) refuse(`maxPool1d "${l.name}": input shorter than the pool`);
        nodes.push({
          kind: 'maxPool1d',
          name: l.name,
          poolSize: l.poolSize,
          strides,
          inShape: [...shape],
          outShape: [outLen, shape[1]!],
        });
        shape = [outLen, shape[1]!];
        break;
      }
      case 'flatten': {
        const n = shape.reduce((a, b) => a * b, 1);
        nodes.push({ kind: 'flatten', name: l.name, inShape: [...shape], outShape: [n] });
        shape = [n];
        break;
      }
      case 'softmax':
        break;
      default:
        refuse(`layer ${idx} "${l.name}" (${l.type}) is not supported`);
    }
  });
  if (!nodes.some(isWeighted)) refuse('The model has no conv/dense layer to quantize.');
  if (shape.length !== 1 || shape[0] !== spec.numClasses)
    refuse(`The model ends with shape [${shape.join(', ')}], expected [${spec.numClasses}] logits.`);
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
    nodes: g.nodes.map((n) =>
      isWeighted(n)
        ? {
            ...n,
            kernel: Float32Array.from(n.kernel),
            bias: Float32Array.from(n.bias),
            kernelShape: [...n.kernelShape],
            inShape: [...n.inShape],
            outShape: [...n.outShape],
          }
        : { ...n, inShape: [...n.inShape], outShape: [...n.outShape] },
    ),
  };
}

export function weightedNodes(g: PtqGraph): WeightedNode[] {
  return g.nodes.filter(isWeighted);
}
