import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as codec from '../../src/main/device/codec';
import {
  boardErrorName,
  HelloInfoSchema,
  kernelsFromMask,
  weightBitsFromMask,
  type HelloInfo,
} from '../../src/shared/protocol';

const ascii = fc.string({ maxLength: 40 });
const u32 = fc.nat({ max: 0xffffffff });
const arbHello: fc.Arbitrary<HelloInfo> = fc
  .record({
    protocolVersion: fc.integer({ min: 0, max: 0xffff }),
    maxPayload: fc.integer({ min: 0, max: 0xffff }),
    clockHz: u32,
    ramBytes: u32,
    ramFree: u32,
    flashBytes: u32,
    flashFree: u32,
    modelSlotBytes: u32,
    arenaBytes: u32,
    counterKind: fc.constantFrom('cycles' as const, 'instructions' as const, 'microseconds' as const),
    icountShift: fc.integer({ min: 0, max: 255 }),
    kernelMask: fc.integer({ min: 0, max: 0xffff }),
    weightBitsMask: fc.integer({ min: 0, max: 255 }),
    board: ascii,
    cpu: ascii,
    firmwareVersion: ascii,
    buildId: ascii,
  })
  .map((h) => ({
    ...h,
    kernels: kernelsFromMask(h.kernelMask),
    weightBits: weightBitsFromMask(h.weightBitsMask),
  }));

describe('HELLO payload', () => {
  it('round-trips and validates against the boundary schema', () => {
    fc.assert(
      fc.property(arbHello, (h) => {
        const back = codec.decodeHelloInfo(codec.encodeHelloInfo(h));
        expect(back).toEqual(h);
        expect(HelloInfoSchema.parse(back)).toEqual(h);
      }),
    );
  });

  it('has the documented 38-byte fixed part, little-endian', () => {
    const h = fc.sample(arbHello, 1)[0]!;
    const bytes = codec.encodeHelloInfo({
      ...h,
      board: '',
      cpu: '',
      firmwareVersion: '',
      buildId: '',
      protocolVersion: 0x0201,
    });
    expect(bytes.length).toBe(38 + 4);
    expect([bytes[0], bytes[1]]).toEqual([0x01, 0x02]);
    expect(codec.peekProtocolVersion(bytes)).toBe(0x0201);
  });

  it('names the missing bytes of a truncated payload', () => {
    const bytes = codec.encodeHelloInfo(fc.sample(arbHello, 1)[0]!);
    expect(() => codec.decodeHelloInfo(bytes.subarray(0, 20))).toThrow(
      /malformed HELLO payload: needs \d+ bytes, has 20/,
    );
  });

  it('lists kernels and weight widths from the masks', () => {
    expect(kernelsFromMask(0b1000_1001)).toEqual(['conv1d', 'dense', 'softmax']);
    expect(weightBitsFromMask(0x01 | 0x02 | 0x08 | 0x80)).toEqual([1, 2, 4, 8]);
  });
});

describe('other payloads', () => {
  it('ModelInfo round-trips (slot 0xFF means none)', () => {
    fc.assert(
      fc.property(
        fc.record({
          state: fc.constantFrom('none' as const, 'active' as const, 'loading' as const),
          slot: fc.option(fc.integer({ min: 0, max: 254 }), { nil: null }),
          size: u32,
          crc32: u32,
          modelHash: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
          arenaNeeded: u32,
        }),
        (m) => {
          const bytes = codec.encodeModelInfo(m);
          expect(bytes.length).toBe(24);
          expect(codec.decodeModelInfo(bytes)).toEqual(m);
        },
      ),
    );
  });

  it('SAMPLES round-trips signed samples interleaved by sample', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        u32,
        u32,
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 240, maxLength: 240 }),
        (nSamples, nChannels, frameNo, t0Us, pool) => {
          const data = Int16Array.from(pool.slice(0, nSamples * nChannels));
          const e = { frameNo, t0Us, nSamples, nChannels, data };
          expect(codec.decodeSamples(codec.encodeSamples(e))).toEqual(e);
        },
      ),
    );
  });

  it('STREAM_START reply carries one f32 scale per enabled channel', () => {
    const w = new codec.Writer().u16(100).u8(0b101001).f32(0.5).f32(0.25).f32(2);
    expect(codec.decodeStreamStart(w.done())).toEqual({
      rateHz: 100,
      channelMask: 0b101001,
      scales: [0.5, 0.25, 2],
    });
  });

  it('INFER final reply decodes elapsed, per-layer counts and output', () => {
    const w = new codec.Writer()
      .u8(1)
      .u32(123456)
      .u8(1)
      .u16(2)
      .u32(100)
      .u32(200)
      .u16(3)
      .bytes(Uint8Array.of(7, 8, 9));
    expect(codec.decodeInfer(w.done())).toEqual({
      done: true,
      elapsed: 123456,
      counterKind: 'instructions',
      layerElapsed: [100, 200],
      output: Uint8Array.of(7, 8, 9),
    });
    expect(codec.decodeInfer(Uint8Array.of(0))).toEqual({ done: false });
  });

  it('errors carry a code and a message; unknown codes still get a name', () => {
    expect(codec.decodeError(codec.encodeError(4, 'blob CRC mismatch'))).toEqual({
      code: 4,
      message: 'blob CRC mismatch',
    });
    expect(codec.decodeError(Uint8Array.of(7, 0))).toEqual({ code: 7, message: '' });
    expect(boardErrorName(4)).toBe('CRC_MISMATCH');
    expect(boardErrorName(99)).toBe('ERROR_99');
  });

  it('request payloads have the documented layout', () => {
    expect([...codec.encodeStreamStart(0x0102, 0x3f)]).toEqual([0x02, 0x01, 0x3f]);
    expect([...codec.encodeModelBegin(0x01020304, 0xa0b0c0d0)]).toEqual([4, 3, 2, 1, 0xd0, 0xc0, 0xb0, 0xa0]);
    expect([...codec.encodeModelChunk(16, Uint8Array.of(9))]).toEqual([16, 0, 0, 0, 9]);
    expect([...codec.encodeInfer(300, 256, Uint8Array.of(1))]).toEqual([0x2c, 0x01, 0x00, 0x01, 1]);
    expect([...codec.encodeLayerOutput(2, 1024, 508)]).toEqual([2, 0, 0, 4, 0, 0, 0xfc, 0x01]);
  });
});
