// Valid model blobs of a chosen size for load tests: one int8 dense layer with seeded random
// weights. The firmware checks the blob header at MODEL_COMMIT, so pure random bytes only get as far
// as the CRC check (which is what the "random bytes" test asserts).
import { writeBlob } from '../../../src/main/engine/blob-writer';
import { buildModel, extractWeights } from '../../../src/main/ml/model-builder';
import { loadTf } from '../../../src/main/ml/tf-loader';
import { zooSpec } from '../../../src/main/ml/zoo';
import { runPtq } from '../../../src/main/quant/ptq-pipeline';
import { resolveConfig } from '../../../src/main/quant/quant-service';
import { seededRandom } from '../../../src/main/quant/rng';
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

/**
 * Seed 000's gesture model (zoo gesture-cnn-gru: conv → pool → GRU → dense, 321 parameters) with
 * binary weights and int8 activations, and one input window: weights seeded, calibrated on random
 * windows. Its kernels, sizes and bit-exactness do not depend on what the weights learned (the
 * kernel bench and the size-budget test).
 */
export async function gestureW1Blob(): Promise<{ blob: Uint8Array; input: Int8Array }> {
  const { tf } = await loadTf();
  const spec = zooSpec('gesture-cnn-gru');
  const model = buildModel(tf, spec, undefined, { seed: 1 });
  const weights = extractWeights(model);
  model.dispose();
  const rand = seededRandom(7);
  const calib = Float32Array.from({ length: 64 * 119 * 6 }, () => 2 * rand() - 1);
  const res = await runPtq(
    tf,
    spec,
    weights,
    calib,
    64,
    resolveConfig('minmax', { weightBits: 1, actBits: 8 }),
  );
  const blob = writeBlob(res.integerModel, { modelId: 0x9e57 });
  const input = Int8Array.from({ length: 119 * 6 }, () => Math.floor(256 * rand()) - 128);
  return { blob, input };
}
