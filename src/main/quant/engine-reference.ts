import type { IntegerModel } from '../../shared/quant/integer-model';
import { readBlob } from '../engine/blob-reader';
import { writeBlob } from '../engine/blob-writer';
import { runReference } from '../engine/reference';
import { quantizeInput } from './integer-sim';

/**
 * The integer engine's host reference interpreter (src/main/engine) run on a PTQ integer model:
 * integer model → device blob → bit-exact reference. PTQ reports its accuracy from this when the
 * model exports; the PTQ integer simulation (integer-sim.ts) stays as the cross-check oracle.
 */
export interface EngineRun {
  predictions: Int32Array;
  logits: Int32Array;
  blobBytes: number;
  /** The arena the firmware allocates for this blob (its header's arena_min: layer pair + scratch). */
  arenaBytes: number;
}

export function engineReferencePredict(
  model: IntegerModel,
  x: Float32Array,
  count: number,
): EngineRun | { error: string } {
  let blob: Uint8Array;
  try {
    blob = writeBlob(model);
  } catch (err) {
    return { error: `blob export failed: ${(err as Error).message}` };
  }
  const parsed = readBlob(blob, 'PTQ model');
  const per = x.length / count;
  const k = model.numClasses;
  const predictions = new Int32Array(count);
  const logits = new Int32Array(count * k);
  for (let n = 0; n < count; n++) {
    const q = Int8Array.from(quantizeInput(model, x.subarray(n * per, (n + 1) * per)));
    const out = runReference(parsed, q).output;
    let best = 0;
    for (let c = 0; c < k; c++) {
      logits[n * k + c] = out[c]!;
      if (out[c]! > out[best]!) best = c;
    }
    predictions[n] = best;
  }
  return { predictions, logits, blobBytes: blob.length, arenaBytes: parsed.arenaMin };
}
