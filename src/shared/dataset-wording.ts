import type { DatasetSummary } from './api/datasets';

/**
 * How a dataset version's windows and split are put in words, the same on the Datasets page and in
 * `bitbench datasets show/list`. An image window ([28, 28, 1]) is pixels, not "28 samples"; a split
 * the source files fix (MNIST's train / t10k) is not "split by given, seed 42".
 */
export function windowWording(
  d: Pick<DatasetSummary, 'shape' | 'window_length' | 'stride' | 'rate_hz'>,
): string {
  if (d.shape.length === 3) {
    const [h, w, c] = d.shape as [number, number, number];
    return `${h}×${w} pixels, ${c} channel${c === 1 ? '' : 's'}`;
  }
  return (
    `${d.window_length} samples` +
    (d.stride !== null ? `, stride ${d.stride}` : '') +
    (d.rate_hz ? `, ${d.rate_hz} Hz = ${(d.window_length / d.rate_hz).toFixed(2)} s` : '')
  );
}

/** "by session, seed 42"; "as the source files give it" (+ the seeded val draw when there is one). */
export function splitWording(d: Pick<DatasetSummary, 'split_by' | 'seed' | 'splits' | 'kind'>): string {
  // A CSV's `split` column gives val too; only MNIST draws val from its train files.
  if (d.split_by === 'given')
    return (
      (d.kind === 'csv' ? "as the file's split column gives it" : 'as the source files give it') +
      (d.kind !== 'csv' && (d.splits.val ?? 0) > 0 ? `; val drawn from train with seed ${d.seed}` : '')
    );
  return `by ${d.split_by}, seed ${d.seed}`;
}

/** The Datasets list's "Split by" cell. */
export function splitByCell(d: Pick<DatasetSummary, 'split_by' | 'kind'>): string {
  if (d.split_by === 'given') return d.kind === 'csv' ? 'split column' : 'source files';
  return d.split_by;
}
