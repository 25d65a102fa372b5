// Stop-and-wait request/response over a Transport (docs/protocol.md): one request in flight,
// resent with the same seq on timeout, events delivered as they arrive in between.
import {
  Command,
  Flag,
  PAYLOAD_LIMIT,
  PROTOCOL_VERSION,
  Timeouts,
  commandName,
  type HelloInfo,
  type BoardStats,
  type InferReply,
  type LayerOutputReply,
  type Message,
  type ModelBeginReply,
  type ModelInfo,
  type SamplesEvent,
  type StreamStartReply,
  type StreamStopReply,
} from '../../shared/protocol';
import { BitbenchError } from '../../shared/errors';
import * as codec from './codec';
import { BoardClosedError, BoardError, BoardTimeoutError } from './errors';
import { encodeFrame, FrameDecoder, type FramerStats } from './framer';
import type { Transport } from './transport';
import { Hints, type HintAudience } from '../../shared/hints';

export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
}

export interface ClientStats {
  requests: number;
  retries: number;
  timeouts: number;
  staleResponses: number;
  events: number;
  /** Bytes received since the port opened. */
  rxBytes: number;
  /** Our own requests coming back: the port echoes (a loopback, a terminal with echo on). */
  echoes: number;
  framer: FramerStats;
}

interface Pending {
  type: number;
  payload: Uint8Array;
  timeoutMs: number;
  retries: number;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

type EventListener = (m: Message) => void;

const SLOW_COMMANDS: ReadonlySet<number> = new Set([Command.MODEL_COMMIT, Command.INFER]);

export class ProtocolClient {
  private readonly decoder: FrameDecoder;
  private readonly queue: Pending[] = [];
  private inflight: { p: Pending; seq: number; onResponse: (m: Message) => void } | undefined;
  private nextSeq = 1;
  private readonly eventListeners = new Map<number | '*', Set<EventListener>>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private closedWith: Error | undefined;
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];
  /** The last bytes heard before the first HELLO answer, to say what a silent handshake heard instead. */
  private heard = new Uint8Array(0);
  readonly stats: ClientStats;
  /** Set by hello(); chunked commands size their frames from it. */
  info: HelloInfo | undefined;

  constructor(
    readonly transport: Transport,
    private readonly defaults: { timeoutMs?: number; retries?: number; audience?: HintAudience } = {},
  ) {
    this.decoder = new FrameDecoder((m) => this.onMessage(m));
    this.stats = {
      requests: 0,
      retries: 0,
      timeouts: 0,
      staleResponses: 0,
      events: 0,
      rxBytes: 0,
      echoes: 0,
      framer: this.decoder.stats,
    };
    this.unsubscribe.push(
      transport.onData((chunk) => {
        this.stats.rxBytes += chunk.length;
        if (!this.info) this.keepHeard(chunk);
        this.decoder.push(chunk);
      }),
    );
    this.unsubscribe.push(transport.onClose((err) => this.shutdown(err)));
  }

  get port(): string {
    return this.transport.path;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Largest payload the board accepts (from HELLO; the smallest board's limit before that). */
  get maxPayload(): number {
    return Math.min(this.info?.maxPayload ?? 1024, PAYLOAD_LIMIT);
  }

  /** Listens to EVENT messages of one command type, or all with '*'. Returns the unsubscribe. */
  onEvent(type: number | '*', fn: EventListener): () => void {
    let set = this.eventListeners.get(type);
    if (!set) this.eventListeners.set(type, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  onClose(fn: (err?: Error) => void): () => void {
    if (this.closed) {
      queueMicrotask(() => fn(this.closedWith));
      return () => {};
    }
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Sends one request and resolves with its (non-error) response. */
  request(
    type: number,
    payload: Uint8Array = new Uint8Array(0),
    opts: RequestOptions = {},
  ): Promise<Message> {
    if (this.closed) return Promise.reject(new BoardClosedError(this.port, this.closedWith?.message));
    if (payload.length > PAYLOAD_LIMIT) {
      return Promise.reject(
        new BitbenchError('bad_request', `payload of ${payload.length} bytes exceeds the protocol limit`),
      );
    }
    // The board drops a frame larger than its receive buffer without a word: refuse it here instead of
    // timing out after every retry with "check that the board runs the bitbench firmware".
    if (this.info && payload.length > this.info.maxPayload) {
      return Promise.reject(
        new BitbenchError(
          'bad_request',
          `${this.port}: a ${commandName(type)} payload of ${payload.length} bytes exceeds the board's max payload of ${this.info.maxPayload}`,
        ),
      );
    }
    return new Promise<Message>((resolve, reject) => {
      this.queue.push({
        type,
        payload,
        timeoutMs:
          opts.timeoutMs ??
          this.defaults.timeoutMs ??
          (SLOW_COMMANDS.has(type) ? Timeouts.slowResponseMs : Timeouts.responseMs),
        retries: opts.retries ?? this.defaults.retries ?? Timeouts.retries,
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Closes the transport; outstanding requests fail with BoardClosedError. */
  async close(): Promise<void> {
    this.shutdown();
    await this.transport.close();
  }

  private allocSeq(): number {
    const s = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffff ? 1 : this.nextSeq + 1;
    return s;
  }

  private pump(): void {
    if (this.inflight || this.closed) return;
    const p = this.queue.shift();
    if (!p) return;
    const seq = this.allocSeq();
    const frame = encodeFrame({ type: p.type, flags: 0, seq, payload: p.payload });
    this.stats.requests++;
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let writing = false;
    const finish = () => {
      clearTimeout(timer);
      this.inflight = undefined;
      queueMicrotask(() => this.pump());
    };
    const send = () => {
      tries++;
      // A write still stuck in the driver must not be queued behind a copy of itself.
      if (!writing) {
        writing = true;
        this.transport.write(frame).then(
          () => (writing = false),
          (err: Error) => {
            writing = false;
            if (this.inflight?.seq === seq && !this.closed) {
              finish();
              p.reject(new BoardClosedError(this.port, err.message));
            }
          },
        );
      }
      timer = setTimeout(() => {
        if (this.inflight?.seq !== seq) return;
        if (tries <= p.retries) {
          this.stats.retries++;
          send();
        } else {
          this.stats.timeouts++;
          finish();
          p.reject(new BoardTimeoutError(this.port, p.type, tries, p.timeoutMs));
        }
      }, p.timeoutMs);
    };
    this.inflight = {
      p,
      seq,
      onResponse: (m) => {
        finish();
        if (m.flags & Flag.ERROR) {
          let e: { code: number; message: string };
          try {
            e = codec.decodeError(m.payload);
          } catch {
            e = { code: 0, message: 'malformed error payload' };
          }
          p.reject(new BoardError(this.port, p.type, e.code, e.message));
        } else p.resolve(m);
      },
    };
    send();
  }

  private onMessage(m: Message): void {
    if (m.flags & Flag.EVENT) {
      this.stats.events++;
      for (const key of [m.type, '*'] as const) {
        for (const fn of this.eventListeners.get(key) ?? []) {
          try {
            fn(m);
          } catch {
            // a listener's bug must not break the connection
          }
        }
      }
      return;
    }
    const f = this.inflight;
    if (m.flags & Flag.RESPONSE && f && m.seq === f.seq && m.type === f.p.type) f.onResponse(m);
    else if (!(m.flags & Flag.RESPONSE))
      this.stats.echoes++; // a board never sends a request
    else this.stats.staleResponses++; // a late answer to a request we already retried or gave up on
  }

  private shutdown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = err;
    for (const u of this.unsubscribe) u();
    this.decoder.flush();
    const failure = () => new BoardClosedError(this.port, err?.message);
    if (this.inflight) {
      const { p } = this.inflight;
      this.inflight = undefined;
      p.reject(failure());
    }
    for (const p of this.queue.splice(0)) p.reject(failure());
    for (const fn of this.closeListeners) fn(err);
    this.closeListeners.clear();
  }

  // ---- typed calls -------------------------------------------------------------------------

  /** One HELLO request; stores the info. Throws when the board speaks another protocol version. */
  async hello(opts?: RequestOptions): Promise<HelloInfo> {
    const m = await this.request(Command.HELLO, undefined, opts);
    const version = codec.peekProtocolVersion(m.payload);
    if (version !== PROTOCOL_VERSION) {
      throw new BitbenchError(
        'device',
        `${this.port}: the board speaks protocol version ${version ?? '?'}, this bitbench speaks version ${PROTOCOL_VERSION}. ` +
          'Flash the firmware that ships with this bitbench (see firmware/README.md) or update bitbench.',
      );
    }
    try {
      this.info = codec.decodeHelloInfo(m.payload);
    } catch (err) {
      if (!(err instanceof codec.PayloadError)) throw err;
      throw new BitbenchError(
        'device',
        `${this.port}: the board's HELLO answer does not have the protocol v${PROTOCOL_VERSION} layout (${err.message}). ` +
          'Its firmware is not the bitbench firmware this version ships: flash that one (see firmware/README.md).',
      );
    }
    return this.info;
  }

  /**
   * Sends HELLO until one is answered or `withinMs` passes. QEMU drops UART output while no client
   * holds the pty, and a board may still be booting, so the first few can go unanswered.
   */
  async handshake(withinMs: number, perTryMs = 250): Promise<HelloInfo> {
    // One request resent with the same seq (docs/protocol.md, "Timeouts"), not a new request per try:
    // a board slower than one try still answers a seq the host is waiting for.
    const tries = Math.max(1, Math.ceil(withinMs / perTryMs));
    try {
      return await this.hello({ timeoutMs: Math.min(perTryMs, withinMs), retries: tries - 1 });
    } catch (err) {
      if (!(err instanceof BoardTimeoutError)) throw err;
    }
    if (this.closed) throw new BoardClosedError(this.port, this.closedWith?.message);
    throw new BitbenchError(
      'timeout',
      `${this.port}: no HELLO answer within ${(withinMs / 1000).toFixed(1)} s. ${this.whatWasHeard()}`,
    );
  }

  private keepHeard(chunk: Uint8Array): void {
    const keep = 512;
    const joined = new Uint8Array(Math.min(keep, this.heard.length + chunk.length));
    const tail = chunk.subarray(Math.max(0, chunk.length - joined.length));
    joined.set(this.heard.subarray(this.heard.length - (joined.length - tail.length)), 0);
    joined.set(tail, joined.length - tail.length);
    this.heard = joined;
  }

  /** A failed handshake's diagnosis from what came back: nothing, our own requests, text, noise. */
  private whatWasHeard(): string {
    const firmware = 'flash the bitbench firmware (see firmware/README.md)';
    const audience = this.defaults.audience ?? 'cli';
    if (this.stats.echoes > 0)
      return (
        `The port sends back what it is sent (${this.stats.echoes} of our HELLO requests came back unanswered): ` +
        `a loopback, or a device or terminal echoing its input, not a board running the bitbench firmware. ` +
        `${Hints.checkPath(audience)} or ${firmware}.`
      );
    if (this.stats.rxBytes === 0)
      return (
        'The port is open but nothing answered: ' +
        `${firmware}, check the baud rate (${Hints.baud(audience)}), or reset the board and retry.`
      );
    if (this.stats.framer.frames > 0)
      return (
        `It sends bitbench frames (${this.stats.framer.frames}: ${this.stats.events} events) but does not answer ` +
        'HELLO: its firmware is busy or stuck. Reset the board (or restart the virtual board) and retry.'
      );
    const text = new TextDecoder('utf-8', { fatal: false }).decode(this.heard);
    const printable = text.replace(/[^\t\r\n\x20-\x7e]/g, '').length / Math.max(1, text.length);
    if (printable > 0.9) {
      const lines = text
        .split(/\r?\n|\r/)
        .map((l) => l.trim())
        .filter(Boolean);
      const sample = (lines.length > 1 ? lines.at(-2) : lines.at(-1))?.slice(0, 80) ?? '';
      return (
        `It sends text, not bitbench frames (${this.stats.rxBytes} bytes, e.g. "${sample}"): other firmware, ` +
        `or a board printing lines. ${Hints.forwarder(audience)} ` +
        `(docs/use-your-own-board.md), or ${firmware} for flashing and profiling.`
      );
    }
    return (
      `It sent ${this.stats.rxBytes} bytes but no valid bitbench frame: check the baud rate (${Hints.baud(audience)}; ` +
      `the firmware runs at 460800 unless built with BB_UART_BAUD), or ${firmware}.`
    );
  }

  /** Round trip with `bytes` echoed back; resolves with the measured time in ms. */
  async ping(bytes: Uint8Array = new Uint8Array(0), opts?: RequestOptions): Promise<number> {
    const t0 = performance.now();
    const m = await this.request(Command.PING, bytes, opts);
    const ms = performance.now() - t0;
    if (m.payload.length !== bytes.length || m.payload.some((b, i) => b !== bytes[i])) {
      throw new BitbenchError(
        'device',
        `${this.port}: PING echoed ${m.payload.length} bytes that differ from the ${bytes.length} sent`,
      );
    }
    return ms;
  }

  /** STATS (stack high-water mark, arena use, dropped frames); null from firmware without it. */
  async boardStats(opts?: RequestOptions): Promise<BoardStats | null> {
    try {
      return codec.decodeStats((await this.request(Command.STATS, undefined, opts)).payload);
    } catch (err) {
      if (err instanceof BoardError && err.is('UNKNOWN_COMMAND')) return null;
      throw err;
    }
  }

  async streamStart(rateHz: number, channelMask: number): Promise<StreamStartReply> {
    return codec.decodeStreamStart(
      (await this.request(Command.STREAM_START, codec.encodeStreamStart(rateHz, channelMask))).payload,
    );
  }

  async streamStop(): Promise<StreamStopReply> {
    return codec.decodeStreamStop((await this.request(Command.STREAM_STOP)).payload);
  }

  onSamples(fn: (e: SamplesEvent) => void): () => void {
    return this.onEvent(Command.SAMPLES, (m) => {
      let e: SamplesEvent;
      try {
        e = codec.decodeSamples(m.payload);
      } catch {
        return; // a malformed event is dropped like a bad frame
      }
      fn(e);
    });
  }

  async modelBegin(totalSize: number, blobCrc32: number): Promise<ModelBeginReply> {
    return codec.decodeModelBegin(
      (await this.request(Command.MODEL_BEGIN, codec.encodeModelBegin(totalSize, blobCrc32))).payload,
    );
  }

  async modelChunk(offset: number, data: Uint8Array, opts?: RequestOptions): Promise<number> {
    return codec.decodeModelChunk(
      (await this.request(Command.MODEL_CHUNK, codec.encodeModelChunk(offset, data), opts)).payload,
    ).nextOffset;
  }

  async modelCommit(): Promise<ModelInfo> {
    return codec.decodeModelInfo((await this.request(Command.MODEL_COMMIT)).payload);
  }

  async modelInfo(): Promise<ModelInfo> {
    return codec.decodeModelInfo((await this.request(Command.MODEL_INFO)).payload);
  }

  /** One input tensor in (split over as many INFER frames as max_payload needs), the result out. */
  async infer(input: Uint8Array): Promise<Extract<InferReply, { done: true }>> {
    if (input.length > 0xffff)
      throw new BitbenchError('bad_request', `input of ${input.length} bytes exceeds 65535`);
    const piece = this.maxPayload - 4;
    let offset = 0;
    for (;;) {
      const n = Math.min(piece, input.length - offset);
      const reply = codec.decodeInfer(
        (
          await this.request(
            Command.INFER,
            codec.encodeInfer(input.length, offset, input.subarray(offset, offset + n)),
          )
        ).payload,
      );
      offset += n;
      if (reply.done) return reply;
      if (offset >= input.length) {
        throw new BitbenchError(
          'device',
          `${this.port}: INFER got the whole input but did not report a result`,
        );
      }
    }
  }

  /** The whole output tensor of one layer from the last INFER, read in max_payload pieces. */
  async layerOutput(layer: number): Promise<Uint8Array> {
    const maxLen = this.maxPayload - 4;
    let out: Uint8Array | undefined;
    let offset = 0;
    for (;;) {
      const r: LayerOutputReply = codec.decodeLayerOutput(
        (await this.request(Command.LAYER_OUTPUT, codec.encodeLayerOutput(layer, offset, maxLen))).payload,
      );
      out ??= new Uint8Array(r.totalLen);
      if (r.totalLen !== out.length || offset + r.data.length > out.length) {
        throw new BitbenchError(
          'device',
          `${this.port}: LAYER_OUTPUT ${layer} changed size while being read`,
        );
      }
      out.set(r.data, offset);
      offset += r.data.length;
      if (offset >= out.length) return out;
      if (r.data.length === 0)
        throw new BitbenchError(
          'device',
          `${this.port}: LAYER_OUTPUT ${layer} stopped at ${offset} of ${out.length} bytes`,
        );
    }
  }

  async reset(): Promise<void> {
    await this.request(Command.RESET);
  }
}

/** Bytes of a MODEL_CHUNK's data that fit one frame for this board. */
export function chunkDataBytes(maxPayload: number): number {
  return Math.max(1, Math.min(maxPayload, PAYLOAD_LIMIT) - 4);
}
