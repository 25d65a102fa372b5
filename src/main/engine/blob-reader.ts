import { createHash } from 'node:crypto';
import {
  BLOB_HEADER_BYTES,
  BLOB_MAGIC,
  BLOB_VERSION,
  H,
  L,
  LAYER_HEADER_BYTES,
  MAX_LAYERS,
  OP_NAMES,
  W,
  rowStrideBytes,
  tensorBytes,
  unpackWeight,
  type BlobLayer,
  type BlobWeightSet,
  type ParsedBlob,
} from '../../shared/engine/blob-format';
import { crc32 } from '../device/crc32';
import { arenaOf, convGeometry } from './blob-writer';

/** A blob the reader refuses: the message says which byte/layer/field and why. */
export class BlobFormatError extends Error {
  override name = 'BlobFormatError';
}

type Shape3 = [number, number, number];

/**
 * Parses and fully validates a blob: header, CRC, hash, every layer record's bounds, shapes that
 * chain, packed weight ranges and the stored weight sums. The firmware's bb_blob_check runs the
 * same checks; a blob this accepts, the firmware accepts, and the other way round.
 */
export function readBlob(blob: Uint8Array, what = 'blob'): ParsedBlob {
  const fail = (msg: string): never => {
    throw new BlobFormatError(`${what}: ${msg}`);
  };
  if (blob.length < BLOB_HEADER_BYTES)
    fail(`truncated: ${blob.length} bytes, the header alone is ${BLOB_HEADER_BYTES}`);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u16 = (o: number) => dv.getUint16(o, true);
  if (u32(H.magic) !== BLOB_MAGIC)
    fail(`bad magic 0x${u32(H.magic).toString(16)} (not a bitbench model blob)`);
  const version = u16(H.version);
  if (version !== BLOB_VERSION) fail(`format version ${version}; this build reads version ${BLOB_VERSION}`);
  if (u16(H.headerBytes) !== BLOB_HEADER_BYTES)
    fail(`header size ${u16(H.headerBytes)}, expected ${BLOB_HEADER_BYTES}`);
  const totalSize = u32(H.totalSize);
  if (totalSize !== blob.length)
    fail(`header says ${totalSize} bytes but the blob has ${blob.length} (truncated or padded)`);
  if (totalSize % 4 !== 0) fail(`size ${totalSize} is not a multiple of 4`);
  const crc = u32(H.crc32);
  const actualCrc = crc32(blob.subarray(H.totalSize));
  if (crc !== actualCrc)
    fail(
      `CRC-32 mismatch: header 0x${crc.toString(16).padStart(8, '0')}, content 0x${actualCrc.toString(16).padStart(8, '0')}`,
    );
  const hash = Buffer.from(blob.subarray(H.hash, H.hash + 8)).toString('hex');
  const actualHash = createHash('sha256')
    .update(blob.subarray(H.nLayers))
    .digest()
    .subarray(0, 8)
    .toString('hex');
  if (hash !== actualHash) fail(`model hash ${hash} does not match the content (${actualHash})`);

  const nLayers = u16(H.nLayers);
  if (nLayers < 1 || nLayers > MAX_LAYERS) fail(`${nLayers} layers; must be 1..${MAX_LAYERS}`);
  const inShape: Shape3 = [u16(H.inH), u16(H.inW), u16(H.inC)];
  if (inShape.some((d) => d < 1)) fail(`input shape [${inShape.join(', ')}] has a zero dimension`);
  const inZp = dv.getInt8(H.inZp);
  const outZp = dv.getInt8(H.outZp);

  const layers: BlobLayer[] = [];
  let at = BLOB_HEADER_BYTES;
  let cur = inShape;
  let curZp = inZp;
  for (let i = 0; i < nLayers; i++) {
    const layer = readLayer(blob, dv, at, i, cur, curZp, (msg) => fail(`layer ${i} at byte ${at}: ${msg}`));
    layers.push(layer);
    at += layer.recordBytes;
    cur = layer.outShape;
    curZp = layer.outZp;
  }
  if (at !== totalSize) fail(`${totalSize - at} bytes after the last layer record`);
  const outLen = u16(H.outLen);
  if (outLen !== tensorBytes(cur))
    fail(`output length ${outLen} does not match the last layer's ${tensorBytes(cur)} bytes`);
  if (outZp !== curZp) fail(`output zero point ${outZp} does not match the last layer's ${curZp}`);
  // What the layers need, computed as the writer computes it (GRU units: the recurrent set's rows).
  const need = arenaOf(
    inShape,
    layers.map((l) => ({
      op: l.op,
      outShape: l.outShape,
      kernel: l.kernel,
      inShape: l.inShape,
      units: l.b?.rowLen ?? 0,
    })),
  );
  const { scratch } = need;
  const pair = need.arenaMin - scratch; // largest align4(in) + align4(out) of a layer
  const all = need.arenaAll - scratch;
  const scratchBytes = u32(H.scratchBytes);
  if (scratchBytes < scratch)
    fail(`scratch ${scratchBytes} bytes is less than the kernels need (${scratch})`);
  const arenaMin = u32(H.arenaMin);
  if (arenaMin < pair + scratchBytes)
    fail(`arena_min ${arenaMin} is less than the layers need (${pair + scratchBytes})`);
  const arenaAll = u32(H.arenaAll);
  if (arenaAll < all + scratchBytes)
    fail(`arena_all ${arenaAll} is less than the layers need (${all + scratchBytes})`);
  return {
    version,
    totalSize,
    crc32: crc,
    hash,
    modelId: u32(H.modelId),
    arenaMin,
    arenaAll,
    scratchBytes,
    inShape,
    outLen,
    inZp,
    outZp,
    numClasses: u16(H.numClasses),
    inScale: dv.getFloat32(H.inScale, true),
    outScale: dv.getFloat32(H.outScale, true),
    layers,
  };
}

function readLayer(
  blob: Uint8Array,
  dv: DataView,
  at: number,
  index: number,
  cur: Shape3,
  curZp: number,
  fail: (msg: string) => never,
): BlobLayer {
  if (at + LAYER_HEADER_BYTES > blob.length) fail('record header runs past the end of the blob');
  const u8 = (o: number) => dv.getUint8(at + o);
  const i8 = (o: number) => dv.getInt8(at + o);
  const u16 = (o: number) => dv.getUint16(at + o, true);
  const recordBytes = dv.getUint32(at + L.recordBytes, true);
  if (recordBytes < LAYER_HEADER_BYTES || recordBytes % 4 !== 0 || at + recordBytes > blob.length) {
    fail(`record size ${recordBytes} is not a multiple of 4 inside the blob`);
  }
  const op = OP_NAMES[u8(L.op)];
  if (!op) fail(`unknown op code ${u8(L.op)}`);
  const weightBits = u8(L.weightBits);
  const weighted = op === 'conv2d' || op === 'depthwiseConv2d' || op === 'dense' || op === 'gru';
  if (weighted ? ![1, 2, 4, 8].includes(weightBits) : weightBits !== 0)
    fail(`${op}: weight bits ${weightBits} not allowed`);
  const inShape: Shape3 = [u16(L.inH), u16(L.inH + 2), u16(L.inH + 4)];
  const outShape: Shape3 = [u16(L.outH), u16(L.outH + 2), u16(L.outH + 4)];
  const kernel: [number, number] = [u16(L.kh), u16(L.kw)];
  const strides: [number, number] = [u16(L.sh), u16(L.sw)];
  const pad: [number, number] = [u16(L.padTop), u16(L.padLeft)];
  const padCode = u8(L.padding);
  const flags = u8(L.flags);
  const inZp = i8(L.inZp);
  const outZp = i8(L.outZp);
  const actMin = i8(L.actMin);
  const actMax = i8(L.actMax);
  if (inZp !== curZp) fail(`input zero point ${inZp} does not match the previous output's ${curZp}`);
  if (actMin > actMax) fail(`act_min ${actMin} > act_max ${actMax}`);
  if (padCode > 1) fail(`padding code ${padCode}`);
  if (flags & ~1 || (flags && op !== 'gru')) fail(`flags 0x${flags.toString(16)}`);
  if ([...outShape, ...kernel, ...strides].some((d) => d < 1)) fail('a zero dimension, kernel or stride');
  const fmt = (s: number[]) => `[${s.join(', ')}]`;
  // The writer stores every layer's input as the previous output verbatim (dense and flatten included).
  if (inShape.some((d, k) => d !== cur[k])) {
    fail(`input shape ${fmt(inShape)} does not chain with the previous output ${fmt(cur)}`);
  }
  const set = (o: number, what: string): BlobWeightSet =>
    readSet(blob, dv, at, recordBytes, L.setA + o, weightBits || 8, o === 0 ? inZp : 0, (m) =>
      fail(`${what}: ${m}`),
    );
  const a = set(0, 'weight set A');
  let b: BlobWeightSet | null = null;
  const expect = (cond: boolean, msg: string) => {
    if (!cond) fail(msg);
  };
  switch (op) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      const padding = padCode ? 'same' : 'valid';
      const gh = convGeometry(inShape[0], kernel[0], strides[0], padding);
      const gw = convGeometry(inShape[1], kernel[1], strides[1], padding);
      expect(
        gh.out === outShape[0] && gw.out === outShape[1] && gh.pad === pad[0] && gw.pad === pad[1],
        `output ${fmt(outShape)} / pad ${fmt(pad)} do not follow from the input and kernel`,
      );
      const dw = op === 'depthwiseConv2d';
      expect(!dw || outShape[2] === inShape[2], 'depthwise must keep the channel count');
      expect(
        a.nRows === outShape[2] && a.rowLen === kernel[0] * kernel[1] * (dw ? 1 : inShape[2]),
        `weights ${a.nRows} × ${a.rowLen} do not fit the kernel`,
      );
      break;
    }
    case 'dense':
      expect(
        outShape[0] === 1 &&
          outShape[1] === 1 &&
          a.nRows === outShape[2] &&
          a.rowLen === tensorBytes(inShape),
        `weights ${a.nRows} × ${a.rowLen} do not fit ${fmt(inShape)} → ${fmt(outShape)}`,
      );
      break;
    case 'gru': {
      const u = a.nRows / 3;
      expect(
        Number.isInteger(u) && u >= 1 && inShape[0] === 1 && a.rowLen === inShape[2],
        `kernel ${a.nRows} × ${a.rowLen} does not fit ${fmt(inShape)}`,
      );
      b = set(L.setB - L.setA, 'weight set B');
      expect(
        b.nRows === 3 * u && b.rowLen === u,
        `recurrent kernel ${b.nRows} × ${b.rowLen}, expected ${3 * u} × ${u}`,
      );
      expect(outZp === 0, 'the GRU state is Q7 with zero point 0');
      const seq = (flags & 1) === 1;
      expect(
        outShape[0] === 1 && outShape[1] === (seq ? inShape[1] : 1) && outShape[2] === u,
        `output ${fmt(outShape)} does not follow from units ${u}`,
      );
      break;
    }
    case 'maxPool2d':
    case 'avgPool2d':
      expect(
        outShape[0] === Math.floor((inShape[0] - kernel[0]) / strides[0]) + 1 &&
          outShape[1] === Math.floor((inShape[1] - kernel[1]) / strides[1]) + 1 &&
          outShape[2] === inShape[2],
        `output ${fmt(outShape)} does not follow from the pool`,
      );
      expect(a.nRows === 1 && a.rowLen === 0 && padCode === 0, 'pools carry one requant and no weights');
      expect(kernel[0] * kernel[1] * 255 <= I32_MAX, 'pool window too large for the int32 sum');
      break;
    case 'relu':
      expect(
        outShape.every((d, k) => d === inShape[k]) && a.nRows === 1 && a.rowLen === 0,
        'relu keeps the shape and carries one requant',
      );
      break;
    case 'flatten':
      expect(
        outShape[0] === 1 && outShape[1] === 1 && outShape[2] === tensorBytes(inShape) && inZp === outZp,
        'flatten must produce [1, 1, n] with the same zero point',
      );
      break;
  }
  return {
    index,
    op,
    weightBits,
    inZp,
    outZp,
    actMin,
    actMax,
    padding: padCode ? 'same' : 'valid',
    returnSequences: (flags & 1) === 1,
    inShape,
    outShape,
    kernel,
    strides,
    pad,
    a,
    b,
    offset: at,
    recordBytes,
  };
}

const I32_MAX = 2147483647;

function readSet(
  blob: Uint8Array,
  dv: DataView,
  rec: number,
  recBytes: number,
  setAt: number,
  bits: number,
  inZp: number,
  fail: (msg: string) => never,
): BlobWeightSet {
  const f = (o: number) => dv.getUint32(rec + setAt + o, true);
  const nRows = f(W.nRows);
  const rowLen = f(W.rowLen);
  const rowStride = f(W.rowStride);
  if (nRows < 1 || nRows > 0xffff * 3) fail(`${nRows} rows`);
  if (rowStride !== rowStrideBytes(rowLen, bits))
    fail(`row stride ${rowStride}, expected ${rowStrideBytes(rowLen, bits)}`);
  const section = (field: number, bytes: number, name: string): number => {
    const off = f(field);
    if (off % 4 !== 0 || off < LAYER_HEADER_BYTES || off + bytes > recBytes)
      fail(`${name} section [${off}, +${bytes}) is outside the record or unaligned`);
    return rec + off;
  };
  const wAt = section(W.weightsOff, rowStride * nRows, 'weights');
  const i32 = (field: number, name: string) => {
    const o = section(field, 4 * nRows, name);
    // Copy: the blob buffer may not be 4-aligned in memory (Int32Array views require it).
    return new Int32Array(blob.slice(o, o + 4 * nRows).buffer);
  };
  const ws: BlobWeightSet = {
    nRows,
    rowLen,
    rowStride,
    weights: blob.subarray(wAt, wAt + rowStride * nRows),
    bias: i32(W.biasOff, 'bias'),
    wsum: i32(W.wsumOff, 'weight sums'),
    mult: i32(W.multOff, 'multipliers'),
    shift: i32(W.shiftOff, 'shifts'),
  };
  for (let c = 0; c < nRows; c++) {
    if (ws.mult[c]! < 0) fail(`row ${c}: negative multiplier ${ws.mult[c]}`);
    if (ws.shift[c]! < -31 || ws.shift[c]! > 30) fail(`row ${c}: shift ${ws.shift[c]} outside [−31, 30]`);
    let sum = 0;
    let absSum = 0;
    for (let i = 0; i < rowLen; i++) {
      const v = unpackWeight(ws.weights, c * rowStride, i, bits);
      if (bits === 2 && v === -2) fail(`row ${c}: 2-bit weight ${i} uses the invalid code 10`);
      sum += v;
      absSum += Math.abs(v);
    }
    // The padding up to the row stride is zero bits: the int8 kernels read a row's last word whole.
    for (let i = rowLen; i < (rowStride * 8) / bits; i++) {
      const v = unpackWeight(ws.weights, c * rowStride, i, bits);
      if (bits === 1 ? v !== -1 : v !== 0) fail(`row ${c}: nonzero padding after the row (slot ${i})`);
    }
    if (sum !== ws.wsum[c])
      fail(`row ${c}: stored weight sum ${ws.wsum[c]} differs from the weights' ${sum}`);
    // No int32 accumulator may overflow, whichever order a kernel sums in (C would be undefined there).
    const bias = ws.bias[c]!;
    if (Math.abs(bias) + absSum * 255 > I32_MAX || Math.abs(bias - inZp * sum) + absSum * 128 > I32_MAX) {
      fail(`row ${c}: bias ${bias} with Σ|w| = ${absSum} can overflow the int32 accumulator`);
    }
  }
  return ws;
}
