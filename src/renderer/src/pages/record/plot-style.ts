// Colours and axes shared by the live plot and the session plot.

export const SERIES_COLORS = [
  '#d1242f',
  '#1a7f37',
  '#0969da',
  '#bc4c00',
  '#8250df',
  '#1b7c83',
  '#9a6700',
  '#cf222e',
];

export function colorOf(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length]!;
}

/** Axis text colour that reads on light and dark themes. */
export function axisStroke(): string {
  return getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#656d76';
}

export function gridStroke(): string {
  return getComputedStyle(document.documentElement).getPropertyValue('--border').trim() || '#d0d7de';
}
