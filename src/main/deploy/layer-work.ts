import { tensorBytes, type BlobLayer, type ParsedBlob } from '../../shared/engine/blob-format';
import type { IntegerModel } from '../../shared/quant/integer-model';

/**
 * What each layer of a blob asks of the device: MACs for the layers with weights, and for the
 * others the element operations (a pool's window reads, a ReLU's elements), plus the number of
 * outputs it writes (each costs a requantisation and a store). The cost model and the per-layer
 * report both read these, so "counts per MAC" means the same thing everywhere.
 */
export interface LayerWork {
  index: number;
  /** The integer model's layer name (blob records keep no names; they are 1:1 with its layers). */
  name: string;
  /** The integer model's op (`conv1d`), as the user wrote it. */
  op: string;
  /** The firmware kernel that runs it (`conv2d` for a conv1d), the cost model's key. */
  kernel: string;
  /** Weight bit width; null for layers without weights. */
  weightBits: number | null;
  macs: number;
  /** MACs for weighted layers, element operations for the rest. */
  work: number;
  outputs: number;
  /**
   * Kernel height of a conv (1 for a conv1d): the firmware runs a one-row kernel straight from the
   * input, a taller one through an im2col column, at very different costs. 1 for other layers.
   */
  kernelH: number;
  /**
   * A one-row conv the M4's blocked binary kernel takes when its weights are 1-bit (firmware
   * bb_conv_b1.c: kh = 1, 4 ≤ row ≤ 256, ≥ 4 filters; any requant shift since 2026-12-07, when
   * multipliers ≥ 0.25 — what binary layers' scales give — stopped sending it to the per-position
   * kernel); false otherwise.
   */
  rowBlockable: boolean;
}

const WEIGHTED = new Set(['conv2d', 'depthwiseConv2d', 'dense', 'gru']);

function workOf(l: BlobLayer): { macs: number; work: number; outputs: number } {
  const outputs = tensorBytes(l.outShape);
  switch (l.op) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      const macs = outputs * l.a.rowLen;
      return { macs, work: macs, outputs };
    }
    case 'dense': {
      const macs = l.a.nRows * l.a.rowLen;
      return { macs, work: macs, outputs };
    }
    case 'gru': {
      // Input kernel [3u][in] and recurrent kernel [3u][u], once per time step.
      const steps = l.a.rowLen > 0 ? Math.round(tensorBytes(l.inShape) / l.a.rowLen) : 0;
      const perStep = l.a.nRows * l.a.rowLen + (l.b ? l.b.nRows * l.b.rowLen : 0);
      const macs = steps * perStep;
      return { macs, work: macs, outputs };
    }
    case 'maxPool2d':
    case 'avgPool2d':
      return { macs: 0, work: outputs * l.kernel[0] * l.kernel[1], outputs };
    case 'relu':
      return { macs: 0, work: outputs, outputs };
    case 'flatten':
      return { macs: 0, work: 0, outputs: 0 };
  }
}

export function layerWork(blob: ParsedBlob, model?: IntegerModel): LayerWork[] {
  return blob.layers.map((l, i) => {
    const named = model?.layers[i];
    return {
      index: i,
      name: named?.name ?? `layer${i}`,
      op: named?.op ?? l.op,
      kernel: l.op,
      weightBits: WEIGHTED.has(l.op) ? l.weightBits : null,
      kernelH: l.op === 'conv2d' || l.op === 'depthwiseConv2d' ? l.kernel[0] : 1,
      rowBlockable:
        l.op === 'conv2d' && l.kernel[0] === 1 && l.a.rowLen >= 4 && l.a.rowLen <= 256 && l.a.nRows >= 4,
      ...workOf(l),
    };
  });
}
