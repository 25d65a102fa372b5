import { BitbenchError } from '../../shared/errors';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import type { EpochMetrics, Evaluation, TrainOptions } from '../../shared/model/training';
import { decodeWeights, encodeWeights } from '../../shared/model/weights-blob';
import type { Db } from './database';
import { parseJsonColumn, readableRows } from './json-column';

/**
 * Models (`models`, from 0001) and how float models were trained (`model_training`, 0004).
 * Weights are one BLOB in the format of src/shared/model/weights-blob.ts.
 */

export interface TrainingRecord {
  datasetName: string;
  datasetVersion: number;
  classes: string[];
  inputShape: number[];
  norm: { mean: number[]; std: number[] } | null;
  options: TrainOptions;
  seed: number;
  backend: string;
  backendNote: string;
  trainSeconds: number;
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  params: number;
  curves: EpochMetrics[];
  evaluations: Partial<Record<'train' | 'val' | 'test', Evaluation>>;
  jobId: string | null;
}

export interface ModelRow {
  id: number;
  name: string;
  kind: 'float' | 'quantized';
  parentId: number | null;
  datasetId: number | null;
  arch: string;
  spec: ModelSpec;
  weightBytes: number;
  metrics: Record<string, unknown>;
  createdAt: string;
  training: TrainingRecord | null;
  /** A quantized variant: the dataset its report was measured on (it has no training record). */
  variantDataset: { name: string; version: number | null } | null;
}

interface RawModel {
  id: number;
  name: string;
  kind: 'float' | 'quantized';
  parent_id: number | null;
  dataset_id: number | null;
  arch: string;
  spec: string;
  weight_bytes: number | null;
  metrics: string;
  created_at: string;
  dataset_name: string | null;
  dataset_version: number | null;
  classes: string | null;
  input_shape: string | null;
  norm: string | null;
  options: string | null;
  seed: number | null;
  backend: string | null;
  backend_note: string | null;
  train_seconds: number | null;
  epochs_run: number | null;
  best_epoch: number | null;
  stopped_early: number | null;
  params: number | null;
  curves: string | null;
  evaluations: string | null;
  job_id: string | null;
  q_dataset_name: string | null;
  q_dataset_version: number | null;
}

const SELECT = `
  SELECT m.id, m.name, m.kind, m.parent_id, m.dataset_id, m.arch, m.spec, length(m.weights) AS weight_bytes,
         m.metrics, m.created_at, t.dataset_name, t.dataset_version, t.classes, t.input_shape, t.norm, t.options,
         t.seed, t.backend, t.backend_note, t.train_seconds, t.epochs_run, t.best_epoch, t.stopped_early, t.params,
         t.curves, t.evaluations, t.job_id, q.dataset_name AS q_dataset_name, q.dataset_version AS q_dataset_version
  FROM models m LEFT JOIN model_training t ON t.model_id = m.id LEFT JOIN quant_variants q ON q.model_id = m.id`;

function toRow(r: RawModel): ModelRow {
  const row = `model "${r.name}" (id ${r.id})`;
  const t = <T>(column: string, text: string): T =>
    parseJsonColumn<T>(text, { table: 'model_training', column, row });
  const training: TrainingRecord | null =
    r.dataset_name === null
      ? null
      : {
          datasetName: r.dataset_name,
          datasetVersion: r.dataset_version!,
          classes: t<string[]>('classes', r.classes!),
          inputShape: t<number[]>('input_shape', r.input_shape!),
          norm: r.norm === null ? null : t<TrainingRecord['norm']>('norm', r.norm),
          options: t<TrainOptions>('options', r.options!),
          seed: r.seed!,
          backend: r.backend!,
          backendNote: r.backend_note ?? '',
          trainSeconds: r.train_seconds!,
          epochsRun: r.epochs_run!,
          bestEpoch: r.best_epoch!,
          stoppedEarly: r.stopped_early === 1,
          params: r.params!,
          curves: t<EpochMetrics[]>('curves', r.curves!),
          evaluations: t<TrainingRecord['evaluations']>('evaluations', r.evaluations!),
          jobId: r.job_id,
        };
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    parentId: r.parent_id,
    datasetId: r.dataset_id,
    arch: r.arch,
    spec: parseJsonColumn<ModelSpec>(r.spec, { table: 'models', column: 'spec', row }),
    weightBytes: r.weight_bytes ?? 0,
    metrics: parseJsonColumn<Record<string, unknown>>(r.metrics, { table: 'models', column: 'metrics', row }),
    createdAt: r.created_at,
    training,
    variantDataset:
      r.q_dataset_name === null ? null : { name: r.q_dataset_name, version: r.q_dataset_version },
  };
}

export class ModelsRepo {
  constructor(private readonly db: Db) {}

  exists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM models WHERE name = ?').get(name) !== undefined;
  }

  /**
   * Stores a trained float model and its training record, and locks the dataset version it
   * was trained on — all in one transaction.
   */
  insertTrained(m: {
    name: string;
    datasetId: number;
    spec: ModelSpec;
    weights: readonly NamedWeight[];
    metrics: Record<string, unknown>;
    training: TrainingRecord;
  }): ModelRow {
    const blob = Buffer.from(encodeWeights(m.weights));
    const t = m.training;
    const id = this.db.transaction(() => {
      if (this.exists(m.name))
        throw new BitbenchError('conflict', `A model named "${m.name}" already exists.`);
      const res = this.db
        .prepare(
          `INSERT INTO models (name, kind, dataset_id, arch, spec, weights, metrics, created_at)
           VALUES (?, 'float', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          m.name,
          m.datasetId,
          m.spec.arch,
          JSON.stringify(m.spec),
          blob,
          JSON.stringify(m.metrics),
          new Date().toISOString(),
        );
      const modelId = Number(res.lastInsertRowid);
      this.db
        .prepare(
          `INSERT INTO model_training (model_id, dataset_name, dataset_version, classes, input_shape, norm, options, seed,
             backend, backend_note, train_seconds, epochs_run, best_epoch, stopped_early, params, curves, evaluations, job_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          modelId,
          t.datasetName,
          t.datasetVersion,
          JSON.stringify(t.classes),
          JSON.stringify(t.inputShape),
          t.norm === null ? null : JSON.stringify(t.norm),
          JSON.stringify(t.options),
          t.seed,
          t.backend,
          t.backendNote,
          t.trainSeconds,
          t.epochsRun,
          t.bestEpoch,
          t.stoppedEarly ? 1 : 0,
          t.params,
          JSON.stringify(t.curves),
          JSON.stringify(t.evaluations),
          t.jobId,
        );
      // The dataset version a model was trained on must not change under it.
      this.db.prepare('UPDATE datasets SET locked = 1 WHERE id = ?').run(m.datasetId);
      return modelId;
    })();
    return this.byId(id)!;
  }

  byId(id: number): ModelRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE m.id = ?`).get(id) as RawModel | undefined;
    return r && toRow(r);
  }

  byName(name: string): ModelRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE m.name = ?`).get(name) as RawModel | undefined;
    return r && toRow(r);
  }

  list(kind?: 'float' | 'quantized'): ModelRow[] {
    const rows = (
      kind
        ? this.db.prepare(`${SELECT} WHERE m.kind = ? ORDER BY m.created_at DESC, m.id DESC`).all(kind)
        : this.db.prepare(`${SELECT} ORDER BY m.created_at DESC, m.id DESC`).all()
    ) as RawModel[];
    return readableRows(this.db, rows, toRow);
  }

  weights(id: number): NamedWeight[] {
    const r = this.db.prepare('SELECT weights FROM models WHERE id = ?').get(id) as
      { weights: Buffer | null } | undefined;
    if (!r) throw new BitbenchError('not_found', `No model with id ${id}.`);
    if (!r.weights) throw new BitbenchError('not_found', `Model ${id} has no float weights.`);
    return decodeWeights(new Uint8Array(r.weights.buffer, r.weights.byteOffset, r.weights.byteLength));
  }

  /** The names of a model's quantized variants, oldest first. */
  variantNames(name: string): string[] {
    return (
      this.db
        .prepare(
          `SELECT v.name FROM quant_variants q JOIN models v ON v.id = q.model_id JOIN models p ON p.id = q.parent_id
            WHERE p.name = ? ORDER BY q.created_at, v.id`,
        )
        .all(name) as Array<{ name: string }>
    ).map((r) => r.name);
  }

  /**
   * Deletes a model with its training record and runs. A float model with quantized variants is
   * refused unless `withVariants`, which deletes the variants (their models rows, reports and runs)
   * in the same transaction: a variant is never left without its parent.
   */
  delete(name: string, opts: { withVariants?: boolean } = {}): { deleted: boolean; variants: string[] } {
    return this.db.transaction(() => {
      const variants = this.variantNames(name);
      if (variants.length > 0 && !opts.withVariants)
        throw new BitbenchError(
          'conflict',
          `Model "${name}" has ${variants.length} quantized variant(s): ${variants.join(', ')}. ` +
            'Delete them with it (CLI: --with-variants), or remove them first (bitbench variants remove <name>).',
        );
      const del = this.db.prepare('DELETE FROM models WHERE name = ?');
      for (const v of variants) del.run(v);
      return { deleted: del.run(name).changes > 0, variants };
    })();
  }
}
