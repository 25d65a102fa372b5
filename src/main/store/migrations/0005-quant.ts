import type { Migration } from './types';

/**
 * Quantized variants. Each is a `models` row (kind 'quantized', parent_id → its float model) plus
 * one row here with what the integer engine runs (the integer model), the simulated-quantization
 * settings (AIMET-style encodings), the PTQ configuration and the evaluation report.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'quant-variants',
  sql: `
    CREATE TABLE quant_variants (
      model_id INTEGER PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
      parent_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
      -- 'ptq' here; QAT / universal training add their own methods
      family TEXT NOT NULL DEFAULT 'ptq',
      -- the method string, e.g. 'cle+mse+adaround+bias-correction'
      method TEXT NOT NULL,
      weight_bits INTEGER NOT NULL CHECK (weight_bits BETWEEN 1 AND 8),
      act_bits INTEGER NOT NULL CHECK (act_bits BETWEEN 1 AND 8),
      dataset_name TEXT,
      dataset_version INTEGER,
      -- PtqConfig (JSON)
      config TEXT NOT NULL,
      -- FakeQuantSettings: input/weight/output encodings (JSON)
      settings TEXT NOT NULL,
      -- IntegerModel (JSON, src/shared/quant/integer-model.ts)
      integer_model TEXT NOT NULL,
      -- PtqReport (JSON)
      report TEXT NOT NULL,
      job_id TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX quant_variants_parent ON quant_variants (parent_id);
  `,
};
