import { cobsDecode } from '../../../src/main/device/cobs';
import type { Transport } from '../../../src/main/device/transport';

/**
 * Sees each frame the host writes, with its decoded message (undefined when it does not decode), before it
 * goes out; returning bytes writes those instead (a corrupted frame). Anything else passes through.
 */
export type WriteHook = (bytes: Uint8Array, msg: Uint8Array | undefined) => Uint8Array | void;

/**
 * A transport wrapper (a connection's `wrapTransport`) that runs the frames it writes through a hook.
 * `hookFor` is called once per transport wrapped, so counters kept in it start afresh on a reconnect.
 */
export function tapWrites(hookFor: () => WriteHook): (t: Transport) => Transport {
  return (t) => {
    const hook = hookFor();
    return {
      get path() {
        return t.path;
      },
      get isOpen() {
        return t.isOpen;
      },
      onData: (fn) => t.onData(fn),
      onClose: (fn) => t.onClose(fn),
      close: () => t.close(),
      write: (bytes) => t.write(hook(bytes, cobsDecode(bytes.subarray(0, bytes.length - 1))) ?? bytes),
    };
  };
}
