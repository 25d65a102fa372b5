// The real data sets live beside the repo in ../shared/datasets (never copied in). A checkout
// without them skips the tests that need them, saying which folder was missing.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const sharedDatasetsRoot = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');

/** Absolute path of ../shared/datasets/<name>. */
export function sharedDataset(name: string): string {
  return path.join(sharedDatasetsRoot, name);
}

/** Why the tests that read ../shared/datasets/<name> cannot run here, or undefined when they can. */
export function sharedDatasetMissing(name: string): string | undefined {
  const p = sharedDataset(name);
  return existsSync(p) ? undefined : `${p} not found (the shared data sets sit beside the repo)`;
}
