// A board that speaks docs/protocol.md, in TypeScript, behind node-serialport's MockBinding.
// Enough of the firmware's behaviour to test the host side without QEMU: HELLO, PING, the sensor
// stream, the model slots, and knobs to lose, delay or corrupt frames.
import type { SerialPortStream } from '@serialport/stream';
import { SerialPortMock } from 'serialport';

/** The mock binding behind a SerialPortMock (its package hides its typings behind "exports"). */
type MockPortBinding = NonNullable<SerialPortMock['port']>;

// serialport loads the mock binding's CommonJS build; importing it here directly would give the ESM
// build, a second registry of mock ports. Use the one SerialPortMock holds.
const MockBinding = SerialPortMock.binding;
import * as codec from '../../../src/main/device/codec';
import { crc32 } from '../../../src/main/device/crc32';
import { encodeFrame, FrameDecoder } from '../../../src/main/device/framer';
import {
  BoardErrorCode,
  Command,
  Flag,
  type HelloInfo,
  type Message,
  type ModelInfo,
} from '../../../src/shared/protocol';

export const FAKE_HELLO: HelloInfo = {
  protocolVersion: 1,
  maxPayload: 256,
  clockHz: 25_000_000,
  ramBytes: 4 << 20,
  ramFree: 3 << 20,
  flashBytes: 4 << 20,
  flashFree: 2 << 20,
  modelSlotBytes: 64 * 1024,
  arenaBytes: 128 * 1024,
  counterKind: 'instructions',
  icountShift: 3,
  kernelMask: 0,
  kernels: [],
  weightBitsMask: 0,
  weightBits: [],
  board: 'fake-board',
  cpu: 'cortex-m4',
  firmwareVersion: '0.0.0-test',
  buildId: 'fake',
};

export interface FakeBoardKnobs {
  /** Requests to ignore entirely (as if lost on the wire), counted down. */
  dropRequests: number;
  /** Responses to send twice (a duplicate must not confuse the host). */
  duplicateResponses: number;
  /** Delay before each response, ms. */
  responseDelayMs: number;
  /** Ignore every request of these command types (a board that never answers them). */
  mute: Set<number>;
  /** Answer HELLO with this protocol version. */
  protocolVersion: number;
  /** Cut the HELLO answer to this many payload bytes (a firmware with another layout). */
  helloBytes: number | undefined;
  /** Split each outgoing frame into pieces of this many bytes with garbage in between. */
  chopOutput: number;
}

export class FakeBoard {
  readonly knobs: FakeBoardKnobs = {
    dropRequests: 0,
    duplicateResponses: 0,
    responseDelayMs: 0,
    mute: new Set(),
    protocolVersion: 1,
    helloBytes: undefined,
    chopOutput: 0,
  };
  readonly received: Message[] = [];
  private readonly decoder = new FrameDecoder((m) => this.handle(m));
  private binding: MockPortBinding | undefined;
  private stream: SerialPortStream | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
  private frameNo = 0;
  private framesSent = 0;
  slots: Array<Uint8Array | undefined> = [undefined, undefined];
  active: number | undefined;
  loading: { slot: number; total: number; crc: number; next: number; buf: Uint8Array } | undefined;

  constructor(readonly path: string) {
    MockBinding.createPort(path, { echo: false, record: false });
  }

  /** A port factory for openClient / BoardManager tests. */
  makePort = (path: string, baudRate: number): SerialPortStream => {
    const port = new SerialPortMock({ path, baudRate, autoOpen: false });
    this.stream = port;
    port.on('open', () => {
      const b = port.port as MockPortBinding;
      this.binding = b;
      const write = b.write.bind(b);
      b.write = async (buf: Buffer) => {
        await write(buf);
        this.decoder.push(buf);
      };
    });
    return port;
  };

  /** Bytes straight onto the host's receive side. */
  emit(bytes: Uint8Array): void {
    if (this.binding?.isOpen) this.binding.emitData(Buffer.from(bytes));
  }

  send(m: Message): void {
    const frame = encodeFrame(m);
    if (this.knobs.chopOutput > 0) {
      for (let i = 0; i < frame.length; i += this.knobs.chopOutput) {
        this.emit(frame.subarray(i, i + this.knobs.chopOutput));
      }
    } else this.emit(frame);
  }

  event(type: number, payload: Uint8Array): void {
    this.send({ type, flags: Flag.EVENT, seq: 0, payload });
  }

  stopStream(): void {
    clearInterval(this.streamTimer);
    this.streamTimer = undefined;
  }

  private reply(req: Message, payload: Uint8Array, error = false): void {
    const m = { type: req.type, flags: Flag.RESPONSE | (error ? Flag.ERROR : 0), seq: req.seq, payload };
    const out = () => {
      this.send(m);
      if (this.knobs.duplicateResponses > 0) {
        this.knobs.duplicateResponses--;
        this.send(m);
      }
    };
    if (this.knobs.responseDelayMs > 0) setTimeout(out, this.knobs.responseDelayMs);
    else out();
  }

  private fail(req: Message, code: number, message: string): void {
    this.reply(req, codec.encodeError(code, message), true);
  }

  private modelInfo(): ModelInfo {
    const blob = this.active === undefined ? undefined : this.slots[this.active];
    return {
      state: blob ? 'active' : 'none',
      slot: blob ? this.active! : null,
      size: blob?.length ?? 0,
      crc32: blob ? crc32(blob) : 0,
      modelHash: '0000000000000000',
      arenaNeeded: 0,
    };
  }

  private handle(req: Message): void {
    this.received.push(req);
    if (this.knobs.mute.has(req.type)) return;
    if (this.knobs.dropRequests > 0) {
      this.knobs.dropRequests--;
      return;
    }
    switch (req.type) {
      case Command.HELLO:
        return this.reply(
          req,
          codec
            .encodeHelloInfo({ ...FAKE_HELLO, protocolVersion: this.knobs.protocolVersion })
            .subarray(0, this.knobs.helloBytes),
        );
      case Command.PING:
        return this.reply(req, req.payload);
      case Command.STREAM_START: {
        const r = new codec.Reader(req.payload, 'STREAM_START');
        const rate = r.u16();
        const mask = r.u8();
        const n = [0, 1, 2, 3, 4, 5].filter((b) => mask & (1 << b)).length;
        const w = new codec.Writer().u16(rate).u8(mask);
        for (let i = 0; i < n; i++) w.f32(i < 3 ? 9.80665 / 4096 : 0.001);
        this.reply(req, w.done());
        this.frameNo = 0;
        this.stopStream();
        const perFrame = 5;
        this.streamTimer = setInterval(() => {
          const data = new Int16Array(perFrame * n).map(
            (_, i) => ((this.frameNo * perFrame * n + i) % 2000) - 1000,
          );
          this.event(
            Command.SAMPLES,
            codec.encodeSamples({
              frameNo: this.frameNo,
              t0Us: this.frameNo * 1000,
              nSamples: perFrame,
              nChannels: n,
              data,
            }),
          );
          this.frameNo++;
          this.framesSent++;
        }, 2);
        return;
      }
      case Command.STREAM_STOP: {
        this.stopStream();
        return this.reply(req, new codec.Writer().u32(this.framesSent).u32(0).done());
      }
      case Command.MODEL_BEGIN: {
        const r = new codec.Reader(req.payload, 'MODEL_BEGIN');
        const total = r.u32();
        const crc = r.u32();
        if (total > FAKE_HELLO.modelSlotBytes) return this.fail(req, BoardErrorCode.TOO_LARGE, 'too large');
        if (!(this.loading && this.loading.total === total && this.loading.crc === crc)) {
          const slot = this.active === 0 ? 1 : 0;
          this.loading = { slot, total, crc, next: 0, buf: new Uint8Array(total) };
        }
        return this.reply(req, new codec.Writer().u32(this.loading.next).u8(this.loading.slot).done());
      }
      case Command.MODEL_CHUNK: {
        const r = new codec.Reader(req.payload, 'MODEL_CHUNK');
        const offset = r.u32();
        const data = r.rest();
        const l = this.loading;
        if (!l || offset > l.next)
          return this.fail(req, BoardErrorCode.BAD_STATE, `expected offset ${l?.next ?? 0}`);
        if (offset + data.length > l.total) return this.fail(req, BoardErrorCode.BAD_REQUEST, 'past the end');
        if (offset + data.length > l.next) {
          l.buf.set(data.subarray(l.next - offset), l.next);
          l.next = offset + data.length;
        }
        return this.reply(req, new codec.Writer().u32(l.next).done());
      }
      case Command.MODEL_COMMIT: {
        const l = this.loading;
        if (!l || l.next !== l.total) {
          // A retried COMMIT after success answers again (idempotent by seq in the firmware).
          if (!l && this.active !== undefined)
            return this.reply(req, codec.encodeModelInfo(this.modelInfo()));
          return this.fail(req, BoardErrorCode.BAD_STATE, 'no complete load to commit');
        }
        this.loading = undefined;
        if (crc32(l.buf) !== l.crc) return this.fail(req, BoardErrorCode.CRC_MISMATCH, 'blob CRC mismatch');
        this.slots[l.slot] = l.buf;
        this.active = l.slot;
        return this.reply(req, codec.encodeModelInfo(this.modelInfo()));
      }
      case Command.MODEL_INFO:
        return this.reply(req, codec.encodeModelInfo(this.modelInfo()));
      case Command.INFER:
        return this.active === undefined
          ? this.fail(req, BoardErrorCode.NO_MODEL, 'no model loaded')
          : this.fail(req, BoardErrorCode.NOT_IMPLEMENTED, 'kernels not built');
      default:
        return this.fail(req, BoardErrorCode.UNKNOWN_COMMAND, 'unknown command');
    }
  }

  /** Pretend the cable was pulled. */
  async unplug(): Promise<void> {
    this.stopStream();
    await new Promise<void>((resolve) =>
      this.stream?.isOpen ? this.stream.close(() => resolve()) : resolve(),
    );
  }

  dispose(): void {
    this.stopStream();
    MockBinding.reset();
  }
}
