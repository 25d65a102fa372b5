import { createHash } from 'node:crypto';
import {
  BLOB_HEADER_BYTES,
  BLOB_MAGIC,
  BLOB_VERSION,
  GRU_STATE_SCALE,
  GruExtraSchema,
  H,
  L,
  LAYER_HEADER_BYTES,
  MAX_DIM,
  MAX_LAYERS,
  OpCode,
  W,
  WEIGHT_RANGE,
  align4,
  layerScratchBytes,
  packRow,
  rowStrideBytes,
  tensorBytes,
  type OpCodeName,
} from '../../shared/engine/blob-format';
import {
  IntegerModelSchema,
  type ActQuant,
  type IntLayer,
  type IntegerModel,
} from '../../shared/quant/integer-model';
import { crc32 } from '../device/crc32';
import { IDENTITY_REQUANT, quantizeMultiplier } from './int-math';

/** A model the exporter refuses; the message names the layer and what is wrong. */
export class BlobExportError extends Error {
  override name = 'BlobExportError';
}

type Shape3 = [number, number, number];

/** One weight set before packing: integer rows plus per-row bias and requant. */
interface SetSpec {
  nRows: number;
  rowLen: number;
  bits: 1 | 2 | 4 | 8;
  weights: ArrayLike<number>; // [nRows][rowLen]
  bias: ArrayLike<number>;
  mult: ArrayLike<number>;
  shift: ArrayLike<number>;
  /** Largest |q_in − zp_in| the accumulator sees (255 for int8 activations). */
  maxAbsInput: number;
}

interface LayerSpec {
  op: OpCodeName;
  name: string;
  weightBits: number;
  inZp: number;
  outZp: number;
  actMin: number;
  actMax: number;
  padding: 0 | 1;
  flags: number;
  inShape: Shape3;
  outShape: Shape3;
  kernel: [number, number];
  strides: [number, number];
  pad: [number, number];
  a: SetSpec;
  b: SetSpec | null;
  units?: number;
}

export interface WriteBlobOptions {
  /** Stored in the header for the host's bookkeeping (e.g. the database id); not part of the hash. */
  modelId?: number;
}

const I32_MAX = 2147483647;

/** Serialises an integer model into a version-1 blob (docs/model-format.md). Throws BlobExportError. */
export function writeBlob(model: IntegerModel, opts: WriteBlobOptions = {}): Uint8Array {
  const parsed = IntegerModelSchema.safeParse(model);
  if (!parsed.success) throw new BlobExportError(`integer model is malformed: ${parsed.error.message}`);
  const m = parsed.data;
  if (m.layers.length === 0) throw new BlobExportError('integer model has no layers');
  if (m.layers.length > MAX_LAYERS)
    throw new BlobExportError(`integer model has ${m.layers.length} layers; at most ${MAX_LAYERS}`);

  const inShape = to3(m.inputShape, 'model input');
  const specs: LayerSpec[] = [];
  let shape: Shape3 = inShape;
  let quant: ActQuant = m.input;
  for (const layer of m.layers) {
    const spec = layerSpec(layer, shape, quant);
    specs.push(spec);
    shape = spec.outShape;
    quant = layer.output;
  }
  const outLen = tensorBytes(shape);
  if (outLen > 0xffff) throw new BlobExportError(`model output of ${outLen} bytes exceeds 65535`);
  if (quant.zeroPoint !== m.output.zeroPoint) {
    throw new BlobExportError(
      `model output zero point ${m.output.zeroPoint} differs from the last layer's ${quant.zeroPoint}`,
    );
  }

  const records = specs.map(encodeLayer);
  const total = BLOB_HEADER_BYTES + records.reduce((s, r) => s + r.length, 0);
  const blob = new Uint8Array(total);
  const dv = new DataView(blob.buffer);
  dv.setUint32(H.magic, BLOB_MAGIC, true);
  dv.setUint16(H.version, BLOB_VERSION, true);
  dv.setUint16(H.headerBytes, BLOB_HEADER_BYTES, true);
  dv.setUint32(H.totalSize, total, true);
  dv.setUint32(H.modelId, (opts.modelId ?? 0) >>> 0, true);
  dv.setUint16(H.nLayers, specs.length, true);
  const { arenaMin, arenaAll, scratch } = arenaOf(inShape, specs);
  dv.setUint32(H.arenaMin, arenaMin, true);
  dv.setUint32(H.arenaAll, arenaAll, true);
  dv.setUint32(H.scratchBytes, scratch, true);
  dv.setUint16(H.inH, inShape[0], true);
  dv.setUint16(H.inW, inShape[1], true);
  dv.setUint16(H.inC, inShape[2], true);
  dv.setUint16(H.outLen, outLen, true);
  dv.setInt8(H.inZp, m.input.zeroPoint);
  dv.setInt8(H.outZp, m.output.zeroPoint);
  dv.setUint16(H.numClasses, m.numClasses, true);
  dv.setFloat32(H.inScale, m.input.scale, true);
  dv.setFloat32(H.outScale, m.output.scale, true);
  let at = BLOB_HEADER_BYTES;
  for (const r of records) {
    blob.set(r, at);
    at += r.length;
  }
  blob.set(createHash('sha256').update(blob.subarray(H.nLayers)).digest().subarray(0, 8), H.hash);
  dv.setUint32(H.crc32, crc32(blob.subarray(H.totalSize)), true);
  return blob;
}

/**
 * Arena sizes the runner needs. Minimum: a layer's input sits at one end of the arena and its
 * output is written at the other, so the largest input + output pair (each 4-aligned) plus the
 * kernels' scratch — not twice the largest tensor: a layer that shrinks its input (stride 2, pool)
 * leaves room. Keep-all: every layer output in its own region (for LAYER_OUTPUT after a run).
 */
export function arenaOf(
  inShape: Shape3,
  specs: readonly Pick<LayerSpec, 'op' | 'outShape' | 'kernel' | 'inShape' | 'units'>[],
) {
  let cur = tensorBytes(inShape);
  let pair = align4(cur);
  let all = align4(cur);
  let scratch = 0;
  for (const s of specs) {
    const n = tensorBytes(s.outShape);
    if (s.op !== 'flatten') {
      pair = Math.max(pair, align4(cur) + align4(n));
      all += align4(n);
    }
    cur = n;
    scratch = Math.max(scratch, layerScratchBytes(s.op, s));
  }
  return { arenaMin: pair + scratch, arenaAll: all + scratch, scratch };
}

function to3(shape: readonly number[], what: string): Shape3 {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1 || d > MAX_DIM)
      throw new BlobExportError(`${what}: dimension ${d} is outside 1..${MAX_DIM}`);
  }
  if (shape.length === 1) return [1, 1, shape[0]!];
  if (shape.length === 2) return [1, shape[0]!, shape[1]!];
  if (shape.length === 3) return [shape[0]!, shape[1]!, shape[2]!];
  throw new BlobExportError(`${what}: shape [${shape.join(', ')}] must have 1 to 3 dimensions`);
}

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** TensorFlow's output length and leading pad for one spatial dimension. */
export function convGeometry(
  inLen: number,
  k: number,
  s: number,
  padding: 'valid' | 'same',
): { out: number; pad: number } {
  if (padding === 'valid') return { out: Math.floor((inLen - k) / s) + 1, pad: 0 };
  const out = Math.ceil(inLen / s);
  const total = Math.max((out - 1) * s + k - inLen, 0);
  return { out, pad: Math.floor(total / 2) };
}

function checkQuantChain(layer: IntLayer, prev: ActQuant): void {
  if (
    layer.input.zeroPoint !== prev.zeroPoint ||
    Math.abs(layer.input.scale - prev.scale) > 1e-6 * prev.scale
  ) {
    throw new BlobExportError(
      `layer ${layer.name} (${layer.op}): input quantisation (scale ${layer.input.scale}, zp ${layer.input.zeroPoint}) ` +
        `does not match the previous output (scale ${prev.scale}, zp ${prev.zeroPoint})`,
    );
  }
}

function checkWeights(name: string, bits: 1 | 2 | 4 | 8, w: ArrayLike<number>): void {
  const r = WEIGHT_RANGE[bits];
  for (let i = 0; i < w.length; i++) {
    const v = w[i]!;
    if (!Number.isInteger(v) || v < -r || v > r || (bits === 1 && v === 0)) {
      throw new BlobExportError(
        `layer ${name}: weight ${i} = ${v} is outside the ${bits}-bit range ${bits === 1 ? '{−1, +1}' : `[−${r}, ${r}]`}`,
      );
    }
  }
}

/** Refuses rows whose worst-case accumulation could overflow int32 (C would be undefined there). */
function checkAccumulator(name: string, s: SetSpec, inZp: number): void {
  for (let c = 0; c < s.nRows; c++) {
    let absSum = 0;
    let sum = 0;
    for (let i = 0; i < s.rowLen; i++) {
      const v = s.weights[c * s.rowLen + i]!;
      absSum += Math.abs(v);
      sum += v;
    }
    const b = Math.abs(s.bias[c]!);
    const folded = Math.abs(s.bias[c]! - inZp * sum);
    if (
      b + absSum * s.maxAbsInput > I32_MAX ||
      folded + absSum * 255 > I32_MAX ||
      Math.abs(inZp * sum) > I32_MAX
    ) {
      throw new BlobExportError(
        `layer ${name}: channel ${c} can overflow the int32 accumulator (bias ${s.bias[c]}, Σ|w| ${absSum})`,
      );
    }
  }
}

function weightedSet(
  layer: Extract<IntLayer, { weights: number[] }>,
  nRows: number,
  rowLen: number,
): SetSpec {
  const bits = layer.weightBits;
  if (layer.weights.length !== nRows * rowLen) {
    throw new BlobExportError(
      `layer ${layer.name}: ${layer.weights.length} weights, expected ${nRows} × ${rowLen}`,
    );
  }
  for (const [what, arr] of [
    ['bias', layer.bias],
    ['requant.multiplier', layer.requant.multiplier],
    ['requant.shift', layer.requant.shift],
  ] as const) {
    if (arr.length !== nRows)
      throw new BlobExportError(`layer ${layer.name}: ${what} has ${arr.length} entries, expected ${nRows}`);
  }
  checkWeights(layer.name, bits, layer.weights);
  if (layer.actMin > layer.actMax)
    throw new BlobExportError(`layer ${layer.name}: actMin ${layer.actMin} > actMax ${layer.actMax}`);
  const s: SetSpec = {
    nRows,
    rowLen,
    bits,
    weights: layer.weights,
    bias: layer.bias,
    mult: layer.requant.multiplier,
    shift: layer.requant.shift,
    maxAbsInput: 255,
  };
  checkAccumulator(layer.name, s, layer.input.zeroPoint);
  return s;
}

function requantOnly(m: { multiplier: number; shift: number }): SetSpec {
  return {
    nRows: 1,
    rowLen: 0,
    bits: 8,
    weights: [],
    bias: [0],
    mult: [m.multiplier],
    shift: [m.shift],
    maxAbsInput: 255,
  };
}

function layerSpec(layer: IntLayer, cur: Shape3, prevQuant: ActQuant): LayerSpec {
  checkQuantChain(layer, prevQuant);
  const base = {
    name: layer.name,
    inZp: layer.input.zeroPoint,
    outZp: layer.output.zeroPoint,
    actMin: -128,
    actMax: 127,
    padding: 0 as 0 | 1,
    flags: 0,
    inShape: cur,
    kernel: [1, 1] as [number, number],
    strides: [1, 1] as [number, number],
    pad: [0, 0] as [number, number],
    b: null,
  };
  const expectIn = (declared: readonly number[]) => {
    const d = to3(declared, `layer ${layer.name} inShape`);
    if (!same(d, cur))
      throw new BlobExportError(
        `layer ${layer.name} (${layer.op}): input shape ${fmt(declared)} does not chain: the previous layer produces ${fmt(cur)}`,
      );
  };
  const expectOut = (declared: readonly number[], computed: Shape3) => {
    const d = to3(declared, `layer ${layer.name} outShape`);
    if (!same(d, computed))
      throw new BlobExportError(
        `layer ${layer.name} (${layer.op}): declared output shape ${fmt(declared)}, computed ${fmt(computed)}`,
      );
  };
  switch (layer.op) {
    case 'conv1d':
    case 'conv2d':
    case 'depthwiseConv2d': {
      expectIn(layer.inShape);
      const k: [number, number] = layer.op === 'conv1d' ? [1, layer.kernelSize] : layer.kernelSize;
      const st: [number, number] = layer.op === 'conv1d' ? [1, layer.strides] : layer.strides;
      if (layer.op === 'depthwiseConv2d' && layer.inShape.length === 2 && k[0] !== 1) {
        throw new BlobExportError(`layer ${layer.name}: a 1-D depthwise conv needs kernel height 1`);
      }
      const gh = convGeometry(cur[0], k[0], st[0], layer.padding);
      const gw = convGeometry(cur[1], k[1], st[1], layer.padding);
      if (gh.out < 1 || gw.out < 1)
        throw new BlobExportError(
          `layer ${layer.name}: kernel ${fmt(k)} is larger than the input ${fmt(cur)}`,
        );
      const outC = layer.op === 'depthwiseConv2d' ? cur[2] : to3(layer.outShape, layer.name)[2];
      const out: Shape3 = [gh.out, gw.out, outC];
      expectOut(layer.outShape, out);
      const rowLen = layer.op === 'depthwiseConv2d' ? k[0] * k[1] : k[0] * k[1] * cur[2];
      return {
        ...base,
        op: layer.op === 'depthwiseConv2d' ? 'depthwiseConv2d' : 'conv2d',
        weightBits: layer.weightBits,
        actMin: layer.actMin,
        actMax: layer.actMax,
        padding: layer.padding === 'same' ? 1 : 0,
        outShape: out,
        kernel: k,
        strides: st,
        pad: [gh.pad, gw.pad],
        a: weightedSet(layer, outC, rowLen),
      };
    }
    case 'dense': {
      if (tensorBytes(cur) !== layer.inFeatures) {
        throw new BlobExportError(
          `layer ${layer.name} (dense): ${layer.inFeatures} input features, but the previous layer produces ${fmt(cur)}`,
        );
      }
      return {
        ...base,
        op: 'dense',
        weightBits: layer.weightBits,
        actMin: layer.actMin,
        actMax: layer.actMax,
        outShape: [1, 1, layer.outFeatures],
        a: weightedSet(layer, layer.outFeatures, layer.inFeatures),
      };
    }
    case 'gru':
      return gruSpec(layer, cur, base);
    case 'maxPool1d':
    case 'avgPool1d':
    case 'maxPool2d':
    case 'avgPool2d': {
      expectIn(layer.inShape);
      const is1d = layer.op.endsWith('1d');
      const k: [number, number] = is1d ? [1, layer.poolSize[0]!] : [layer.poolSize[0]!, layer.poolSize[1]!];
      const st: [number, number] = is1d
        ? [1, layer.strides[0] ?? k[1]]
        : [layer.strides[0] ?? k[0], layer.strides[1] ?? k[1]];
      if (k.some((v) => !(v >= 1)) || st.some((v) => !(v >= 1)))
        throw new BlobExportError(`layer ${layer.name}: bad pool size/strides`);
      const out: Shape3 = [
        convGeometry(cur[0], k[0], st[0], 'valid').out,
        convGeometry(cur[1], k[1], st[1], 'valid').out,
        cur[2],
      ];
      if (out[0] < 1 || out[1] < 1)
        throw new BlobExportError(`layer ${layer.name}: pool ${fmt(k)} is larger than the input ${fmt(cur)}`);
      expectOut(layer.outShape, out);
      const isMax = layer.op.startsWith('max');
      const n = k[0] * k[1];
      const ratio = layer.input.scale / layer.output.scale;
      const sameQuant = layer.input.zeroPoint === layer.output.zeroPoint && Math.abs(ratio - 1) < 1e-9;
      const rq = isMax && sameQuant ? IDENTITY_REQUANT : quantizeMultiplier(isMax ? ratio : ratio / n);
      return {
        ...base,
        op: isMax ? 'maxPool2d' : 'avgPool2d',
        weightBits: 0,
        outShape: out,
        kernel: k,
        strides: st,
        a: requantOnly(rq),
      };
    }
    case 'relu': {
      if (layer.actMin > layer.actMax || layer.actMin < -128 || layer.actMax > 127)
        throw new BlobExportError(`layer ${layer.name}: bad clamp [${layer.actMin}, ${layer.actMax}]`);
      const ratio = layer.input.scale / layer.output.scale;
      const rq = Math.abs(ratio - 1) < 1e-9 ? IDENTITY_REQUANT : quantizeMultiplier(ratio);
      return {
        ...base,
        op: 'relu',
        weightBits: 0,
        actMin: layer.actMin,
        actMax: layer.actMax,
        outShape: cur,
        a: requantOnly(rq),
      };
    }
    case 'flatten':
      if (layer.input.zeroPoint !== layer.output.zeroPoint)
        throw new BlobExportError(`layer ${layer.name}: flatten cannot change the zero point`);
      return {
        ...base,
        op: 'flatten',
        weightBits: 0,
        outShape: [1, 1, tensorBytes(cur)],
        a: requantOnly(IDENTITY_REQUANT),
      };
  }
}

function gruSpec(
  layer: Extract<IntLayer, { op: 'gru' }>,
  cur: Shape3,
  base: Omit<LayerSpec, 'op' | 'weightBits' | 'outShape' | 'a'>,
): LayerSpec {
  const ex = GruExtraSchema.safeParse(layer.extra);
  if (!ex.success)
    throw new BlobExportError(
      `layer ${layer.name} (gru): extra parameters are malformed: ${ex.error.message}`,
    );
  const e = ex.data;
  const u = layer.units;
  if (cur[0] !== 1 || cur[1] !== layer.timeSteps || cur[2] !== layer.inFeatures) {
    throw new BlobExportError(
      `layer ${layer.name} (gru): expects [${layer.timeSteps}, ${layer.inFeatures}], the previous layer produces ${fmt(cur)}`,
    );
  }
  if (layer.output.zeroPoint !== 0 || Math.abs(layer.output.scale - GRU_STATE_SCALE) > 1e-9) {
    throw new BlobExportError(
      `layer ${layer.name} (gru): the hidden state is Q7; output quantisation must be scale 1/128, zero point 0`,
    );
  }
  const set = (
    w: number[],
    b: number[],
    rq: { multiplier: number[]; shift: number[] },
    rowLen: number,
    what: string,
    maxAbsInput: number,
  ): SetSpec => {
    if (w.length !== 3 * u * rowLen)
      throw new BlobExportError(
        `layer ${layer.name} (gru): ${what} has ${w.length} weights, expected ${3 * u} × ${rowLen}`,
      );
    if (b.length !== 3 * u || rq.multiplier.length !== 3 * u || rq.shift.length !== 3 * u) {
      throw new BlobExportError(`layer ${layer.name} (gru): ${what} bias/requant need ${3 * u} entries`);
    }
    checkWeights(layer.name, layer.weightBits, w);
    const s: SetSpec = {
      nRows: 3 * u,
      rowLen,
      bits: layer.weightBits,
      weights: w,
      bias: b,
      mult: rq.multiplier,
      shift: rq.shift,
      maxAbsInput,
    };
    return s;
  };
  const a = set(e.kernel, e.kernelBias, e.kernelRequant, layer.inFeatures, 'kernel', 255);
  const b = set(e.recurrentKernel, e.recurrentBias, e.recurrentRequant, u, 'recurrentKernel', 255);
  checkAccumulator(layer.name, a, layer.input.zeroPoint);
  checkAccumulator(layer.name, b, 0);
  return {
    ...base,
    op: 'gru',
    weightBits: layer.weightBits,
    flags: layer.returnSequences ? 1 : 0,
    outShape: layer.returnSequences ? [1, layer.timeSteps, u] : [1, 1, u],
    a,
    b,
    units: u,
  };
}

function setBytes(s: SetSpec): number {
  return rowStrideBytes(s.rowLen, s.bits) * s.nRows + 16 * s.nRows;
}

function writeSet(rec: Uint8Array, dv: DataView, setAt: number, s: SetSpec, at: number): number {
  const stride = rowStrideBytes(s.rowLen, s.bits);
  dv.setUint32(setAt + W.nRows, s.nRows, true);
  dv.setUint32(setAt + W.rowLen, s.rowLen, true);
  dv.setUint32(setAt + W.rowStride, stride, true);
  dv.setUint32(setAt + W.weightsOff, at, true);
  for (let c = 0; c < s.nRows; c++) {
    const row = Array.prototype.slice.call(s.weights, c * s.rowLen, (c + 1) * s.rowLen) as number[];
    packRow(row, s.bits, rec, at + c * stride);
  }
  at += stride * s.nRows;
  const arrays: Array<[number, (c: number) => number]> = [
    [W.biasOff, (c) => s.bias[c]!],
    [
      W.wsumOff,
      (c) => {
        let sum = 0;
        for (let i = 0; i < s.rowLen; i++) sum += s.weights[c * s.rowLen + i]!;
        return sum;
      },
    ],
    [W.multOff, (c) => s.mult[c]!],
    [W.shiftOff, (c) => s.shift[c]!],
  ];
  for (const [field, get] of arrays) {
    dv.setUint32(setAt + field, at, true);
    for (let c = 0; c < s.nRows; c++) dv.setInt32(at + 4 * c, get(c), true);
    at += 4 * s.nRows;
  }
  return at;
}

function encodeLayer(s: LayerSpec): Uint8Array {
  const size = align4(LAYER_HEADER_BYTES + setBytes(s.a) + (s.b ? setBytes(s.b) : 0));
  const rec = new Uint8Array(size);
  const dv = new DataView(rec.buffer);
  dv.setUint8(L.op, OpCode[s.op]);
  dv.setUint8(L.weightBits, s.weightBits);
  dv.setInt8(L.inZp, s.inZp);
  dv.setInt8(L.outZp, s.outZp);
  dv.setInt8(L.actMin, s.actMin);
  dv.setInt8(L.actMax, s.actMax);
  dv.setUint8(L.padding, s.padding);
  dv.setUint8(L.flags, s.flags);
  const dims = [...s.inShape, ...s.outShape];
  for (const d of dims)
    if (d > MAX_DIM) throw new BlobExportError(`layer ${s.name}: dimension ${d} exceeds ${MAX_DIM}`);
  dims.forEach((d, i) => dv.setUint16(L.inH + 2 * i, d, true));
  dv.setUint16(L.kh, s.kernel[0], true);
  dv.setUint16(L.kw, s.kernel[1], true);
  dv.setUint16(L.sh, s.strides[0], true);
  dv.setUint16(L.sw, s.strides[1], true);
  dv.setUint16(L.padTop, s.pad[0], true);
  dv.setUint16(L.padLeft, s.pad[1], true);
  dv.setUint32(L.recordBytes, size, true);
  const at = writeSet(rec, dv, L.setA, s.a, LAYER_HEADER_BYTES);
  if (s.b) writeSet(rec, dv, L.setB, s.b, at);
  return rec;
}
