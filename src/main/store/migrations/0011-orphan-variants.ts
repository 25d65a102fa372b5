import type { Migration } from './types';

/**
 * Deleting a float model used to leave its variants half-deleted: their `quant_variants` rows went
 * (ON DELETE CASCADE) but their `models` rows stayed, kind 'quantized' with no parent, no report and
 * no integer model — listed by `models list`, unknown to `variants list/show`, unusable. Those rows
 * (and their runs, which cascade) are removed; deleting a model now takes its variants explicitly.
 */
export const migration0011: Migration = {
  version: 11,
  name: 'orphan-variants',
  sql: `
    DELETE FROM models
     WHERE kind = 'quantized' AND id NOT IN (SELECT model_id FROM quant_variants);
  `,
};
