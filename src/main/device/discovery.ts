// Serial port discovery. SerialPort.list() shells out to udevadm on Linux; when that is missing or
// fails we fall back to the usual device names in /dev. Ptys (virtual boards) never appear here.
import { readdirSync } from 'node:fs';
import { SerialPort } from 'serialport';

export interface FoundPort {
  path: string;
  manufacturer: string | null;
  serialNumber: string | null;
  vendorId: string | null;
  productId: string | null;
}

export interface Discovery {
  ports: FoundPort[];
  note: string | null;
}

const FALLBACK_PATTERNS = [/^ttyACM\d+$/, /^ttyUSB\d+$/, /^ttyAMA\d+$/, /^cu\.usb/];

function scanDev(): FoundPort[] {
  try {
    return readdirSync('/dev')
      .filter((n) => FALLBACK_PATTERNS.some((re) => re.test(n)))
      .sort()
      .map((n) => ({
        path: `/dev/${n}`,
        manufacturer: null,
        serialNumber: null,
        vendorId: null,
        productId: null,
      }));
  } catch {
    return [];
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export async function discoverSerialPorts(
  list: () => Promise<Array<Record<string, unknown>>> = () => SerialPort.list(),
): Promise<Discovery> {
  try {
    const raw = await withTimeout(list(), 3000);
    const ports = raw
      .filter((p) => typeof p.path === 'string')
      .map((p) => ({
        path: p.path as string,
        manufacturer: typeof p.manufacturer === 'string' ? p.manufacturer : null,
        serialNumber: typeof p.serialNumber === 'string' ? p.serialNumber : null,
        vendorId: typeof p.vendorId === 'string' ? p.vendorId : null,
        productId: typeof p.productId === 'string' ? p.productId : null,
      }))
      // Linux lists every legacy ttyS* whether or not hardware is behind it; only USB ports help here.
      .filter((p) => !/^\/dev\/ttyS\d+$/.test(p.path) || p.vendorId !== null);
    return { ports, note: null };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const ports = process.platform === 'win32' ? [] : scanDev();
    return {
      ports,
      note:
        `Serial port listing failed (${msg}); showing device names found in /dev instead. ` +
        (process.platform === 'linux'
          ? 'Install udev (udevadm) for vendor and serial-number details. '
          : '') +
        'A port path can always be given by hand with --board.',
    };
  }
}
