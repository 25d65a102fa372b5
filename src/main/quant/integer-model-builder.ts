import { containerBits, type AffineEncoding } from '../../shared/quant/encoding';
import type { ActQuant, IntLayer, IntegerModel, WeightBits } from '../../shared/quant/integer-model';
import { BitbenchError } from '../../shared/errors';
import { clamp, roundHalfUp } from './affine-quantizer';
import { quantizeMultiplier } from './fixed-point';
import { isWeighted, kernelMatrixShape, type PtqGraph, type WeightedNode } from './ptq-graph';

/**
 * From the PTQ result (integer weight levels, encodings, float biases) to the integer model the
 * engine and firmware run. Everything the device needs is integer: weight levels, int32 biases at
 * s_in·s_w[c], per-channel multiplier + shift for M = s_in·s_w[c]/s_out, zero points, clamp ranges.
 */
export interface QuantizedLayer {
  /** Integer weight levels in the Keras layout of `node.kernel` (output channel last). */
  levels: Int32Array;
  weightEnc: AffineEncoding;
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

/** Keras [k, cin, cout] / [in, out] levels → the integer model's [cout][k][cin] / [out][in]. */
function toOutputMajor(levels: Int32Array, node: WeightedNode): number[] {
  const [rows, cout] = kernelMatrixShape(node);
  const out = new Array<number>(levels.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cout; c++) out[c * rows + r] = levels[r * cout + c]!;
  return out;
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
      const ws = ql.weightEnc.scales;
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
        weights: toOutputMajor(ql.levels, node),
        weightScale: [...ws],
        bias: Array.from(bias),
        requant: { multiplier: mult, shift },
        ...clampRange(node.activation, outEnc),
      };
      if (node.kind === 'conv1d') {
        layers.push({
          op: 'conv1d',
          ...common,
          inShape: [...node.inShape],
          outShape: [...node.outShape],
          kernelSize: node.kernelSize,
          strides: node.strides,
          padding: node.padding,
        });
      } else {
        layers.push({
          op: 'dense',
          ...common,
          inFeatures: node.kernelShape[0]!,
          outFeatures: node.kernelShape[1]!,
        });
      }
    } else if (node.kind === 'maxPool1d') {
      layers.push({
        op: 'maxPool1d',
        name: node.name,
        input,
        output,
        inShape: [...node.inShape],
        outShape: [...node.outShape],
        poolSize: [node.poolSize],
        strides: [node.strides],
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
    numClasses: q.graph.numClasses,
    layers,
    output: actQuantOf(q.outputEncs[q.outputEncs.length - 1]!),
  };
}
