import type { IntegerModel } from '../../shared/quant/integer-model';
import { containerBits } from '../../shared/quant/encoding';

/**
 * Size, compute and memory of a quantized model (seed 003 §4.3):
 * - BOPs(l) = MACs(l) · b_w · b_a, with b_a the bit width of the layer's *input*;
 * - peak_memory = total_weight · b_w + peak_activation · b_a (bits; per-layer widths summed, the
 *   largest activation tensor at its own width), assuming earlier activations are released;
 * - stored bytes: weights packed at their container width (1/2/4/8 bits, byte-aligned per layer),
 *   int32 biases, and the per-channel requantisation metadata (int32 multiplier + int8 shift) plus a
 *   small fixed header per layer — an estimate until the blob exporter gives the exact figure;
 * - arena: the int8 activation memory the firmware needs when it keeps a layer's input and output
 *   alive together (flatten is a view), each buffer 4-byte aligned.
 */
export interface LayerBits {
  weights: number;
  /** Bits of the layer's output activation (the next layer's input). */
  acts: number;
}

export interface LayerCost {
  name: string;
  op: string;
  macs: number;
  weightCount: number;
  biasCount: number;
  weightBits: number;
  inputBits: number;
  outputBits: number;
  bops: number;
  weightBytes: number;
}

export interface ModelCost {
  layers: LayerCost[];
  macs: number;
  bops: number;
  weightBytes: number;
  biasBytes: number;
  metadataBytes: number;
  modelBytes: number;
  peakMemoryBytes: number;
  arenaBytes: number;
  params: number;
}

const HEADER_BYTES = 32;
const LAYER_HEADER_BYTES = 16;
const align4 = (n: number) => Math.ceil(n / 4) * 4;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Costs of an integer model. `bits` gives the nominal bit widths per weighted layer (3-bit weights are
 * stored in 4-bit containers but cost 3 bits in BOPs and the seed's peak-memory formula); `inputBits` is
 * the model input's width.
 */
export function integerModelCost(
  model: IntegerModel,
  bits: ReadonlyMap<string, LayerBits>,
  inputBits = 8,
): ModelCost {
  const layers: LayerCost[] = [];
  let actBits = inputBits;
  let biasBytes = 0;
  let metadataBytes = HEADER_BYTES;
  let weightBytes = 0;
  let params = 0;
  let peakAct = prod(model.inputShape) * inputBits;
  let arena = 0;
  let inBytes = align4(prod(model.inputShape));
  for (const l of model.layers) {
    if (l.op === 'conv1d' || l.op === 'conv2d' || l.op === 'depthwiseConv2d' || l.op === 'dense') {
      const b = bits.get(l.name) ?? { weights: l.weightBits, acts: 8 };
      const cout = l.bias.length;
      const outSize = l.op === 'dense' ? l.outFeatures : prod(l.outShape);
      const fanIn = l.weights.length / cout;
      const macs = l.op === 'depthwiseConv2d' ? (outSize / cout) * cout * fanIn : outSize * fanIn;
      const wBytes = Math.ceil((l.weights.length * containerBits(b.weights)) / 8);
      layers.push({
        name: l.name,
        op: l.op,
        macs,
        weightCount: l.weights.length,
        biasCount: cout,
        weightBits: b.weights,
        inputBits: actBits,
        outputBits: b.acts,
        bops: macs * b.weights * actBits,
        weightBytes: wBytes,
      });
      weightBytes += wBytes;
      biasBytes += 4 * cout;
      metadataBytes += LAYER_HEADER_BYTES + 5 * cout;
      params += l.weights.length + cout;
      peakAct = Math.max(peakAct, outSize * b.acts);
      const outBytes = align4(outSize);
      arena = Math.max(arena, inBytes + outBytes);
      inBytes = outBytes;
      actBits = b.acts;
    } else if (l.op === 'gru') {
      // Input kernel [3u][F] + recurrent kernel [3u][u] at the layer's bits, two int32 bias rows [3u].
      const b = bits.get(l.name) ?? { weights: l.weightBits, acts: 8 };
      const u = l.units;
      const weightCount = 3 * u * (l.inFeatures + u);
      const macs = l.timeSteps * weightCount;
      const outSize = l.returnSequences ? l.timeSteps * u : u;
      const wBytes =
        Math.ceil((3 * u * l.inFeatures * containerBits(b.weights)) / 8) +
        Math.ceil((3 * u * u * containerBits(b.weights)) / 8);
      layers.push({
        name: l.name,
        op: l.op,
        macs,
        weightCount,
        biasCount: 6 * u,
        weightBits: b.weights,
        inputBits: actBits,
        outputBits: 8,
        bops: macs * b.weights * actBits,
        weightBytes: wBytes,
      });
      weightBytes += wBytes;
      biasBytes += 4 * 6 * u;
      metadataBytes += LAYER_HEADER_BYTES + 5 * 6 * u;
      params += weightCount + 6 * u;
      peakAct = Math.max(peakAct, outSize * 8);
      const outBytes = align4(outSize);
      arena = Math.max(arena, inBytes + outBytes);
      inBytes = outBytes;
      actBits = 8;
    } else if (l.op === 'flatten') {
      metadataBytes += 4;
    } else {
      const outSize = 'outShape' in l ? prod(l.outShape) : 0;
      const outBytes = align4(outSize);
      arena = Math.max(arena, inBytes + outBytes);
      inBytes = outBytes;
      metadataBytes += LAYER_HEADER_BYTES;
    }
  }
  const totalWeightBits = layers.reduce((s, l) => s + l.weightCount * l.weightBits, 0);
  return {
    layers,
    macs: layers.reduce((s, l) => s + l.macs, 0),
    bops: layers.reduce((s, l) => s + l.bops, 0),
    weightBytes,
    biasBytes,
    metadataBytes,
    modelBytes: weightBytes + biasBytes + metadataBytes,
    peakMemoryBytes: Math.ceil((totalWeightBits + peakAct) / 8),
    arenaBytes: arena,
    params,
  };
}

/** The float32 model's figures for the same graph (32-bit weights and activations, float biases). */
export function floatModelCost(model: IntegerModel): {
  bops: number;
  modelBytes: number;
  peakMemoryBytes: number;
  params: number;
} {
  const bits = new Map<string, LayerBits>();
  for (const l of model.layers) if ('weights' in l) bits.set(l.name, { weights: 32, acts: 32 });
  let maxAct = prod(model.inputShape);
  let weights = 0;
  let params = 0;
  let macs = 0;
  for (const l of model.layers) {
    if ('weights' in l) {
      const cout = l.bias.length;
      const outSize = l.op === 'dense' ? l.outFeatures : prod(l.outShape);
      weights += l.weights.length;
      params += l.weights.length + cout;
      macs += outSize * (l.weights.length / cout);
      maxAct = Math.max(maxAct, outSize);
    } else if (l.op === 'gru') {
      const w = 3 * l.units * (l.inFeatures + l.units);
      weights += w;
      params += w + 6 * l.units;
      macs += l.timeSteps * w;
      maxAct = Math.max(maxAct, l.returnSequences ? l.timeSteps * l.units : l.units);
    }
  }
  return {
    bops: macs * 32 * 32,
    modelBytes: params * 4,
    peakMemoryBytes: ((weights + maxAct) * 32) / 8,
    params,
  };
}
