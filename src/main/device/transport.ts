// A byte pipe to a board. The protocol client only needs this, so tests can pass the mock
// binding and the virtual boards go through the same serialport path as USB boards.
import type { SerialPortStream } from '@serialport/stream';
import { BitbenchError } from '../../shared/errors';
import { Hints, type HintAudience } from '../../shared/hints';

export interface Transport {
  /** Port path (or a label) used in every message about this board. */
  readonly path: string;
  readonly isOpen: boolean;
  write(bytes: Uint8Array): Promise<void>;
  onData(fn: (chunk: Uint8Array) => void): () => void;
  /** Fires once when the port closes for any reason; `err` when it was not our close(). */
  onClose(fn: (err?: Error) => void): () => void;
  close(): Promise<void>;
}

/**
 * Writes to a QEMU pty larger than a few KiB can stall forever with serialport (measured here);
 * every frame is ≤ ~4.2 KiB, and anything larger is cut into pieces of at most this size.
 */
export const MAX_WRITE_BYTES = 4096;

/** Wraps an open-able serialport stream (real SerialPort or SerialPortMock). */
export class SerialTransport implements Transport {
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(err?: Error) => void>();
  private closed = false;
  private closing = false;
  private lastError: Error | undefined;

  private constructor(
    readonly path: string,
    private readonly port: SerialPortStream,
  ) {
    port.on('data', (chunk: Buffer) => {
      for (const fn of this.dataListeners) fn(chunk);
    });
    // serialport reports `Canceled` for reads and writes pending at close; those are expected.
    port.on('error', (err: Error) => {
      if (!this.closing) this.lastError = err;
    });
    port.on('close', (err?: Error | null) => this.markClosed(err ?? this.lastError));
  }

  /** Opens `port` (constructed with autoOpen: false) and wraps it; errors name the path. */
  static async open(
    path: string,
    port: SerialPortStream,
    audience: HintAudience = 'cli',
  ): Promise<SerialTransport> {
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(describeOpenError(path, err, audience)) : resolve())),
    );
    return new SerialTransport(path, port);
  }

  get isOpen(): boolean {
    return !this.closed && this.port.isOpen;
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += MAX_WRITE_BYTES) {
      const piece = Buffer.from(
        bytes.buffer,
        bytes.byteOffset + at,
        Math.min(MAX_WRITE_BYTES, bytes.length - at),
      );
      if (this.closed) throw new BitbenchError('device', `${this.path}: write after the port closed`);
      await new Promise<void>((resolve, reject) => {
        this.port.write(piece, (err) => (err ? reject(err) : resolve()));
      });
    }
  }

  onData(fn: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(fn);
    return () => this.dataListeners.delete(fn);
  }

  onClose(fn: (err?: Error) => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      if (!this.port.isOpen) return resolve();
      this.port.close(() => resolve());
    });
    this.markClosed();
  }

  private markClosed(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const reason = this.closing ? undefined : (err ?? new Error('port closed'));
    for (const fn of this.closeListeners) fn(reason);
    this.closeListeners.clear();
    this.dataListeners.clear();
  }
}

/** Why `path` did not open and what to do; `audience` says whether to point at the CLI or the app. */
export function describeOpenError(path: string, err: Error, audience: HintAudience = 'cli'): BitbenchError {
  const msg = err.message;
  // bindings-cpp says "<reason>, cannot open <path>" for every failure, so test the reason first.
  if (/EBUSY|busy|lock/i.test(msg)) {
    return new BitbenchError(
      'conflict',
      `Cannot open ${path}: the port is busy (${msg}). Close the other program using it (serial monitor, another bitbench) and retry.`,
    );
  }
  if (/EACCES|Permission denied/i.test(msg)) {
    return new BitbenchError(
      'device',
      `Cannot open ${path}: permission denied (${msg}). Add your user to the dialout group (Linux) or fix the device permissions, then retry.`,
    );
  }
  if (/ENOENT|No such file|does not exist|File not found/i.test(msg)) {
    return new BitbenchError(
      'not_found',
      `Cannot open ${path}: no such port (${msg}). ${Hints.findPort(audience)}, or use virtual:m4 / virtual:m0.`,
    );
  }
  if (/ENOTTY|Inappropriate ioctl|ENXIO|No such device or address/i.test(msg)) {
    return new BitbenchError(
      'bad_request',
      `Cannot open ${path}: it is not a serial port (${msg}). Give the board's port (${Hints.portList(audience)}: /dev/ttyACM0, /dev/ttyUSB0, a virtual board's /dev/pts/N) or use virtual:m4 / virtual:m0.`,
    );
  }
  return new BitbenchError('device', `Cannot open ${path}: ${msg}. ${Hints.checkPath(audience)} and retry.`);
}
