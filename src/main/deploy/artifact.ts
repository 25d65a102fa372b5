import { createHash } from 'node:crypto';
import type { VariantDetail } from '../../shared/api/quant';
import type { ParsedBlob } from '../../shared/engine/blob-format';
import { BitbenchError } from '../../shared/errors';
import type { Db } from '../store/database';
import { RunsRepo, type VariantProvenance } from '../store/runs-repo';
import { VariantsRepo } from '../store/variants-repo';
import { readBlob } from '../engine/blob-reader';
import { BlobExportError, writeBlob } from '../engine/blob-writer';
import { layerWork, type LayerWork } from './layer-work';

/**
 * A quantized variant made ready for a board: its device blob (exactly what `bitbench export`
 * writes), the parsed blob the host reference runs, the per-layer work, and the hashes a run
 * records so the same model can be recognised later.
 */
export interface Artifact {
  name: string;
  detail: VariantDetail;
  prov: VariantProvenance;
  blob: Uint8Array;
  parsed: ParsedBlob;
  work: LayerWork[];
  crc32Hex: string;
  integerModelSha256: string;
  floatWeightsSha256: string | null;
}

export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
export const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

export function loadArtifact(db: Db, name: string): Artifact {
  const prov = new RunsRepo(db).provenance(name);
  const detail = new VariantsRepo(db).get(name);
  let blob: Uint8Array;
  try {
    // The model id is left 0, as `bitbench export` does, so a blob's bytes depend on the model only.
    blob = writeBlob(detail.integerModel, { modelId: 0 });
  } catch (err) {
    if (err instanceof BlobExportError)
      throw new BitbenchError('bad_request', `model ${name} cannot be exported for a board: ${err.message}`);
    throw err;
  }
  const parsed = readBlob(blob, name);
  return {
    name,
    detail,
    prov,
    blob,
    parsed,
    work: layerWork(parsed, detail.integerModel),
    crc32Hex: hex32(parsed.crc32),
    integerModelSha256: sha256(prov.integerModelJson),
    floatWeightsSha256: prov.floatWeights ? sha256(prov.floatWeights) : null,
  };
}
