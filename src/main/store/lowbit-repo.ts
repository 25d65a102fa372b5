import { LowBitReportSchema, type LowBitReport } from '../../shared/api/lowbit';
import { BitbenchError } from '../../shared/errors';
import type { Db } from './database';
import { parseJsonColumn } from './json-column';

/**
 * Low-bit (QAT / universal) variants are ordinary quantized variants (VariantsRepo writes them); their
 * training report — curves, per-epoch weight histograms — is kept in the variant's `config` JSON as
 * `{ lowbit: LowBitConfig, report: LowBitReport }`. This reads it back.
 */
export class LowBitRepo {
  constructor(private readonly db: Db) {}

  report(name: string): LowBitReport {
    const row = this.db
      .prepare(`SELECT q.config FROM quant_variants q JOIN models m ON m.id = q.model_id WHERE m.name = ?`)
      .get(name) as { config: string } | undefined;
    if (!row) throw new BitbenchError('not_found', `No quantized variant named "${name}".`);
    const parsed = parseJsonColumn<{ report?: unknown }>(row.config, {
      table: 'quant_variants',
      column: 'config',
      row: `variant "${name}"`,
    });
    if (!parsed.report)
      throw new BitbenchError(
        'not_found',
        `Variant "${name}" was made by post-training quantization; it has no training report.`,
      );
    return LowBitReportSchema.parse(parsed.report);
  }
}
