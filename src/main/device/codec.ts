// Typed payloads of each command (docs/protocol.md, "Commands"). Little-endian throughout.
import {
  counterKindName,
  kernelsFromMask,
  MODEL_HASH_BYTES,
  MODEL_SLOT_NONE,
  weightBitsFromMask,
  type HelloInfo,
  type InferReply,
  type LayerOutputReply,
  type ModelBeginReply,
  type ModelInfo,
  type BoardStats,
  type SamplesEvent,
  type StreamStartReply,
  type StreamStopReply,
} from '../../shared/protocol';

/** A payload that does not have the layout its command promises. */
export class PayloadError extends Error {
  constructor(what: string, detail: string) {
    super(`malformed ${what} payload: ${detail}`);
    this.name = 'PayloadError';
  }
}

/** Bounds-checked little-endian reader. */
export class Reader {
  private pos = 0;
  private readonly dv: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number): number {
    if (this.pos + n > this.bytes.length) {
      throw new PayloadError(this.what, `needs ${this.pos + n} bytes, has ${this.bytes.length}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.dv.getUint8(this.need(1));
  }
  u16(): number {
    return this.dv.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.dv.getUint32(this.need(4), true);
  }
  f32(): number {
    return this.dv.getFloat32(this.need(4), true);
  }
  bytesN(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.slice(at, at + n);
  }
  rest(): Uint8Array {
    return this.bytesN(this.remaining);
  }
  str(): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytesN(this.u8()));
  }
}

/** Growable little-endian writer for request payloads. */
export class Writer {
  private buf = new Uint8Array(64);
  private len = 0;

  private grow(n: number): DataView {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    return new DataView(this.buf.buffer, this.len, n);
  }

  u8(v: number): this {
    this.grow(1).setUint8(0, v);
    this.len += 1;
    return this;
  }
  u16(v: number): this {
    this.grow(2).setUint16(0, v, true);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.grow(4).setUint32(0, v >>> 0, true);
    this.len += 4;
    return this;
  }
  f32(v: number): this {
    this.grow(4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s).subarray(0, 255);
    return this.u8(b.length).bytes(b);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function decodeHelloInfo(p: Uint8Array): HelloInfo {
  const r = new Reader(p, 'HELLO');
  const protocolVersion = r.u16();
  const maxPayload = r.u16();
  const clockHz = r.u32();
  const ramBytes = r.u32();
  const ramFree = r.u32();
  const flashBytes = r.u32();
  const flashFree = r.u32();
  const modelSlotBytes = r.u32();
  const arenaBytes = r.u32();
  const counterKind = counterKindName(r.u8());
  const icountShift = r.u8();
  const kernelMask = r.u16();
  const weightBitsMask = r.u8();
  r.u8(); // reserved
  return {
    protocolVersion,
    maxPayload,
    clockHz,
    ramBytes,
    ramFree,
    flashBytes,
    flashFree,
    modelSlotBytes,
    arenaBytes,
    counterKind,
    icountShift,
    kernelMask,
    kernels: kernelsFromMask(kernelMask),
    weightBitsMask,
    weightBits: weightBitsFromMask(weightBitsMask),
    board: r.str(),
    cpu: r.str(),
    firmwareVersion: r.str(),
    buildId: r.str(),
  };
}

/** Only the protocol version, readable even when the rest of a foreign HELLO layout differs. */
export function peekProtocolVersion(p: Uint8Array): number | undefined {
  return p.length >= 2 ? p[0]! | (p[1]! << 8) : undefined;
}

const COUNTER_CODES = { cycles: 0, instructions: 1, microseconds: 2 } as const;

/** The board side of HELLO; used by test fakes and to document the layout in one place. */
export function encodeHelloInfo(h: HelloInfo): Uint8Array {
  return new Writer()
    .u16(h.protocolVersion)
    .u16(h.maxPayload)
    .u32(h.clockHz)
    .u32(h.ramBytes)
    .u32(h.ramFree)
    .u32(h.flashBytes)
    .u32(h.flashFree)
    .u32(h.modelSlotBytes)
    .u32(h.arenaBytes)
    .u8(COUNTER_CODES[h.counterKind])
    .u8(h.icountShift)
    .u16(h.kernelMask)
    .u8(h.weightBitsMask)
    .u8(0)
    .str(h.board)
    .str(h.cpu)
    .str(h.firmwareVersion)
    .str(h.buildId)
    .done();
}

export function decodeModelInfo(p: Uint8Array): ModelInfo {
  const r = new Reader(p, 'ModelInfo');
  const stateCode = r.u8();
  const slot = r.u8();
  r.u16();
  const size = r.u32();
  const crc32 = r.u32();
  const modelHash = hex(r.bytesN(MODEL_HASH_BYTES));
  const arenaNeeded = r.u32();
  const state = stateCode === 1 ? 'active' : stateCode === 2 ? 'loading' : 'none';
  return { state, slot: slot === MODEL_SLOT_NONE ? null : slot, size, crc32, modelHash, arenaNeeded };
}

export function encodeModelInfo(m: ModelInfo): Uint8Array {
  const hash = new Uint8Array(MODEL_HASH_BYTES);
  for (let i = 0; i < MODEL_HASH_BYTES; i++) hash[i] = parseInt(m.modelHash.slice(2 * i, 2 * i + 2), 16) || 0;
  return new Writer()
    .u8(m.state === 'active' ? 1 : m.state === 'loading' ? 2 : 0)
    .u8(m.slot ?? MODEL_SLOT_NONE)
    .u16(0)
    .u32(m.size)
    .u32(m.crc32)
    .bytes(hash)
    .u32(m.arenaNeeded)
    .done();
}

export function encodeStreamStart(rateHz: number, channelMask: number): Uint8Array {
  return new Writer().u16(rateHz).u8(channelMask).done();
}

export function decodeStreamStart(p: Uint8Array): StreamStartReply {
  const r = new Reader(p, 'STREAM_START');
  const rateHz = r.u16();
  const channelMask = r.u8();
  const scales: number[] = [];
  for (let bit = 0; bit < 8; bit++) if (channelMask & (1 << bit)) scales.push(r.f32());
  return { rateHz, channelMask, scales };
}

export function decodeStats(p: Uint8Array): BoardStats {
  const r = new Reader(p, 'STATS');
  return {
    stackBytes: r.u32(),
    stackHwmBytes: r.u32(),
    arenaBytes: r.u32(),
    arenaUsedLast: r.u32(),
    rxDroppedFrames: r.u32(),
  };
}

export function decodeStreamStop(p: Uint8Array): StreamStopReply {
  const r = new Reader(p, 'STREAM_STOP');
  return { framesSent: r.u32(), framesDropped: r.u32() };
}

export function decodeSamples(p: Uint8Array): SamplesEvent {
  const r = new Reader(p, 'SAMPLES');
  const frameNo = r.u32();
  const t0Us = r.u32();
  const nSamples = r.u16();
  const nChannels = r.u8();
  r.u8();
  const raw = r.bytesN(nSamples * nChannels * 2);
  const data = new Int16Array(nSamples * nChannels);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < data.length; i++) data[i] = dv.getInt16(i * 2, true);
  return { frameNo, t0Us, nSamples, nChannels, data };
}

export function encodeSamples(e: SamplesEvent): Uint8Array {
  const w = new Writer().u32(e.frameNo).u32(e.t0Us).u16(e.nSamples).u8(e.nChannels).u8(0);
  const raw = new Uint8Array(e.data.length * 2);
  const dv = new DataView(raw.buffer);
  e.data.forEach((v, i) => dv.setInt16(i * 2, v, true));
  return w.bytes(raw).done();
}

export function encodeModelBegin(totalSize: number, blobCrc32: number): Uint8Array {
  return new Writer().u32(totalSize).u32(blobCrc32).done();
}

export function decodeModelBegin(p: Uint8Array): ModelBeginReply {
  const r = new Reader(p, 'MODEL_BEGIN');
  return { resumeOffset: r.u32(), slot: r.u8() };
}

export function encodeModelChunk(offset: number, data: Uint8Array): Uint8Array {
  return new Writer().u32(offset).bytes(data).done();
}

export function decodeModelChunk(p: Uint8Array): { nextOffset: number } {
  return { nextOffset: new Reader(p, 'MODEL_CHUNK').u32() };
}

export function encodeInfer(totalLen: number, offset: number, data: Uint8Array): Uint8Array {
  return new Writer().u16(totalLen).u16(offset).bytes(data).done();
}

export function decodeInfer(p: Uint8Array): InferReply {
  const r = new Reader(p, 'INFER');
  if (r.u8() === 0) return { done: false };
  const elapsed = r.u32();
  const counterKind = counterKindName(r.u8());
  const nLayers = r.u16();
  const layerElapsed: number[] = [];
  for (let i = 0; i < nLayers; i++) layerElapsed.push(r.u32());
  const output = r.bytesN(r.u16());
  return { done: true, elapsed, counterKind, layerElapsed, output };
}

export function encodeLayerOutput(layer: number, offset: number, maxLen: number): Uint8Array {
  return new Writer().u16(layer).u32(offset).u16(maxLen).done();
}

export function decodeLayerOutput(p: Uint8Array): LayerOutputReply {
  const r = new Reader(p, 'LAYER_OUTPUT');
  const totalLen = r.u32();
  return { totalLen, data: r.rest() };
}

export function decodeError(p: Uint8Array): { code: number; message: string } {
  const r = new Reader(p, 'ERROR');
  const code = r.u16();
  let message = '';
  try {
    message = r.str();
  } catch {
    // a board that sends only the code still reports something useful
  }
  return { code, message };
}

export function encodeError(code: number, message: string): Uint8Array {
  return new Writer().u16(code).str(message).done();
}
