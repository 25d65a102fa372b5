import type { Migration } from './types';

/**
 * A profiled layer keeps its output channels and the outputs whose requant shift is ≥ 0
 * (layer-work.ts LayerWork.outChannels, .wideOutputs), which the binary kernels' cost terms need
 * (cost-model.ts costTerms: the M4's blocked conv computes whole blocks of four filters, a one-row
 * 1-bit conv off the binary conv kernels runs the dense call per position, and the M4's 1-bit
 * kernels requantise a shift ≥ 0 at about twice the usual cost). NULL on rows profiled before:
 * those rows no longer calibrate `conv2d_b1_blocked`, the 1-bit `conv2d_kh1` rows, the M4's
 * 1-bit `dense` row, nor the pool rows (they ran the loop nest before the pool kernels that came
 * with this migration).
 */
export const migration0016: Migration = {
  version: 16,
  name: 'run-layer-channels',
  sql: `ALTER TABLE run_layers ADD COLUMN out_channels INTEGER;
ALTER TABLE run_layers ADD COLUMN wide_outputs INTEGER;`,
};
