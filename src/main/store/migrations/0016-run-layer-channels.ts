import type { Migration } from './types';

/**
 * A profiled layer keeps its output channels and the outputs whose requant shift is ≥ 0
 * (layer-work.ts LayerWork.outChannels, .wideOutputs), which the M4's binary kernels' cost terms
 * need (cost-model.ts costTerms: the blocked conv computes whole blocks of four filters; both it and
 * the 1-bit dense requantise a shift ≥ 0 at about twice the usual cost). NULL on rows profiled
 * before: those rows no longer calibrate `conv2d_b1_blocked` nor the M4's `dense` 1-bit row.
 */
export const migration0016: Migration = {
  version: 16,
  name: 'run-layer-channels',
  sql: `ALTER TABLE run_layers ADD COLUMN out_channels INTEGER;
ALTER TABLE run_layers ADD COLUMN wide_outputs INTEGER;`,
};
