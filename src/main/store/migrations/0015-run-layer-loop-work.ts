import type { Migration } from './types';

/**
 * A profiled layer keeps its loop work (layer-work.ts LayerWork.loopWork: a conv's per-position
 * column setup and im2col gather, a GRU's steps × units), the cost model's fourth term, so a board's
 * calibration can compute the default estimate of that layer again. NULL on rows profiled before
 * this column existed: those rows no longer calibrate the kernels that have the term (conv, GRU).
 */
export const migration0015: Migration = {
  version: 15,
  name: 'run-layer-loop-work',
  sql: `ALTER TABLE run_layers ADD COLUMN loop_work REAL;`,
};
