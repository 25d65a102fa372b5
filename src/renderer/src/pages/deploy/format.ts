/** Number formatting shared by the Deploy and Compare pages: every number with its unit. */
export const pct = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : `${(100 * v).toFixed(2)} %`;
export const int = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US');
export const bytes = (v: number | null | undefined): string =>
  v === null || v === undefined
    ? '—'
    : v >= 10240
      ? `${(v / 1024).toFixed(1)} KiB`
      : `${v.toLocaleString('en-US')} B`;
export const rate = (bps: number): string =>
  bps >= 1024 ? `${(bps / 1024).toFixed(1)} KiB/s` : `${Math.round(bps)} B/s`;
/** "instructions" → "instr." for dense tables; the full label is shown once per card. */
export const unitShort = (u: string): string =>
  u === 'instructions' ? 'instr.' : u === 'microseconds' ? 'µs' : u;
