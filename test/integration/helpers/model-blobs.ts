// Valid model blobs of a chosen size for load tests: one int8 dense layer with seeded random
// weights. The firmware checks the blob header at MODEL_COMMIT, so pure random bytes only get as far
// as the CRC check (which is what the "random bytes" test asserts).
import { writeBlob } from '../../../src/main/engine/blob-writer';
import type { IntegerModel } from '../../../src/shared/quant/integer-model';
import { randomBytes } from './virtual-boards';

/** A blob of roughly `targetBytes` (weights dominate: inFeatures × outFeatures bytes). */
export function denseBlob(targetBytes: number, seed: number, outFeatures = 16): Uint8Array {
  return denseModel(targetBytes, seed, outFeatures).blob;
}

export function denseModel(
  targetBytes: number,
  seed: number,
  outFeatures = 16,
): { blob: Uint8Array; inputBytes: number; outputBytes: number } {
  const inFeatures = Math.max(1, Math.floor(targetBytes / outFeatures));
  const raw = randomBytes(inFeatures * outFeatures, seed);
  const weights = Array.from(raw, (b) => ((b % 255) - 127) | 0);
  const q = { scale: 0.05, zeroPoint: 0 };
  const model: IntegerModel = {
    version: 1,
    inputShape: [inFeatures],
    input: q,
    numClasses: outFeatures,
    output: q,
    layers: [
      {
        op: 'dense',
        name: 'fc',
        input: q,
        output: q,
        weightBits: 8,
        weights,
        weightScale: new Array<number>(outFeatures).fill(0.01),
        bias: new Array<number>(outFeatures).fill(0),
        requant: {
          multiplier: new Array<number>(outFeatures).fill(1 << 30),
          shift: new Array<number>(outFeatures).fill(-12),
        },
        actMin: -128,
        actMax: 127,
        inFeatures,
        outFeatures,
      },
    ],
  };
  return { blob: writeBlob(model), inputBytes: inFeatures, outputBytes: outFeatures };
}
