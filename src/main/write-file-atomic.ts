import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes `file` beside it (`<file>.partial`) and renames it into place once complete, as model and
 * dataset export do: a failed or killed write (disk full, Ctrl-C) leaves no truncated file that
 * looks whole, an earlier file stays as it was until the new one is complete, and a program that
 * has the old file open keeps reading it whole.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const partial = `${file}.partial`;
  try {
    writeFileSync(partial, data);
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}
