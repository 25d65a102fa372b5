import { ModelName } from '../../shared/api/models';
import { BitbenchError } from '../../shared/errors';
import { ModelSpecSchema, type ModelSpec, type NamedWeight } from '../../shared/model/spec';
import { decodeWeights } from '../../shared/model/weights-blob';
import {
  FakeQuantSettingsSchema,
  hasLayerTable,
  isCollapsed,
  PtqReportSchema,
  reportWarnings,
  type FakeQuantSettings,
  type PtqReport,
  type VariantDetail,
  type VariantSummary,
} from '../../shared/api/quant';
import { IntegerModelSchema, type IntegerModel } from '../../shared/quant/integer-model';
import type { Db } from './database';
import { JobsRepo } from './jobs-repo';
import { parseJsonColumn, readableRows } from './json-column';

/**
 * Quantized variants: a `models` row (kind 'quantized', parent_id) and its `quant_variants` row,
 * written together in one transaction. Also the read side of a float parent that PTQ needs
 * (spec, weights, the dataset it was trained on).
 */
export interface ParentModel {
  id: number;
  name: string;
  arch: string;
  spec: ModelSpec;
  weights: NamedWeight[];
  datasetId: number | null;
  dataset: { name: string; version: number } | null;
  classes: string[] | null;
}

export interface NewVariant {
  name: string;
  parentId: number;
  method: string;
  weightBits: number;
  actBits: number;
  dataset: { name: string; version: number } | null;
  config: unknown;
  settings: FakeQuantSettings;
  integerModel: IntegerModel;
  report: PtqReport;
  jobId: string | null;
  /** Which pipeline made it: 'ptq' (default), or the low-bit training families 'universal' / 'qat'. */
  family?: 'ptq' | 'universal' | 'qat';
}

interface SummaryRow {
  name: string;
  parent: string;
  method: string;
  weight_bits: number;
  act_bits: number;
  report: string;
  config: string;
  created_at: string;
}

function summaryOf(r: SummaryRow): VariantSummary {
  const row = `variant "${r.name}"`;
  const rep = parseJsonColumn<Partial<PtqReport>>(r.report, {
    table: 'quant_variants',
    column: 'report',
    row,
  });
  return {
    name: r.name,
    parent: r.parent,
    method: r.method,
    weights_bits: r.weight_bits,
    acts_bits: r.act_bits,
    mixed: hasLayerTable(
      parseJsonColumn<{ layerBits?: Record<string, unknown> }>(r.config, {
        table: 'quant_variants',
        column: 'config',
        row,
      }),
    ),
    collapsed: isCollapsed({
      accuracy: rep.accuracy ?? 0,
      float_accuracy: rep.float_accuracy ?? 0,
      per_class: rep.per_class ?? [],
    }),
    accuracy: rep.accuracy ?? 0,
    float_accuracy: rep.float_accuracy ?? 0,
    model_bytes: rep.model_bytes ?? 0,
    bops: rep.bops ?? 0,
    peak_memory_bytes: rep.peak_memory_bytes ?? 0,
    created_at: r.created_at,
  };
}

export class VariantsRepo {
  constructor(private readonly db: Db) {}

  /** A float model by name with what PTQ needs; throws not_found / bad_request. */
  parent(name: string): ParentModel {
    const row = this.db
      .prepare('SELECT id, name, kind, arch, spec, weights, dataset_id FROM models WHERE name = ?')
      .get(name) as
      | {
          id: number;
          name: string;
          kind: string;
          arch: string;
          spec: string;
          weights: Uint8Array | null;
          dataset_id: number | null;
        }
      | undefined;
    if (!row)
      throw new BitbenchError(
        'not_found',
        `No model named "${name}". List models with \`bitbench models list\`.`,
      );
    if (row.kind !== 'float')
      throw new BitbenchError(
        'bad_request',
        `Model "${name}" is already quantized; quantize its float parent instead.`,
      );
    if (!row.weights)
      throw new BitbenchError(
        'bad_request',
        `Model "${name}" has no weights stored (was its training finished?).`,
      );
    const spec = ModelSpecSchema.parse(
      parseJsonColumn(row.spec, {
        table: 'models',
        column: 'spec',
        row: `model "${row.name}" (id ${row.id})`,
      }),
    );
    const weights = decodeWeights(new Uint8Array(row.weights));
    const t = this.db
      .prepare('SELECT dataset_name, dataset_version, classes FROM model_training WHERE model_id = ?')
      .get(row.id) as { dataset_name: string; dataset_version: number; classes: string } | undefined;
    return {
      id: row.id,
      name: row.name,
      arch: row.arch,
      spec,
      weights,
      datasetId: row.dataset_id,
      dataset: t ? { name: t.dataset_name, version: t.dataset_version } : null,
      classes: t
        ? parseJsonColumn<string[]>(t.classes, {
            table: 'model_training',
            column: 'classes',
            row: `model "${row.name}" (id ${row.id})`,
          })
        : null,
    };
  }

  exists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM models WHERE name = ?').get(name) !== undefined;
  }

  /**
   * Refuses, before any work, a name a new variant cannot take: not a valid model name, taken by a
   * float model, by a variant when not overwriting, or by a job still making one.
   */
  checkNewName(name: string, overwrite: boolean): void {
    const valid = ModelName.safeParse(name);
    if (!valid.success)
      throw new BitbenchError(
        'bad_request',
        `Variant name "${name}": ${valid.error.issues[0]?.message ?? 'invalid'}.`,
      );
    const taken = this.db.prepare('SELECT kind FROM models WHERE name = ?').get(name) as
      { kind: string } | undefined;
    if (taken?.kind === 'float')
      throw new BitbenchError(
        'conflict',
        `A float model named "${name}" exists; a variant needs another name (only variants are overwritten).`,
      );
    if (taken && !overwrite)
      throw new BitbenchError(
        'conflict',
        `A variant named "${name}" already exists: choose another name, or replace it (--overwrite on the command line; Replace… or Delete… on the Quantize page).`,
      );
    // A job still making a variant of this name (in this process or another on the same database)
    // would fail only when it stores it, after all its work.
    const making = new JobsRepo(this.db).activeNaming(['quantize', 'lowbit-train'], name);
    if (making)
      throw new BitbenchError(
        'conflict',
        `Job ${making} is already making a variant named "${name}"; wait for it, cancel it, or choose another name.`,
      );
  }

  /** Inserts (or with `overwrite`, replaces) a variant atomically; returns the new model id. */
  insert(v: NewVariant, overwrite = false): number {
    return this.db.transaction(() => {
      const existing = this.db.prepare('SELECT id, kind FROM models WHERE name = ?').get(v.name) as
        { id: number; kind: string } | undefined;
      if (existing) {
        if (!overwrite || existing.kind !== 'quantized')
          throw new BitbenchError(
            'conflict',
            `A model named "${v.name}" already exists${existing.kind === 'quantized' ? ' (use --overwrite to replace it)' : ''}.`,
          );
        this.db.prepare('DELETE FROM models WHERE id = ?').run(existing.id);
      }
      const parent = this.db
        .prepare('SELECT arch, spec, dataset_id FROM models WHERE id = ?')
        .get(v.parentId) as { arch: string; spec: string; dataset_id: number | null } | undefined;
      if (!parent) throw new BitbenchError('not_found', `The parent model (id ${v.parentId}) is gone.`);
      const now = new Date().toISOString();
      const metrics = {
        accuracy: v.report.accuracy,
        float_accuracy: v.report.float_accuracy,
        model_bytes: v.report.model_bytes,
        bops: v.report.bops,
        peak_memory_bytes: v.report.peak_memory_bytes,
        weights_bits: v.weightBits,
        acts_bits: v.actBits,
        method: v.method,
      };
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO models (name, kind, parent_id, dataset_id, arch, spec, weights, metrics, created_at)
             VALUES (?, 'quantized', ?, ?, ?, ?, NULL, ?, ?)`,
          )
          .run(v.name, v.parentId, parent.dataset_id, parent.arch, parent.spec, JSON.stringify(metrics), now)
          .lastInsertRowid,
      );
      this.db
        .prepare(
          `INSERT INTO quant_variants (model_id, parent_id, family, method, weight_bits, act_bits, dataset_name, dataset_version,
             config, settings, integer_model, report, job_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          v.parentId,
          v.family ?? 'ptq',
          v.method,
          v.weightBits,
          v.actBits,
          v.dataset?.name ?? null,
          v.dataset?.version ?? null,
          JSON.stringify(v.config),
          JSON.stringify(v.settings),
          JSON.stringify(v.integerModel),
          JSON.stringify(v.report),
          v.jobId,
          now,
        );
      return id;
    })();
  }

  list(parent?: string): VariantSummary[] {
    const rows = this.db
      .prepare(
        `SELECT m.name AS name, p.name AS parent, q.method, q.weight_bits, q.act_bits, q.report, q.config, q.created_at
           FROM quant_variants q JOIN models m ON m.id = q.model_id JOIN models p ON p.id = q.parent_id
          WHERE (? IS NULL OR p.name = ?)
          ORDER BY q.created_at DESC, m.id DESC`,
      )
      .all(parent ?? null, parent ?? null) as SummaryRow[];
    return readableRows(this.db, rows, summaryOf);
  }

  get(name: string): VariantDetail {
    const r = this.db
      .prepare(
        `SELECT m.name AS name, p.name AS parent, q.method, q.weight_bits, q.act_bits, q.report, q.config, q.created_at,
                q.settings, q.integer_model
           FROM quant_variants q JOIN models m ON m.id = q.model_id JOIN models p ON p.id = q.parent_id
          WHERE m.name = ?`,
      )
      .get(name) as (SummaryRow & { settings: string; integer_model: string }) | undefined;
    if (!r) throw new BitbenchError('not_found', `No quantized variant named "${name}".`);
    const row = `variant "${name}"`;
    const report = PtqReportSchema.parse(
      parseJsonColumn(r.report, { table: 'quant_variants', column: 'report', row }),
    );
    return {
      summary: summaryOf(r),
      // A report stored before `warnings` existed gets them worked out now, so `variants show --json`
      // and api.quant.get carry the field as `quantize --json` does.
      report: { ...report, warnings: report.warnings ?? reportWarnings(report) },
      settings: FakeQuantSettingsSchema.parse(
        parseJsonColumn(r.settings, { table: 'quant_variants', column: 'settings', row }),
      ),
      integerModel: IntegerModelSchema.parse(
        parseJsonColumn(r.integer_model, { table: 'quant_variants', column: 'integer_model', row }),
      ),
    };
  }

  /** Removes a quantized variant (its models row; the variant row cascades). */
  remove(name: string): boolean {
    const res = this.db.prepare(`DELETE FROM models WHERE name = ? AND kind = 'quantized'`).run(name);
    return res.changes > 0;
  }
}
