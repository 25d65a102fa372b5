/**
 * Training-facing read API: one split of a dataset version as flat typed arrays.
 *
 *   import { loadDatasetTensors } from '../datasets/dataset-reader';
 *   const t = loadDatasetTensors(ctx.db, 'har', 'train');          // newest version of "har"
 *   const t2 = loadDatasetTensors(ctx.db, 'har@2', 'test', { normalize: false });
 *   tf.tensor(t.x, [t.count, ...t.shape]);  tf.oneHot(tf.tensor1d(t.y, 'int32'), t.classes.length);
 *
 * Returns
 *   x        Float32Array of count × prod(shape) values, window after window, each window
 *            time-major with channels last ([128, 9]: x[w*1152 + t*9 + c]; MNIST [28, 28, 1]).
 *   y        Int32Array of count class indexes into `classes`.
 *   shape    the shape of ONE window, e.g. [128, 9] or [28, 28, 1].
 *   classes  class names; y[i] indexes this list.
 *   count    number of windows in the split (0 when the split is empty).
 *   norm     per-channel { mean, std } of the TRAIN split, or null when the dataset is not
 *            standardised (MNIST: pixels already in 0..1).
 *   datasetId, version   which version was read (record it with the model, then lock it).
 * x is standardised ((x − mean) / std per channel, train-split statistics for every split) unless
 * `opts.normalize === false` or the dataset's normalisation is 'none'.
 * `opts.version` picks a version (same as "name@version"). Windows come in their stored order,
 * which is deterministic; shuffle in the trainer.
 *
 * Cost: one indexed query and a memcpy per window (Float32 blobs are copied straight into x);
 * the UCI-HAR train split (~6,300 windows × 1,152 floats) reads in well under a second.
 * Throws BitbenchError('not_found') for an unknown name or version.
 */
import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import { DatasetsRepo, type DatasetRow } from '../store/datasets-repo';

export type Split = 'train' | 'val' | 'test';

export interface DatasetTensors {
  x: Float32Array;
  y: Int32Array;
  shape: number[];
  classes: string[];
  count: number;
  norm: { mean: number[]; std: number[] } | null;
  datasetId: number;
  version: number;
}

export interface LoadOptions {
  normalize?: boolean;
  version?: number;
}

/** "har" → newest ready version, "har@3" → version 3. */
export function resolveDataset(db: Db, ref: string, version?: number): DatasetRow {
  const m = /^(.*?)(?:@(\d+))?$/.exec(ref)!;
  const name = m[1]!;
  const v = version ?? (m[2] !== undefined ? Number(m[2]) : undefined);
  const row = new DatasetsRepo(db).find(name, v);
  if (!row) {
    throw new BitbenchError(
      'not_found',
      v === undefined ? `No dataset named "${name}".` : `Dataset "${name}" has no version ${v}.`,
    );
  }
  if (row.state !== 'ready')
    throw new BitbenchError('conflict', `Dataset ${name}@${row.version} is ${row.state}, not ready.`);
  return row;
}

export function loadDatasetTensors(
  db: Db,
  name: string,
  split: Split,
  opts: LoadOptions = {},
): DatasetTensors {
  const row = resolveDataset(db, name, opts.version);
  const repo = new DatasetsRepo(db);
  const { shape, classes, storage } = row.config;
  const per = shape.reduce((a, b) => a * b, 1);
  const rows = repo.splitRows(row.id, split);
  const count = rows.length;
  const x = new Float32Array(count * per);
  const y = new Int32Array(count);
  const bytes = new Uint8Array(x.buffer);
  for (let i = 0; i < count; i++) {
    const [label, data] = rows[i]!;
    y[i] = label;
    if (storage.dtype === 'f32') {
      if (data.byteLength !== per * 4)
        throw new BitbenchError(
          'store',
          `Window ${i} of ${row.name}@${row.version} has ${data.byteLength} bytes, expected ${per * 4}.`,
        );
      bytes.set(data, i * per * 4);
    } else {
      if (data.byteLength !== per)
        throw new BitbenchError(
          'store',
          `Window ${i} of ${row.name}@${row.version} has ${data.byteLength} bytes, expected ${per}.`,
        );
      x.set(data, i * per); // native uint8 → float32 conversion; scaled below in one pass
    }
  }
  if (storage.dtype === 'u8') {
    const s = storage.scale;
    for (let i = 0; i < x.length; i++) x[i] = x[i]! * s;
  }
  const norm = row.config.normalization === 'standardize' ? row.stats.norm : null;
  if (norm && opts.normalize !== false) {
    const nch = shape[shape.length - 1]!;
    const inv = norm.std.map((s) => 1 / s);
    for (let i = 0; i < x.length; i++) {
      const c = i % nch;
      x[i] = (x[i]! - norm.mean[c]!) * inv[c]!;
    }
  }
  return {
    x,
    y,
    shape: [...shape],
    classes: [...classes],
    count,
    norm,
    datasetId: row.id,
    version: row.version,
  };
}
