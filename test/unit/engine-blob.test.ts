import { describe, expect, it } from 'vitest';
import {
  BLOB_HEADER_BYTES,
  H,
  L,
  LAYER_HEADER_BYTES,
  W,
  packRow,
  rowStrideBytes,
  unpackWeight,
} from '../../src/shared/engine/blob-format';
import type { IntegerModel } from '../../src/shared/quant/integer-model';
import { crc32 } from '../../src/main/device/crc32';
import { BlobFormatError, readBlob } from '../../src/main/engine/blob-reader';
import { BlobExportError, writeBlob } from '../../src/main/engine/blob-writer';
import { randomModel } from '../../src/main/engine/random-model';
import { ALL_BITS, ALL_OPS, resealBlob, withRowPadding } from '../helpers/engine-cases';

const q = { scale: 0.05, zeroPoint: 3 };
function denseModel(bits: 1 | 2 | 4 | 8, weights: number[], inF: number, outF: number): IntegerModel {
  return {
    version: 1,
    inputShape: [inF],
    input: q,
    numClasses: outF,
    output: { scale: 0.1, zeroPoint: -5 },
    layers: [
      {
        op: 'dense',
        name: 'fc',
        input: q,
        output: { scale: 0.1, zeroPoint: -5 },
        weightBits: bits,
        weights,
        weightScale: Array(outF).fill(0.01),
        bias: Array.from({ length: outF }, (_, i) => 100 * i - 50),
        requant: { multiplier: Array(outF).fill(2 ** 30), shift: Array(outF).fill(-2) },
        actMin: -128,
        actMax: 127,
        inFeatures: inF,
        outFeatures: outF,
      },
    ],
  };
}

/** Recomputes the CRC after a deliberate edit, so the test reaches the check behind it. */
function fixCrc(b: Uint8Array): void {
  new DataView(b.buffer).setUint32(H.crc32, crc32(b.subarray(H.totalSize)), true);
}
const reseal = resealBlob;

describe('weight packing', () => {
  it('4-bit: low nibbles of bytes 0..3 hold weights 0..3, high nibbles 4..7', () => {
    const out = new Uint8Array(8);
    packRow([1, 2, 3, 4, -1, -2, -3, -7, 5], 4, out, 0);
    expect(Array.from(out)).toEqual([0xf1, 0xe2, 0xd3, 0x94, 0x05, 0, 0, 0]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => unpackWeight(out, 0, i, 4))).toEqual([
      1, 2, 3, 4, -1, -2, -3, -7, 5,
    ]);
  });
  it('2-bit: 16 ternary fields per word, LSB first, 01 = +1, 11 = −1', () => {
    const out = new Uint8Array(4);
    packRow([1, -1, 0, 1, -1], 2, out, 0);
    expect(Array.from(out)).toEqual([0b01001101, 0b11, 0, 0]);
  });
  it('1-bit: 32 per word, LSB first, 1 → +1, 0 → −1', () => {
    const out = new Uint8Array(8);
    packRow([1, -1, -1, 1, 1, 1, 1, 1, -1, 1, ...Array(23).fill(-1)], 1, out, 0);
    expect(Array.from(out)).toEqual([0xf9, 0x02, 0, 0, 0, 0, 0, 0]);
    expect(rowStrideBytes(33, 1)).toBe(8);
  });
  it('rows round-trip at every width, rows padded to 4 bytes', () => {
    for (const bits of [1, 2, 4, 8] as const) {
      const r = bits === 8 ? 127 : bits === 4 ? 7 : 1;
      const vals = Array.from({ length: 37 }, (_, i) =>
        bits === 1 ? (i % 3 ? 1 : -1) : ((i * 5) % (2 * r + 1)) - r,
      );
      const stride = rowStrideBytes(vals.length, bits);
      expect(stride % 4).toBe(0);
      const out = new Uint8Array(stride);
      packRow(vals, bits, out, 0);
      expect(vals.map((_, i) => unpackWeight(out, 0, i, bits))).toEqual(vals);
    }
  });
});

describe('blob writer and reader', () => {
  it('writes the documented header and layer record', () => {
    const blob = writeBlob(denseModel(4, [1, -2, 3, 7, -7, 0, 1, 1, 2, -3], 5, 2), { modelId: 42 });
    const dv = new DataView(blob.buffer);
    expect(dv.getUint32(H.magic, true)).toBe(0x444d4242);
    expect(String.fromCharCode(...blob.subarray(0, 4))).toBe('BBMD');
    expect(dv.getUint16(H.version, true)).toBe(1);
    expect(dv.getUint32(H.totalSize, true)).toBe(blob.length);
    expect(blob.length % 4).toBe(0);
    expect(dv.getUint32(H.crc32, true)).toBe(crc32(blob.subarray(12)));
    expect(dv.getUint32(H.modelId, true)).toBe(42);
    const rec = BLOB_HEADER_BYTES;
    expect(dv.getUint8(rec + L.op)).toBe(3); // dense
    expect(dv.getUint8(rec + L.weightBits)).toBe(4);
    expect(dv.getUint32(rec + L.setA + W.nRows, true)).toBe(2);
    expect(dv.getUint32(rec + L.setA + W.rowStride, true)).toBe(4);
    const woff = dv.getUint32(rec + L.setA + W.weightsOff, true);
    expect(woff).toBe(LAYER_HEADER_BYTES);
    // row 0 = [1, −2, 3, 7, −7]: bytes 0..3 low nibbles 1, −2, 3, 7; byte 0 high nibble −7.
    expect(Array.from(blob.subarray(rec + woff, rec + woff + 4))).toEqual([0x91, 0x0e, 0x03, 0x07]);
    const wsumOff = dv.getUint32(rec + L.setA + W.wsumOff, true);
    expect(dv.getInt32(rec + wsumOff, true)).toBe(2);
    expect(dv.getInt32(rec + wsumOff + 4, true)).toBe(1);

    const p = readBlob(blob);
    expect(p.modelId).toBe(42);
    expect(p.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(p.inShape).toEqual([1, 1, 5]);
    expect(p.outLen).toBe(2);
    expect(p.layers[0]!.a.bias[1]).toBe(50);
    // The input's 8 aligned bytes at one end, the output's 4 at the other (no scratch).
    expect(p.arenaMin).toBe(12);
  });

  it('the hash ignores the model id and follows the content', () => {
    const a = readBlob(writeBlob(denseModel(8, [1, 2, 3, 4], 2, 2), { modelId: 1 }));
    const b = readBlob(writeBlob(denseModel(8, [1, 2, 3, 4], 2, 2), { modelId: 2 }));
    const c = readBlob(writeBlob(denseModel(8, [1, 2, 3, 5], 2, 2), { modelId: 1 }));
    expect(a.hash).toBe(b.hash);
    expect(a.crc32).not.toBe(b.crc32);
    expect(c.hash).not.toBe(a.hash);
  });

  it('round-trips random models of every op and width', () => {
    for (const op of ALL_OPS)
      for (const bits of ALL_BITS) {
        const blob = writeBlob(randomModel(7 + bits, op, bits, { head: true }));
        const p = readBlob(blob);
        expect(p.layers.length).toBeGreaterThanOrEqual(1);
        expect(p.totalSize).toBe(blob.length);
      }
  });

  describe('refuses bad input with a reason', () => {
    const good = () => writeBlob(denseModel(8, [1, 2, 3, 4, 5, 6], 3, 2));
    it('truncated', () =>
      expect(() => readBlob(good().subarray(0, 100), 'm.bbm')).toThrow(
        /m\.bbm: header says \d+ bytes but the blob has 100/,
      ));
    it('shorter than a header', () => expect(() => readBlob(new Uint8Array(10))).toThrow(/truncated/));
    it('corrupted (CRC)', () => {
      const b = good();
      b[b.length - 3]! ^= 0x40;
      expect(() => readBlob(b)).toThrow(BlobFormatError);
      expect(() => readBlob(b)).toThrow(/CRC-32 mismatch/);
    });
    it('wrong version', () => {
      const b = good();
      new DataView(b.buffer).setUint16(H.version, 2, true);
      fixCrc(b);
      expect(() => readBlob(b)).toThrow(/format version 2/);
    });
    it('bad magic', () => {
      const b = good();
      b[0] = 0;
      expect(() => readBlob(b)).toThrow(/bad magic/);
    });
    it('tampered content behind a recomputed CRC (hash)', () => {
      const b = good();
      const dv = new DataView(b.buffer);
      const biasOff = dv.getUint32(BLOB_HEADER_BYTES + L.setA + W.biasOff, true);
      dv.setInt32(BLOB_HEADER_BYTES + biasOff, 12345, true);
      fixCrc(b);
      expect(() => readBlob(b)).toThrow(/model hash/);
    });
    it('section offsets outside the record', () => {
      const b = good();
      const dv = new DataView(b.buffer);
      dv.setUint32(BLOB_HEADER_BYTES + L.setA + W.multOff, 1 << 20, true);
      reseal(b);
      expect(() => readBlob(b)).toThrow(
        /layer 0 at byte 64: weight set A: multipliers section \[1048576, \+8\) is outside the record/,
      );
    });
    it('a lying weight sum', () => {
      const b = good();
      const dv = new DataView(b.buffer);
      const off = dv.getUint32(BLOB_HEADER_BYTES + L.setA + W.wsumOff, true);
      dv.setInt32(BLOB_HEADER_BYTES + off, 7, true);
      reseal(b);
      expect(() => readBlob(b)).toThrow(/row 0: stored weight sum 7 differs from the weights' 6/);
    });
    it('nonzero padding after a weight row (the int8 kernels read the padded word)', () => {
      // 3 int8 weights per row, stride 4: byte 3 of row 0 is padding.
      expect(() => readBlob(withRowPadding(good()))).toThrow(
        /row 0: nonzero padding after the row \(slot 3\)/,
      );
      const binary = writeBlob(denseModel(1, [1, -1, 1, -1, -1, 1], 3, 2));
      expect(readBlob(binary).layers).toHaveLength(1);
      const dv = new DataView(binary.buffer);
      binary[BLOB_HEADER_BYTES + dv.getUint32(BLOB_HEADER_BYTES + L.setA + W.weightsOff, true)]! |= 0x10; // bit 4 of row 0
      reseal(binary);
      expect(() => readBlob(binary)).toThrow(/row 0: nonzero padding after the row \(slot 4\)/);
    });
    it('an arena smaller than the layers need', () => {
      const b = good();
      new DataView(b.buffer).setUint32(H.arenaMin, 4, true);
      reseal(b);
      expect(() => readBlob(b)).toThrow(/arena_min 4 is less than the layers need/);
    });
    it('weights outside the bit width', () => {
      expect(() => writeBlob(denseModel(4, [1, 2, 3, 8, 5, 6], 3, 2))).toThrow(
        /weight 3 = 8 is outside the 4-bit range/,
      );
      expect(() => writeBlob(denseModel(1, [1, 0, 1, 1, 1, 1], 3, 2))).toThrow(BlobExportError);
      expect(() => writeBlob(denseModel(2, [1, 2, 1, 1, 1, 1], 3, 2))).toThrow(/2-bit/);
    });
    it('shapes that do not chain', () => {
      const m = denseModel(8, [1, 2, 3, 4, 5, 6], 3, 2);
      m.inputShape = [4];
      expect(() => writeBlob(m)).toThrow(
        /layer fc \(dense\): 3 input features, but the previous layer produces \[1, 1, 4\]/,
      );
      const conv = randomModel(3, 'conv1d', 8);
      const l = conv.layers[0]!;
      if (l.op === 'conv1d') l.inShape = [l.inShape[0]! + 1, l.inShape[1]!];
      expect(() => writeBlob(conv)).toThrow(/does not chain/);
    });
    it('quantisation that does not chain', () => {
      const m = randomModel(5, 'conv1d', 8, { head: true });
      m.layers[m.layers.length - 1]!.input = { scale: 0.5, zeroPoint: 9 };
      expect(() => writeBlob(m)).toThrow(/input quantisation .* does not match the previous output/);
    });
    it('an accumulator that could overflow int32', () => {
      const m = denseModel(8, [127, 127, 127, 127, 127, 127], 3, 2);
      const l = m.layers[0]!;
      if (l.op === 'dense') l.bias = [2 ** 31 - 100, 0];
      expect(() => writeBlob(m)).toThrow(/overflow/);
    });
    it('a GRU whose state is not Q7', () => {
      const m = randomModel(11, 'gru', 8);
      m.layers[0]!.output = { scale: 0.02, zeroPoint: 0 };
      m.output = m.layers[0]!.output;
      expect(() => writeBlob(m)).toThrow(/Q7/);
    });
  });
});
