import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ExportResult } from '../../shared/api/datasets';
import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import { DatasetsRepo, type DatasetRow, type WindowOut } from '../store/datasets-repo';
import { blobToF32, SessionsRepo } from '../store/sessions-repo';
import type { ImportHooks } from './dataset-import';
import { noHooks } from './dataset-import';
import { encodeReplayFile } from './replay-file';
import { yieldToLoop } from './text-input';

/**
 * Exports a dataset version. Written to `<out>.partial` and renamed at the end, so a failed or
 * cancelled export never leaves a truncated file under the requested name.
 *
 * CSV (long format, one row per time step): `window,split,label,sample,<channel…>`; values are the
 * stored (un-normalised) values, Float32 printed with 9 significant digits (round-trips exactly).
 * BBRP: the firmware's replay file (docs/replay-format.md), see replay-file.ts.
 */

function fmt(v: number): string {
  return String(Number(v.toPrecision(9)));
}

function windowValues(row: DatasetRow, w: WindowOut): Float32Array {
  const st = row.config.storage;
  if (st.dtype === 'f32') return blobToF32(w.data);
  const out = new Float32Array(w.data.length);
  for (let i = 0; i < out.length; i++) out[i] = w.data[i]! * st.scale;
  return out;
}

function csvHeader(row: DatasetRow): string {
  const names = row.config.channelNames.map((n) => (/[",\n]/.test(n) ? `"${n.replace(/"/g, '""')}"` : n));
  return ['window', 'split', 'label', 'sample', ...names].join(',') + '\n';
}

/** The file name an export gets when only a folder is given: `har-v2.csv`. */
export function defaultExportName(row: Pick<DatasetRow, 'name' | 'version'>, format: 'csv' | 'bbrp'): string {
  return `${row.name}-v${row.version}.${format}`;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export async function exportDataset(
  db: Db,
  row: DatasetRow,
  format: 'csv' | 'bbrp',
  out: string,
  split?: 'train' | 'val' | 'test',
  hooks: ImportHooks = noHooks,
  maxWindows = Number.POSITIVE_INFINITY,
): Promise<ExportResult> {
  if (!(Number.isInteger(maxWindows) || maxWindows === Number.POSITIVE_INFINITY) || maxWindows < 1)
    throw new BitbenchError(
      'bad_request',
      `The number of windows to export must be at least 1, got ${maxWindows}.`,
    );
  // An existing folder gets the file under its default name (the one the app suggests).
  const asked = path.resolve(out);
  const target = isDirectory(asked) ? path.join(asked, defaultExportName(row, format)) : asked;
  const partial = `${target}.partial`;
  // A full disk or a path that cannot be written is the user's to fix: say which and why, not a bare
  // ENOSPC from the file system.
  const refuse = (err: unknown): unknown => {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOSPC' || e.code === 'EDQUOT'
        ? 'the disk is full'
        : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
          ? `no permission to write ${e.path ?? target}`
          : e.code === 'EEXIST' || e.code === 'ENOTDIR'
            ? `a file is in the way where a folder is needed (${e.path ?? path.dirname(target)})`
            : null;
    return why === null
      ? err
      : new BitbenchError(
          'bad_request',
          `Cannot export ${row.name}@${row.version} to ${target}: ${why}. Nothing was written.`,
        );
  };
  try {
    mkdirSync(path.dirname(target), { recursive: true });
  } catch (err) {
    throw refuse(err);
  }
  const repo = new DatasetsRepo(db);
  const total = Math.min(maxWindows, split ? (row.stats.splits[split] ?? 0) : row.stats.windows);
  if (total === 0)
    throw new BitbenchError(
      'bad_request',
      `${row.name}@${row.version} has no ${split ?? ''} windows to export.`,
    );
  let windows = 0;
  try {
    if (format === 'csv') {
      const fd = openSync(partial, 'w');
      try {
        writeSync(fd, csvHeader(row));
        const nch = row.config.shape[row.config.shape.length - 1]!;
        let buf: string[] = [];
        for (const w of repo.iterateWindows(row.id, split)) {
          if (windows >= total) break;
          const v = windowValues(row, w);
          const label = row.config.classes[w.label] ?? String(w.label);
          const prefix = `${w.idx},${w.split},${/[",\n]/.test(label) ? `"${label.replace(/"/g, '""')}"` : label},`;
          for (let t = 0; t < v.length / nch; t++) {
            let line = prefix + t;
            for (let c = 0; c < nch; c++) line += ',' + fmt(v[t * nch + c]!);
            buf.push(line);
          }
          windows++;
          if (buf.length >= 20_000) {
            writeSync(fd, buf.join('\n') + '\n');
            buf = [];
            hooks.throwIfCancelled();
            hooks.progress(windows / total, `${windows} / ${total} windows`);
            await yieldToLoop();
          }
        }
        if (buf.length) writeSync(fd, buf.join('\n') + '\n');
      } finally {
        closeSync(fd);
      }
    } else {
      const fd = openSync(partial, 'w');
      try {
        const list: Array<{ label: number; values: Float32Array }> = [];
        for (const w of repo.iterateWindows(row.id, split)) {
          if (windows >= total) break;
          list.push({ label: w.label, values: windowValues(row, w) });
          windows++;
        }
        hooks.throwIfCancelled();
        // Units come from the source sessions (recorded and UCI-HAPT ones carry them; CSV ones do not).
        const first = row.config.sessions[0];
        const units =
          first !== undefined ? (new SessionsRepo(db).get(first)?.channels.map((c) => c.unit) ?? []) : [];
        writeSync(fd, encodeReplayFile(row, list, units));
      } finally {
        closeSync(fd);
      }
    }
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw refuse(err);
  }
  return { path: target, bytes: statSync(target).size, windows, format };
}
