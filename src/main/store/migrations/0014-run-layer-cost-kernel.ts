import type { Migration } from './types';

/**
 * A profiled layer keeps the cost model's kernel it was estimated with (cost-model.ts costKernel:
 * `conv2d_kh1` for a one-row conv, `conv2d_b1_blocked` for the M4's blocked binary conv, …), so a
 * board's calibration compares like with like. NULL on rows profiled before this column existed.
 */
export const migration0014: Migration = {
  version: 14,
  name: 'run-layer-cost-kernel',
  sql: `ALTER TABLE run_layers ADD COLUMN cost_kernel TEXT;`,
};
