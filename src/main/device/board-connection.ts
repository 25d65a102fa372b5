// One open board: the protocol client plus the sensor stream and model load built on it.
import { SerialPort } from 'serialport';
import type { SerialPortStream } from '@serialport/stream';
import { BitbenchError } from '../../shared/errors';
import type { HintAudience } from '../../shared/hints';
import { ALL_CHANNELS_MASK, PROTOCOL_BAUD_RATE, Timeouts, type HelloInfo } from '../../shared/protocol';
import type { CounterUnit } from '../../shared/api/boards';
import { counterUnitOf } from './counter-unit';
import { BoardClosedError } from './errors';
import { loadModel, type ModelLoadOptions, type ModelLoadProgress, type ModelLoadResult } from './model-load';
import { ProtocolClient } from './protocol-client';
import {
  CHANNEL_NAMES,
  type SampleFrame,
  type SensorStream,
  type SensorStreamConfig,
  type SensorStreamStarted,
} from './sensor-stream';
import { SerialTransport, type Transport } from './transport';

/**
 * The line rate a board is opened with when none is given: $BITBENCH_BAUD (for firmware built with
 * another BB_UART_BAUD), else the protocol's 460800.
 */
export function defaultBaudRate(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BITBENCH_BAUD?.trim();
  if (!raw) return PROTOCOL_BAUD_RATE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 300 || n > 4_000_000)
    throw new BitbenchError(
      'bad_request',
      `BITBENCH_BAUD=${raw}: give the board's line rate in baud, a whole number from 300 to 4000000`,
    );
  return n;
}

export interface OpenOptions {
  /** Line rate (default: defaultBaudRate()); a pty ignores it, an ST-LINK VCP passes it to the board's UART. */
  baudRate?: number;
  /** How long to keep sending HELLO (5 s for virtual boards, 10 s for real ones by default). */
  handshakeMs?: number;
  /** Builds the port; tests pass SerialPortMock. */
  makePort?: (path: string, baudRate: number) => SerialPortStream;
  /** Response timeout per try (default: the protocol's 500 ms / 2 s). */
  requestTimeoutMs?: number;
  /** Wraps the transport (fault injection in tests). */
  wrapTransport?: (t: Transport) => Transport;
  /** Whose "what to do next" an error gives: the CLI's commands (default) or the app's pages. */
  audience?: HintAudience;
}

function defaultPort(path: string, baudRate: number): SerialPortStream {
  return new SerialPort({ path, baudRate, autoOpen: false });
}

/** Opens `path`, says HELLO until the board answers, and returns the client. Closes on failure. */
export async function openClient(path: string, opts: OpenOptions = {}): Promise<ProtocolClient> {
  const baud = opts.baudRate ?? defaultBaudRate();
  const audience = opts.audience ?? 'cli';
  const raw = await SerialTransport.open(path, (opts.makePort ?? defaultPort)(path, baud), audience);
  const transport = opts.wrapTransport ? opts.wrapTransport(raw) : raw;
  const client = new ProtocolClient(transport, {
    audience,
    ...(opts.requestTimeoutMs ? { timeoutMs: opts.requestTimeoutMs } : {}),
  });
  try {
    await client.handshake(opts.handshakeMs ?? Timeouts.helloRealMs);
    return client;
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
}

export type ConnectionListener = (state: 'connected' | 'disconnected', err?: Error) => void;

/**
 * A connected board. Implements SensorStream for the recording code; exposes the typed protocol
 * calls as `client`. If the port drops during a model load, the load reopens it and resumes.
 */
export class BoardConnection implements SensorStream {
  private current: ProtocolClient;
  private readonly sampleListeners = new Set<(f: SampleFrame) => void>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private readonly stateListeners = new Set<ConnectionListener>();
  private detach: Array<() => void> = [];
  private lastFrameNo: number | undefined;
  private closedByUs = false;
  private lostReason: Error | undefined;
  /** SAMPLES frames the host saw missing (frame_no gaps) since the last start(). */
  hostFramesMissing = 0;

  constructor(
    readonly spec: string,
    client: ProtocolClient,
    private readonly reopenOptions: OpenOptions = {},
  ) {
    this.current = client;
    this.attach(client);
  }

  get client(): ProtocolClient {
    return this.current;
  }

  get port(): string {
    return this.current.port;
  }

  get info(): HelloInfo {
    if (!this.current.info) throw new BitbenchError('device', `${this.port}: no HELLO yet`);
    return this.current.info;
  }

  get counter(): CounterUnit {
    return counterUnitOf(this.info);
  }

  get isOpen(): boolean {
    return this.current.isOpen;
  }

  private attach(client: ProtocolClient): void {
    this.detach = [
      client.onSamples((e) => {
        if (this.lastFrameNo !== undefined && e.frameNo > this.lastFrameNo + 1) {
          this.hostFramesMissing += e.frameNo - this.lastFrameNo - 1;
        }
        this.lastFrameNo = e.frameNo;
        for (const fn of this.sampleListeners) fn(e);
      }),
      client.onClose((err) => {
        if (client !== this.current) return;
        const why =
          this.lostReason ??
          (this.closedByUs ? undefined : (err ?? new BoardClosedError(client.port, 'the port closed')));
        for (const fn of this.closeListeners) fn(why);
        for (const fn of this.stateListeners) fn('disconnected', why);
      }),
    ];
  }

  /** Opens the same port again after a drop (the pty of a running QEMU, or a re-plugged board). */
  async reopen(): Promise<void> {
    if (this.current.isOpen) return;
    const handshakeMs = this.reopenOptions.handshakeMs ?? Timeouts.helloVirtualMs;
    const client = await openClient(this.current.port, { ...this.reopenOptions, handshakeMs });
    for (const d of this.detach) d();
    this.current = client;
    this.closedByUs = false;
    this.lostReason = undefined;
    this.attach(client);
    for (const fn of this.stateListeners) fn('connected');
  }

  onState(fn: ConnectionListener): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Closes the connection; `lost` says the board went away (listeners get it as the reason). */
  async close(lost?: Error): Promise<void> {
    if (lost && this.current.isOpen) this.lostReason = lost;
    this.closedByUs = true;
    await this.current.close();
  }

  // ---- SensorStream -------------------------------------------------------------------------

  async start(cfg: SensorStreamConfig): Promise<SensorStreamStarted> {
    if (!Number.isInteger(cfg.rateHz))
      throw new BitbenchError(
        'bad_request',
        `sample rate ${cfg.rateHz} Hz: a bitbench board samples at a whole number of Hz (e.g. ${Math.max(1, Math.round(cfg.rateHz))})`,
      );
    if (cfg.rateHz < 1 || cfg.rateHz > 0xffff) {
      throw new BitbenchError('bad_request', `sample rate ${cfg.rateHz} Hz is out of range (1–65535)`);
    }
    const mask = cfg.channelMask & ALL_CHANNELS_MASK;
    if (mask === 0) throw new BitbenchError('bad_request', 'choose at least one channel');
    this.lastFrameNo = undefined;
    this.hostFramesMissing = 0;
    const r = await this.current.streamStart(cfg.rateHz, mask);
    const channels = CHANNEL_NAMES.filter((_, i) => (r.channelMask & (1 << i)) !== 0);
    return { rateHz: r.rateHz, channels: [...channels], scales: r.scales };
  }

  async stop(): Promise<{ framesSent: number; framesDropped: number }> {
    return this.current.streamStop();
  }

  onSamples(listener: (f: SampleFrame) => void): () => void {
    this.sampleListeners.add(listener);
    return () => this.sampleListeners.delete(listener);
  }

  onClose(listener: (err?: Error) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  // ---- model -------------------------------------------------------------------------------

  /**
   * Loads `blob` into the board's inactive slot and activates it once its CRC verifies. A dropped
   * connection is reopened and the load resumes where the board says it stopped (up to 3 times).
   */
  async loadModel(
    blob: Uint8Array,
    onProgress?: (p: ModelLoadProgress) => void,
    opts: ModelLoadOptions & { reconnects?: number } = {},
  ): Promise<ModelLoadResult> {
    let reconnects = opts.reconnects ?? 3;
    let sent = 0;
    const progress = (p: ModelLoadProgress) => {
      sent = p.sent;
      onProgress?.(p);
    };
    for (;;) {
      try {
        return await loadModel(this.current, blob, progress, opts);
      } catch (err) {
        if (!(err instanceof BoardClosedError)) throw err;
        // A port that is gone for good (a killed QEMU's pty, an unplugged board) fails as the loss it
        // is, with how far the load got, not as a port that never existed. The same when the manager
        // closed the connection first (it saw the QEMU exit before this catch ran).
        const wentAway = () =>
          new BoardClosedError(
            this.current.port,
            `the board went away after ${sent.toLocaleString('en-US')} of ${blob.length.toLocaleString('en-US')} B of the model and did not come back`,
          );
        if (this.closedByUs || reconnects-- <= 0) throw wentAway();
        await delay(200);
        await this.reopen().catch(() => {
          throw wentAway();
        });
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
