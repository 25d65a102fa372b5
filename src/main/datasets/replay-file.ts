import { BitbenchError } from '../../shared/errors';
import type { DatasetRow } from '../store/datasets-repo';
import { crc32 } from '../device/crc32';

/**
 * The firmware's sensor replay file, "BBRP" v1 (docs/replay-format.md, firmware/core/bb_sensor.c).
 * Little-endian:
 *   0 "BBRP" · 4 u16 version = 1 · 6 u16 header bytes (32 + 4·n_channels) · 8 u32 rate_hz ·
 *   12 u32 n_samples · 16 u8 n_channels · 17 u8 channel mask (bit 0..5 = acc_x, acc_y, acc_z,
 *   gyro_x, gyro_y, gyro_z) · 20 u32 CRC-32 of the data (0 = none) · 32 f32 scale[n_channels]
 *   (physical units per LSB: m/s² for acc, rad/s for gyro) · then i16 data[n_samples·n_channels],
 *   interleaved by sample, channels in mask-bit order.
 *
 * A dataset's windows are written back to back, so sample k·L … (k+1)·L − 1 of the replay is
 * window k (L = window length): a board streaming the replay and cutting every L samples feeds
 * the model exactly the dataset's windows. Each channel gets its own scale (max |value| / 32767).
 */

const G = 9.80665;
const AXES = ['x', 'y', 'z'] as const;
const ACC = /^(total_acc|acc|accel|accelerometer|a)[_\-. ]?([xyz])$/i;
const GYRO = /^(body_gyro|gyro|gyr|gyroscope|g)[_\-. ]?([xyz])$/i;

export interface ReplayMapping {
  /** Dataset channel index for each of the 6 replay channels, or -1. */
  columns: number[];
  /** Factor from the dataset's unit to the replay's (m/s², rad/s) per replay channel. */
  factors: number[];
  mask: number;
}

/**
 * Finds acc x/y/z and gyro x/y/z among the dataset's channel names (total_acc_x, aX, acc_x, gyro_z,
 * gX, body_gyro_y …) and the unit conversion: `units` when known (g, m/s², rad/s, deg/s), else
 * guessed from the data (|a| around 1 means g; gyro values beyond 20 mean deg/s).
 */
export function replayMapping(
  channelNames: readonly string[],
  units: ReadonlyArray<string | undefined>,
  sample: Float32Array,
): ReplayMapping {
  const columns = new Array<number>(6).fill(-1);
  channelNames.forEach((name, i) => {
    const a = ACC.exec(name);
    const g = GYRO.exec(name);
    if (a && !/^body/i.test(name)) columns[AXES.indexOf(a[2]!.toLowerCase() as 'x')] = i;
    else if (g) columns[3 + AXES.indexOf(g[2]!.toLowerCase() as 'x')] = i;
  });
  if (columns.every((c) => c < 0)) {
    throw new BitbenchError(
      'bad_request',
      `The replay format holds accelerometer/gyroscope channels; none of [${channelNames.join(', ')}] looks like one (acc_x, aX, gyro_z, …).`,
    );
  }
  const nch = channelNames.length;
  const factors = columns.map((col, k) => {
    if (col < 0) return 1;
    const unit = units[col]?.toLowerCase().replace(/\s/g, '');
    if (k < 3) {
      if (unit === 'g') return G;
      if (unit && /^m\/s(\^2|²|2)$/.test(unit)) return 1;
      // median |a| over the acc channels that exist: ~1 → g, ~9.8 → m/s²
      const mags: number[] = [];
      for (let i = 0; i + nch <= sample.length; i += nch * 7) {
        let s = 0;
        for (const c of columns.slice(0, 3)) if (c >= 0) s += sample[i + c]! ** 2;
        mags.push(Math.sqrt(s));
      }
      mags.sort((x, y) => x - y);
      return (mags[mags.length >> 1] ?? 0) < 4 ? G : 1;
    }
    if (unit === 'rad/s') return 1;
    if (unit && /^(deg\/s|dps|°\/s)$/.test(unit)) return Math.PI / 180;
    let max = 0;
    for (let i = col; i < sample.length; i += nch) max = Math.max(max, Math.abs(sample[i]!));
    return max > 20 ? Math.PI / 180 : 1;
  });
  const mask = columns.reduce((m, c, k) => (c >= 0 ? m | (1 << k) : m), 0);
  return { columns, factors, mask };
}

export function encodeReplayFile(
  row: DatasetRow,
  windows: ReadonlyArray<{ label: number; values: Float32Array }>,
  units: ReadonlyArray<string | undefined> = [],
): Buffer {
  const shape = row.config.shape;
  if (shape.length !== 2)
    throw new BitbenchError(
      'bad_request',
      `${row.name} has [${shape.join(', ')}] windows; the replay format holds time series.`,
    );
  const rate = Math.round(row.config.rateHz ?? 0);
  if (rate < 1 || rate > 100_000) {
    throw new BitbenchError(
      'bad_request',
      `${row.name} has no usable sample rate (${row.config.rateHz ?? 'unknown'} Hz); re-import it with --rate.`,
    );
  }
  const [len, nch] = shape as [number, number];
  const all = new Float32Array(windows.length * len * nch);
  windows.forEach((w, i) => all.set(w.values, i * len * nch));
  const map = replayMapping(row.config.channelNames, units, all);
  const used = map.columns.map((c, k) => ({ c, k })).filter((x) => x.c >= 0);
  const n = windows.length * len;
  const scales = used.map(({ c, k }) => {
    let max = 0;
    for (let i = c; i < all.length; i += nch) max = Math.max(max, Math.abs(all[i]! * map.factors[k]!));
    return Math.fround(max > 0 ? max / 32767 : 1e-6);
  });
  const data = Buffer.alloc(n * used.length * 2);
  for (let s = 0; s < n; s++) {
    used.forEach(({ c, k }, j) => {
      const v = Math.round((all[s * nch + c]! * map.factors[k]!) / scales[j]!);
      data.writeInt16LE(Math.max(-32768, Math.min(32767, v)), 2 * (s * used.length + j));
    });
  }
  const headerBytes = 32 + 4 * used.length;
  const head = Buffer.alloc(headerBytes);
  head.write('BBRP', 0, 'latin1');
  head.writeUInt16LE(1, 4);
  head.writeUInt16LE(headerBytes, 6);
  head.writeUInt32LE(rate, 8);
  head.writeUInt32LE(n, 12);
  head[16] = used.length;
  head[17] = map.mask;
  head.writeUInt32LE(crc32(data), 20);
  scales.forEach((sc, j) => head.writeFloatLE(sc, 32 + 4 * j));
  return Buffer.concat([head, data]);
}

/** Reads a replay file back (tests, and a check before handing one to a board). */
export function decodeReplayFile(buf: Buffer): {
  rateHz: number;
  nSamples: number;
  mask: number;
  scales: number[];
  data: Int16Array;
} {
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'BBRP')
    throw new BitbenchError('bad_request', 'not a BBRP replay file');
  const version = buf.readUInt16LE(4);
  if (version !== 1) throw new BitbenchError('bad_request', `BBRP version ${version} is not supported`);
  const headerBytes = buf.readUInt16LE(6);
  const nch = buf[16]!;
  const nSamples = buf.readUInt32LE(12);
  const scales = Array.from({ length: nch }, (_, j) => buf.readFloatLE(32 + 4 * j));
  const bytes = buf.subarray(headerBytes, headerBytes + nSamples * nch * 2);
  if (bytes.length !== nSamples * nch * 2) throw new BitbenchError('bad_request', 'BBRP file is truncated');
  const crc = buf.readUInt32LE(20);
  if (crc !== 0 && crc32(bytes) !== crc) throw new BitbenchError('bad_request', 'BBRP data CRC mismatch');
  const data = new Int16Array(nSamples * nch);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readInt16LE(2 * i);
  return { rateHz: buf.readUInt32LE(8), nSamples, mask: buf[17]!, scales, data };
}
