import type { Latency } from '../../shared/api/deploy';
import type { HelloInfo } from '../../shared/protocol';
import { cobsMaxEncodedLength } from '../device/cobs';
import { counterUnitOf } from '../device/counter-unit';
import { MESSAGE_OVERHEAD } from '../../shared/protocol';

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function latencyOf(elapsed: readonly number[], info: HelloInfo): Latency {
  const s = [...elapsed].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  const p50 = percentile(s, 50);
  const p99 = percentile(s, 99);
  const unit = counterUnitOf(info);
  const toUs = (c: number) => (c / info.clockHz) * 1e6;
  return {
    unit: unit.kind,
    label: unit.label,
    mean,
    p50,
    p99,
    min: s[0] ?? 0,
    max: s[s.length - 1] ?? 0,
    us:
      unit.kind === 'cycles' && info.clockHz > 0
        ? { mean: toUs(mean), p50: toUs(p50), p99: toUs(p99) }
        : unit.kind === 'microseconds'
          ? { mean, p50, p99 }
          : null,
  };
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

export interface ClassStats {
  perClass: Array<{ class: string; count: number; host_accuracy: number; device_accuracy: number }>;
  confusion: number[][];
  hostAccuracy: number;
  deviceAccuracy: number;
}

export function classStats(
  classes: readonly string[],
  rows: ReadonlyArray<{ label: number; devicePred: number; hostPred: number }>,
): ClassStats {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const count = new Array<number>(k).fill(0);
  const host = new Array<number>(k).fill(0);
  const dev = new Array<number>(k).fill(0);
  let hostOk = 0;
  let devOk = 0;
  for (const r of rows) {
    if (r.label >= 0 && r.label < k) {
      count[r.label]!++;
      if (r.devicePred >= 0 && r.devicePred < k) confusion[r.label]![r.devicePred]!++;
      if (r.hostPred === r.label) host[r.label]!++;
      if (r.devicePred === r.label) dev[r.label]!++;
    }
    if (r.hostPred === r.label) hostOk++;
    if (r.devicePred === r.label) devOk++;
  }
  const n = Math.max(1, rows.length);
  return {
    perClass: classes.map((c, i) => ({
      class: c,
      count: count[i]!,
      host_accuracy: count[i] ? host[i]! / count[i]! : 0,
      device_accuracy: count[i] ? dev[i]! / count[i]! : 0,
    })),
    confusion,
    hostAccuracy: hostOk / n,
    deviceAccuracy: devOk / n,
  };
}

/**
 * Bytes on the wire for one window: the INFER request frames (input split at max_payload), the
 * partial acknowledgements and the final result frame, COBS and delimiters included.
 */
export function wireBytesPerWindow(
  inputBytes: number,
  outBytes: number,
  layers: number,
  maxPayload: number,
): number {
  const piece = Math.max(1, maxPayload - 4);
  const frames = Math.max(1, Math.ceil(inputBytes / piece));
  let bytes = 0;
  for (let f = 0; f < frames; f++) {
    const n = Math.min(piece, inputBytes - f * piece);
    bytes += cobsMaxEncodedLength(MESSAGE_OVERHEAD + 4 + n) + 1;
  }
  bytes += (frames - 1) * (cobsMaxEncodedLength(MESSAGE_OVERHEAD + 1) + 1);
  bytes += cobsMaxEncodedLength(MESSAGE_OVERHEAD + 1 + 4 + 1 + 2 + 4 * layers + 2 + outBytes) + 1;
  return bytes;
}
