import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../src/main/device/cobs';
import { crc32 } from '../../src/main/device/crc32';
import {
  decodeMessage,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  FrameParser,
} from '../../src/main/device/framer';
import { MAX_FRAME_BYTES, type Message } from '../../src/shared/protocol';

const arbMessage = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  flags: fc.integer({ min: 0, max: 7 }),
  seq: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: 600 }),
});

function collect(): { messages: Message[]; drops: string[]; decoder: FrameDecoder } {
  const messages: Message[] = [];
  const drops: string[] = [];
  const decoder = new FrameDecoder(
    (m) => messages.push(m),
    (r) => drops.push(r),
  );
  return { messages, drops, decoder };
}

/** Splits `bytes` at the given cut points (sorted, deduplicated). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe('crc32', () => {
  it('matches the IEEE 802.3 check value and continues across pieces', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32(data.subarray(4), crc32(data.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('COBS', () => {
  it('encodes the reference vectors', () => {
    expect([...cobsEncode(Uint8Array.of(0x00))]).toEqual([0x01, 0x01]);
    expect([...cobsEncode(Uint8Array.of(0x00, 0x00))]).toEqual([0x01, 0x01, 0x01]);
    expect([...cobsEncode(Uint8Array.of(0x11, 0x22, 0x00, 0x33))]).toEqual([0x03, 0x11, 0x22, 0x02, 0x33]);
    const run = Uint8Array.from({ length: 254 }, (_, i) => i + 1);
    const enc = cobsEncode(run);
    expect(enc[0]).toBe(0xff);
    expect(cobsDecode(enc)).toEqual(run);
    // The firmware's streaming encoder omits the trailing empty block after a full one: same data.
    expect(cobsDecode(enc.subarray(0, 255))).toEqual(run);
  });

  it('round-trips any bytes and never emits a zero', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        const enc = cobsEncode(data);
        expect(enc.includes(0)).toBe(false);
        expect(enc.length).toBeLessThanOrEqual(cobsMaxEncodedLength(data.length));
        expect(cobsDecode(enc)).toEqual(data);
      }),
    );
  });

  it('rejects a zero inside a frame or a block that runs past the end', () => {
    expect(cobsDecode(Uint8Array.of(0x03, 0x11, 0x00))).toBeUndefined();
    expect(cobsDecode(Uint8Array.of(0x05, 0x11, 0x22))).toBeUndefined();
  });
});

describe('frame encoder/decoder', () => {
  it('round-trips messages across arbitrary chunk splits', () => {
    fc.assert(
      fc.property(
        fc.array(arbMessage, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (msgs, cuts) => {
          const wire = Buffer.concat(msgs.map((m) => encodeFrame(m)));
          const { messages, drops, decoder } = collect();
          for (const piece of split(wire, cuts)) decoder.push(piece);
          expect(drops).toEqual([]);
          expect(messages).toEqual(msgs);
        },
      ),
    );
  });

  it('resynchronises after garbage between frames and keeps every good frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbMessage, fc.uint8Array({ maxLength: 50 })), { minLength: 1, maxLength: 6 }),
        (items) => {
          // Garbage is terminated by a zero (as a reset mid-frame would be by the next delimiter).
          const wire = Buffer.concat(items.flatMap(([m, junk]) => [junk, Uint8Array.of(0), encodeFrame(m)]));
          const { messages, decoder } = collect();
          decoder.push(wire);
          // Junk could decode as a valid frame only by also matching a CRC-32: with ≤ 50 random bytes
          // that is 2^-32 per piece; every real message must be there, in order.
          const got = messages.filter((g) => items.some(([m]) => m.seq === g.seq && m.type === g.type));
          expect(got.map((g) => [g.type, g.seq])).toEqual(items.map(([m]) => [m.type, m.seq]));
        },
      ),
    );
  });

  it('drops a frame with a bad CRC, counts it, and keeps the next one', () => {
    const a = encodeFrame({ type: 2, flags: 1, seq: 7, payload: Uint8Array.of(1, 2, 3) });
    const bad = a.slice();
    bad[3] = bad[3]! ^ 0x40; // flip a payload bit (still non-zero so COBS stays valid)
    const b = encodeFrame({ type: 2, flags: 1, seq: 8, payload: Uint8Array.of(4) });
    const { messages, drops, decoder } = collect();
    decoder.push(Buffer.concat([bad, b]));
    expect(drops).toEqual(['crc']);
    expect(messages.map((m) => m.seq)).toEqual([8]);
    expect(decoder.stats).toMatchObject({ frames: 1, dropped: { crc: 1 } });
  });

  it('drops frames that are too short or too long without buffering more than the limit', () => {
    const { messages, drops, decoder } = collect();
    decoder.push(Uint8Array.of(0x02, 0x05, 0x00)); // decodes to 1 byte: shorter than a header + CRC
    const huge = new Uint8Array(3 * MAX_FRAME_BYTES).fill(0x41);
    decoder.push(huge);
    expect(decoder.pending).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    decoder.push(Uint8Array.of(0));
    decoder.push(encodeFrame({ type: 1, flags: 1, seq: 1, payload: new Uint8Array(0) }));
    expect(drops).toEqual(['short', 'oversize']);
    expect(messages).toHaveLength(1);
  });

  it('drops a decoded message above 4 + 4096 + 4 bytes even when its CRC is right', () => {
    const body = encodeMessage({ type: 0x21, flags: 0, seq: 1, payload: new Uint8Array(4097).fill(9) });
    expect(decodeMessage(body)).toBe('oversize');
    expect(() => encodeFrame({ type: 0x21, flags: 0, seq: 1, payload: new Uint8Array(4097) })).toThrow(
      RangeError,
    );
  });

  it('never throws and stays bounded on random bytes, truncated and corrupted frames (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            arbMessage.map((m) => encodeFrame(m)),
            fc.tuple(arbMessage, fc.nat()).map(([m, n]) => {
              const f = encodeFrame(m);
              return f.subarray(0, n % f.length); // truncated
            }),
            fc.tuple(arbMessage, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([m, i, x]) => {
              const f = encodeFrame(m).slice();
              f[i % f.length] = f[i % f.length]! ^ x; // corrupted (may even turn into a delimiter)
              return f;
            }),
            fc
              .integer({ min: MAX_FRAME_BYTES, max: 2 * MAX_FRAME_BYTES })
              .map((n) => new Uint8Array(n).fill(0x7f)),
          ),
          { maxLength: 30 },
        ),
        (pieces) => {
          const { decoder } = collect();
          for (const p of pieces) {
            decoder.push(p);
            expect(decoder.pending).toBeLessThanOrEqual(MAX_FRAME_BYTES);
          }
          decoder.flush();
          expect(decoder.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FrameParser (Transform stream)', () => {
  it('emits messages from chunked input and drops an unterminated frame on end', async () => {
    const parser = new FrameParser();
    const out: Message[] = [];
    const drops: string[] = [];
    parser.on('data', (m: Message) => out.push(m));
    parser.on('drop', (r: string) => drops.push(r));
    const f1 = encodeFrame({ type: 0x12, flags: 4, seq: 0, payload: Uint8Array.of(1, 2, 3, 4, 5) });
    const f2 = encodeFrame({ type: 0x02, flags: 1, seq: 9, payload: Uint8Array.of(0, 0, 0) });
    const wire = Buffer.concat([f1, f2, f2.subarray(0, 4)]);
    for (let i = 0; i < wire.length; i += 3) parser.write(wire.subarray(i, i + 3));
    await new Promise<void>((resolve) => parser.end(resolve));
    expect(out.map((m) => m.seq)).toEqual([0, 9]);
    expect(out[1]!.payload).toEqual(Uint8Array.of(0, 0, 0));
    expect(drops).toEqual(['truncated']);
  });
});
