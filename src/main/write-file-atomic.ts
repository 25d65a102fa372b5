import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes each file beside its target (`<file>.partial`) and renames them into place once all are
 * complete, as model and dataset export do: a failed or killed write (disk full, Ctrl-C) leaves no
 * truncated file that looks whole (nor a header without its source), an earlier file stays as it was
 * until the new one is complete, and a program that has the old file open keeps reading it whole.
 * On failure the partial files are removed and the error is rethrown.
 */
export function writeFilesAtomic(
  files: ReadonlyArray<readonly [file: string, data: string | Uint8Array]>,
): void {
  const partials: string[] = [];
  try {
    for (const [file, data] of files) {
      partials.push(`${file}.partial`);
      writeFileSync(`${file}.partial`, data);
    }
    for (const [file] of files) renameSync(`${file}.partial`, file);
  } catch (err) {
    for (const p of partials) rmSync(p, { force: true });
    throw err;
  }
}

/** One file written as `writeFilesAtomic` writes a group. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  writeFilesAtomic([[file, data]]);
}
