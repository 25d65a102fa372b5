import { containerBits, type AffineEncoding } from '../../shared/quant/encoding';
import type { ActQuant, IntLayer, IntegerModel, WeightBits } from '../../shared/quant/integer-model';
import { BitbenchError } from '../../shared/errors';
import { clamp, roundHalfUp } from './affine-quantizer';
import { quantizeMultiplier } from './fixed-point';
import type { GruIntLayer } from './integer-sim';
import {
  isGru,
  isPool,
  isWeighted,
  kernelMatrixShape,
  type GruNode,
  type PtqGraph,
  type WeightedNode,
} from './ptq-graph';

/**
 * From the PTQ result (integer weight levels, encodings, float biases) to the integer model the
 * engine and firmware run. Everything the device needs is integer: weight levels, int32 biases at
 * s_in·s_w[c], per-channel multiplier + shift for M = s_in·s_w[c]/s_out, zero points, clamp ranges.
 */
export interface QuantizedLayer {
  /** Integer weight levels in the Keras layout of `node.kernel` (output channel last). */
  levels: Int32Array;
  weightEnc: AffineEncoding;
  /** GRU only: the recurrent kernel's levels ([u, 3u]) and encoding. */
  recurrent?: { levels: Int32Array; weightEnc: AffineEncoding };
}

export interface QuantizedGraph {
  graph: PtqGraph;
  inputEnc: AffineEncoding;
  /** Encoding of each node's output tensor (pool/flatten repeat their input's). */
  outputEncs: AffineEncoding[];
  /** Per weighted node name. */
  layers: Map<string, QuantizedLayer>;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function actQuantOf(enc: AffineEncoding): ActQuant {
  if (enc.granularity !== 'per-tensor' || enc.symmetric || !enc.signed || enc.qmin < -128 || enc.qmax > 127) {
    throw new BitbenchError('internal', 'activation encodings must be asymmetric per-tensor inside int8');
  }
  return { scale: enc.scales[0]!, zeroPoint: enc.zeroPoints[0]! };
}

/** int32 bias levels at s_in·s_w[c] (what the simulated model adds too). */
export function biasLevels(bias: Float32Array, inScale: number, weightScales: readonly number[]): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++)
    out[c] = clamp(roundHalfUp(bias[c]! / (inScale * weightScales[c]!)), INT32_MIN, INT32_MAX);
  return out;
}

/** Fused activation as an int8 clamp on the output grid: ReLU → [zp, qmax], ReLU6 → [zp, zp + ⌊6/s⌉]. */
export function clampRange(
  activation: WeightedNode['activation'],
  out: AffineEncoding,
): { actMin: number; actMax: number } {
  const zp = out.zeroPoints[0]!;
  const s = out.scales[0]!;
  if (activation === 'relu') return { actMin: Math.max(out.qmin, zp), actMax: out.qmax };
  if (activation === 'relu6')
    return { actMin: Math.max(out.qmin, zp), actMax: Math.min(out.qmax, zp + roundHalfUp(6 / s)) };
  return { actMin: out.qmin, actMax: out.qmax };
}

/**
 * Keras-layout levels seen as [rows, cout] (conv [k, cin, cout], conv2d [kh, kw, cin, cout], depthwise
 * [kh, kw, c], dense [in, out], GRU [in, 3u]) → the integer model's output-major [cout][rows].
 */
function toOutputMajor(levels: Int32Array, rows: number, cout: number): number[] {
  const out = new Array<number>(levels.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cout; c++) out[c * rows + r] = levels[r * cout + c]!;
  return out;
}

/** One scale per output channel (a per-tensor encoding repeats its scale). */
export function channelScales(enc: AffineEncoding, cout: number): number[] {
  return enc.scales.length === cout ? [...enc.scales] : Array.from({ length: cout }, () => enc.scales[0]!);
}

/** The GRU's hidden state as an activation encoding: int8 Q7 (scale 1/128, zero point 0), fixed. */
export function gruStateEncoding(): AffineEncoding {
  return {
    bits: 8,
    signed: true,
    symmetric: false,
    granularity: 'per-tensor',
    channelAxis: -1,
    scales: [1 / 128],
    zeroPoints: [0],
    qmin: -128,
    qmax: 127,
  };
}

/**
 * A GRU's integer layer (docs/integer-arithmetic.md § GRU): input kernel and recurrent kernel levels
 * [3u][·], int32 biases at s_in·s_W[r] and (1/128)·s_U[r], and the requantisation of each accumulator
 * to the Q3.12 gate pre-activation, M = s_in·s_W[r]·4096 and (1/128)·s_U[r]·4096.
 */
export function gruIntLayer(node: GruNode, ql: QuantizedLayer, input: ActQuant): GruIntLayer {
  const rec = ql.recurrent;
  if (!rec) throw new BitbenchError('internal', `GRU ${node.name} has no quantized recurrent kernel`);
  const u = node.units;
  const f = node.kernelShape[0];
  const ws = channelScales(ql.weightEnc, 3 * u);
  const us = channelScales(rec.weightEnc, 3 * u);
  const state = 1 / 128;
  const requant = (scales: number[], inScale: number) => {
    const mult: number[] = [];
    const shift: number[] = [];
    for (const s of scales) {
      const m = quantizeMultiplier(inScale * s * 4096);
      mult.push(m.multiplier);
      shift.push(m.shift);
    }
    return { multiplier: mult, shift };
  };
  const bits = containerBits(Math.max(ql.weightEnc.bits, rec.weightEnc.bits)) as WeightBits;
  return {
    op: 'gru',
    name: node.name,
    input,
    output: actQuantOf(gruStateEncoding()),
    units: u,
    inFeatures: f,
    timeSteps: node.inShape[0]!,
    returnSequences: node.returnSequences,
    weightBits: bits,
    extra: {
      kernel: toOutputMajor(ql.levels, f, 3 * u),
      recurrentKernel: toOutputMajor(rec.levels, u, 3 * u),
      kernelBias: Array.from(biasLevels(node.bias, input.scale, ws)),
      recurrentBias: Array.from(biasLevels(node.recurrentBias, state, us)),
      kernelRequant: requant(ws, input.scale),
      recurrentRequant: requant(us, state),
      kernelScale: ws,
      recurrentScale: us,
    },
  };
}

export function buildIntegerModel(q: QuantizedGraph): IntegerModel {
  const layers: IntLayer[] = [];
  let inEnc = q.inputEnc;
  q.graph.nodes.forEach((node, i) => {
    const outEnc = q.outputEncs[i]!;
    const input = actQuantOf(inEnc);
    const output = actQuantOf(outEnc);
    if (isWeighted(node)) {
      const ql = q.layers.get(node.name);
      if (!ql) throw new BitbenchError('internal', `no quantized weights for ${node.name}`);
      const [rows, cout] = kernelMatrixShape(node);
      const ws = channelScales(ql.weightEnc, cout);
      const bias = biasLevels(node.bias, input.scale, ws);
      const mult: number[] = [];
      const shift: number[] = [];
      for (const s of ws) {
        const m = quantizeMultiplier((input.scale * s) / output.scale);
        mult.push(m.multiplier);
        shift.push(m.shift);
      }
      const common = {
        name: node.name,
        input,
        output,
        weightBits: containerBits(ql.weightEnc.bits) as WeightBits,
        weights: toOutputMajor(ql.levels, rows, cout),
        weightScale: ws,
        bias: Array.from(bias),
        requant: { multiplier: mult, shift },
        ...clampRange(node.activation, outEnc),
      };
      const shapes = { inShape: [...node.inShape], outShape: [...node.outShape], padding: node.padding };
      switch (node.kind) {
        case 'conv1d':
          layers.push({
            op: 'conv1d',
            ...common,
            ...shapes,
            kernelSize: node.kernelSize,
            strides: node.strides,
          });
          break;
        case 'conv2d':
        case 'depthwiseConv1d':
        case 'depthwiseConv2d':
          layers.push({
            op: node.kind === 'conv2d' ? 'conv2d' : 'depthwiseConv2d',
            ...common,
            ...shapes,
            kernelSize: [...node.kernelHW],
            strides: [...node.stridesHW],
          });
          break;
        case 'dense':
          layers.push({
            op: 'dense',
            ...common,
            inFeatures: node.kernelShape[0]!,
            outFeatures: node.kernelShape[1]!,
          });
          break;
      }
    } else if (isGru(node)) {
      const ql = q.layers.get(node.name);
      if (!ql) throw new BitbenchError('internal', `no quantized weights for ${node.name}`);
      layers.push(gruIntLayer(node, ql, input));
    } else if (isPool(node)) {
      const is1d = node.kind.endsWith('1d');
      layers.push({
        op: node.kind,
        name: node.name,
        input,
        output,
        inShape: [...node.inShape],
        outShape: [...node.outShape],
        poolSize: is1d ? [node.poolSize] : [...node.poolHW],
        strides: is1d ? [node.strides] : [...node.stridesHW],
      });
    } else {
      layers.push({ op: 'flatten', name: node.name, input, output });
    }
    inEnc = outEnc;
  });
  return {
    version: 1,
    inputShape: [...q.graph.inputShape],
    input: actQuantOf(q.inputEnc),
    ...(q.inputEnc.qmin > -128 || q.inputEnc.qmax < 127
      ? { inputLevels: { min: q.inputEnc.qmin, max: q.inputEnc.qmax } }
      : {}),
    numClasses: q.graph.numClasses,
    layers,
    output: actQuantOf(q.outputEncs[q.outputEncs.length - 1]!),
  };
}
