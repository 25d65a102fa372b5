// A serial port as a plain byte source for the data forwarder. Real ports come from the
// `serialport` package; unit tests pass SerialPortMock through the same code.

import { SerialPort } from 'serialport';

/** The part of a serialport stream the forwarder uses (SerialPort and SerialPortMock both fit). */
export interface SerialLike {
  readonly isOpen: boolean;
  open(cb?: (err: Error | null) => void): void;
  close(cb?: (err?: Error | null) => void): void;
  on(event: 'data', l: (chunk: Buffer) => void): unknown;
  on(event: 'close', l: (err?: Error | null) => void): unknown;
  on(event: 'error', l: (err: Error) => void): unknown;
}

export interface BytePort {
  readonly path: string;
  open(): Promise<void>;
  close(): Promise<void>;
  onData(l: (chunk: Buffer) => void): void;
  /** The port went away while open (unplugged); not called after our own close(). */
  onLost(l: (err?: Error) => void): void;
}

export function serialBytePort(
  path: string,
  baudRate: number,
  make: (o: { path: string; baudRate: number; autoOpen: false }) => SerialLike = (o) => new SerialPort(o),
): BytePort {
  const port = make({ path, baudRate, autoOpen: false });
  let closing = false;
  let lost: ((err?: Error) => void) | undefined;
  port.on('close', (err) => {
    if (!closing) lost?.(err ?? new Error(`Serial port ${path} closed.`));
  });
  // Without a listener an 'error' event would throw; reads that fail also close the port.
  port.on('error', (err) => {
    if (!closing) lost?.(err);
  });
  return {
    path,
    open: () =>
      new Promise<void>((resolve, reject) =>
        port.open((err) =>
          err ? reject(new Error(`Cannot open serial port ${path}: ${err.message}`)) : resolve(),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
    onData: (l) => void port.on('data', l),
    onLost: (l) => {
      lost = l;
    },
  };
}
