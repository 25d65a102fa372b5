// Wire framing: COBS(message) 0x00, where message = type, flags, seq, payload, CRC-32.
// The decoder is a plain class (easy to fuzz) wrapped in a Transform stream for serial ports.
import { Transform, type TransformCallback } from 'node:stream';
import {
  CRC_BYTES,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  MAX_MESSAGE_BYTES,
  MESSAGE_OVERHEAD,
  type Message,
} from '../../shared/protocol';
import { cobsDecode, cobsEncode } from './cobs';
import { crc32 } from './crc32';

/** Builds the decoded message (header, payload, CRC) without framing. */
export function encodeMessage(msg: Message): Uint8Array {
  const out = new Uint8Array(MESSAGE_OVERHEAD + msg.payload.length);
  const dv = new DataView(out.buffer);
  out[0] = msg.type & 0xff;
  out[1] = msg.flags & 0xff;
  dv.setUint16(2, msg.seq & 0xffff, true);
  out.set(msg.payload, HEADER_BYTES);
  dv.setUint32(
    HEADER_BYTES + msg.payload.length,
    crc32(out.subarray(0, HEADER_BYTES + msg.payload.length)),
    true,
  );
  return out;
}

/** One frame ready for the wire: COBS-encoded message plus the zero delimiter. */
export function encodeFrame(msg: Message): Uint8Array {
  if (msg.payload.length > MAX_MESSAGE_BYTES - MESSAGE_OVERHEAD) {
    throw new RangeError(`payload of ${msg.payload.length} bytes exceeds the protocol limit`);
  }
  const body = cobsEncode(encodeMessage(msg));
  const frame = new Uint8Array(body.length + 1);
  frame.set(body, 0);
  return frame; // last byte is already 0
}

export type DropReason = 'cobs' | 'short' | 'oversize' | 'crc';

/** Parses a decoded message body; returns the reason when it is not a valid message. */
export function decodeMessage(bytes: Uint8Array): Message | DropReason {
  if (bytes.length < MESSAGE_OVERHEAD) return 'short';
  if (bytes.length > MAX_MESSAGE_BYTES) return 'oversize';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - CRC_BYTES;
  if (dv.getUint32(end, true) !== crc32(bytes.subarray(0, end))) return 'crc';
  return {
    type: bytes[0]!,
    flags: bytes[1]!,
    seq: dv.getUint16(2, true),
    payload: bytes.slice(HEADER_BYTES, end),
  };
}

export interface FramerStats {
  frames: number;
  dropped: Record<DropReason | 'truncated', number>;
}

/**
 * Incremental frame decoder. Memory is bounded by `maxFrameBytes`: a frame that grows past it is
 * discarded up to the next delimiter. Bytes before the first delimiter after a reset resynchronise
 * like any bad frame.
 */
export class FrameDecoder {
  private readonly buf: Uint8Array;
  private len = 0;
  private overflowing = false;
  readonly stats: FramerStats = {
    frames: 0,
    dropped: { cobs: 0, short: 0, oversize: 0, crc: 0, truncated: 0 },
  };

  constructor(
    private readonly onMessage: (m: Message) => void,
    private readonly onDrop: (reason: DropReason | 'truncated') => void = () => {},
    readonly maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    this.buf = new Uint8Array(maxFrameBytes);
  }

  /** Bytes held for an unfinished frame (never more than maxFrameBytes). */
  get pending(): number {
    return this.len;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const zero = chunk.indexOf(0, start);
      const end = zero === -1 ? chunk.length : zero;
      this.append(chunk.subarray(start, end));
      if (zero === -1) return;
      this.finishFrame();
      start = zero + 1;
    }
  }

  /** End of stream: an unterminated frame is incomplete by definition and is dropped. */
  flush(): void {
    if (this.len > 0 || this.overflowing) this.drop('truncated');
    this.len = 0;
    this.overflowing = false;
  }

  private append(bytes: Uint8Array): void {
    if (this.overflowing || bytes.length === 0) return;
    if (this.len + bytes.length > this.buf.length) {
      this.overflowing = true;
      this.len = 0;
      return;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private finishFrame(): void {
    if (this.overflowing) {
      this.overflowing = false;
      this.len = 0;
      this.drop('oversize');
      return;
    }
    if (this.len === 0) return; // back-to-back delimiters: an idle line, not an error
    const decoded = cobsDecode(this.buf.subarray(0, this.len));
    this.len = 0;
    if (!decoded) return this.drop('cobs');
    const msg = decodeMessage(decoded);
    if (typeof msg === 'string') return this.drop(msg);
    this.stats.frames++;
    this.onMessage(msg);
  }

  private drop(reason: DropReason | 'truncated'): void {
    this.stats.dropped[reason]++;
    this.onDrop(reason);
  }
}

/** Bytes in, decoded messages out (object mode). Bad frames are counted and skipped, never thrown. */
export class FrameParser extends Transform {
  readonly decoder: FrameDecoder;

  constructor(maxFrameBytes = MAX_FRAME_BYTES) {
    super({ readableObjectMode: true });
    this.decoder = new FrameDecoder(
      (m) => this.push(m),
      (reason) => this.emit('drop', reason),
      maxFrameBytes,
    );
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.decoder.push(chunk);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.decoder.flush();
    cb();
  }
}
