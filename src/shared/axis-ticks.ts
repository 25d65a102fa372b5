/**
 * Axis ticks for the Compare charts: evenly spaced round values (steps of 1, 2, 2.5 or 5 × 10^k on a
 * linear axis; 1-2-5 per decade on a log one) and labels that carry their unit ("74.7 k instr.",
 * "1.5 KiB", "95 %"), so a tick read on its own says what it measures.
 */
export interface AxisTicks {
  ticks: number[];
  domain: [number, number];
  format: (v: number) => string;
}

/** The round step (1, 2, 2.5, 5 × 10^k) that splits `span` into about `target` intervals. */
export function niceStep(span: number, target = 5, multiples: readonly number[] = [1, 2, 2.5, 5]): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of multiples) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** Evenly spaced ticks covering [min, max]: the first at or below min, the last at or above max. */
export function linearTicks(
  min: number,
  max: number,
  target = 5,
  multiples: readonly number[] = [1, 2, 2.5, 5],
): number[] {
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return linearTicks(min - pad, max + pad, target, multiples);
  }
  const step = niceStep(max - min, target, multiples);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const n = Math.round((hi - lo) / step);
  // Rounded to the step's decimals so 0.1 + 0.2 does not print as 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Array.from({ length: n + 1 }, (_, i) => Number((lo + i * step).toFixed(decimals)));
}

/**
 * 1-2-5 ticks per decade (1, 2, 5, 10, 20, 50, …) from below min to above max. With `binary`, the
 * decades restart at each power of 1024 (…, 200 B, 500 B, 1 KiB, 2 KiB, …), so byte ticks stay round
 * in the unit they are shown in.
 */
export function logTicks(min: number, max: number, binary = false): number[] {
  const lo = Math.max(min, Number.MIN_VALUE);
  const hi = max;
  const out: number[] = [];
  if (binary) {
    for (const u of [1, 1024, 1024 ** 2, 1024 ** 3])
      for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500]) out.push(m * u);
  } else {
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of [1, 2, 5]) out.push(m * 10 ** e);
  }
  // Keep one tick at or below min and one at or above max.
  let first = 0;
  out.forEach((v, i) => {
    if (v <= lo) first = i;
  });
  const lastAbove = out.findIndex((v) => v >= hi);
  const last = lastAbove < 0 ? out.length - 1 : lastAbove;
  let ticks = out.slice(first, last + 1);
  // More than a handful: the 1s only (1, 10, 100, … of each unit).
  if (ticks.length > 8) {
    const isOne = (v: number) => {
      const r = binary ? v / 1024 ** Math.floor(Math.log(v) / Math.log(1024) + 1e-9) : v;
      return Math.abs(Math.log10(r) - Math.round(Math.log10(r))) < 1e-9;
    };
    const decades = ticks.filter(isOne);
    ticks = decades.length >= 2 ? decades : ticks.filter((_, i) => i % 3 === 0);
  }
  return ticks;
}

const trim = (v: number): string => {
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return Number(s).toLocaleString('en-US', { maximumFractionDigits: 2 });
};

/** "731 B", "1.5 KiB", "2 MiB". */
export function formatBytes(v: number): string {
  if (Math.abs(v) >= 1024 * 1024) return `${trim(v / (1024 * 1024))} MiB`;
  if (Math.abs(v) >= 1024) return `${trim(v / 1024)} KiB`;
  return `${trim(v)} B`;
}

/** "731 instr.", "74.7 k instr.", "1.2 M cycles". */
export function formatCount(v: number, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (Math.abs(v) >= 1e6) return `${trim(v / 1e6)} M${u}`;
  if (Math.abs(v) >= 1e4) return `${trim(v / 1e3)} k${u}`;
  return `${trim(v)}${u}`;
}

/**
 * Ticks of a size or latency axis. Bytes step in B, KiB or MiB (so a tick is "20 KiB", not
 * "19.5 KiB"); counts in plain, k or M.
 */
export function valueAxis(
  min: number,
  max: number,
  opts: { log: boolean; kind: 'bytes' } | { log: boolean; kind: 'count'; unit: string },
): AxisTicks {
  const format = opts.kind === 'bytes' ? formatBytes : (v: number) => formatCount(v, opts.unit);
  const base =
    opts.kind === 'bytes'
      ? max >= 10 * 1024 * 1024
        ? 1024 * 1024
        : max >= 10 * 1024
          ? 1024
          : 1
      : max >= 1e7
        ? 1e6
        : max >= 1e4
          ? 1e3
          : 1;
  if (opts.log) {
    const ticks = logTicks(min, max, opts.kind === 'bytes');
    return { ticks, domain: [ticks[0]!, ticks[ticks.length - 1]!], format };
  }
  const ticks = linearTicks(min / base, max / base).map((v) => v * base);
  // One unit along a linear axis (900 B … 1,150 B, not 1,000 B then 1.03 KiB).
  const unit = opts.kind === 'bytes' ? (base === 1 ? 'B' : base === 1024 ? 'KiB' : 'MiB') : '';
  const linearFormat =
    opts.kind === 'bytes'
      ? (v: number) => `${Number((v / base).toFixed(2)).toLocaleString('en-US')} ${unit}`
      : format;
  return { ticks, domain: [ticks[0]!, ticks[ticks.length - 1]!], format: linearFormat };
}

/** Accuracy in percent: even steps (1, 2, 5, 10 or 20 points) from below the lowest point to 100. */
export function accuracyAxis(minPct: number): AxisTicks {
  // At least 5 points shown, so steps stay whole points.
  const lo = Math.max(0, Math.min(minPct, 95));
  // Whole steps of 1, 2, 5 or 10 points (no 2.5): 85 / 90 / 95 / 100 %.
  const ticks = linearTicks(lo, 100, 5, [1, 2, 5]).filter((v) => v <= 100 && v >= 0);
  if (ticks[ticks.length - 1] !== 100) ticks.push(100);
  return {
    ticks,
    domain: [ticks[0]!, 100],
    format: (v: number) => `${Number(v.toFixed(2)).toLocaleString('en-US')} %`,
  };
}
