import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActQuant, IntLayer, IntegerModel } from '../../src/shared/quant/integer-model';
import { readBlob } from '../../src/main/engine/blob-reader';
import { writeBlob } from '../../src/main/engine/blob-writer';
import { runReference } from '../../src/main/engine/reference';
import { REPO } from '../helpers/engine-cases';

const run = (m: IntegerModel, x: number[]) =>
  Array.from(runReference(readBlob(writeBlob(m)), Int8Array.from(x)).output);
const model = (inputShape: number[], input: ActQuant, layers: IntLayer[]): IntegerModel => ({
  version: 1,
  inputShape,
  input,
  numClasses: 1,
  layers,
  output: layers[layers.length - 1]!.output,
});
const M_EIGHTH = { multiplier: 2 ** 30, shift: -2 }; // 2^30 · 2^(−2−31) = 1/8
const M_ONE = { multiplier: 2 ** 30, shift: 1 };

describe('host integer reference: hand-computed cases', () => {
  it('dense: bias + Σ w·(x − zp), requantised with round half up, plus zp_out', () => {
    const inQ = { scale: 0.1, zeroPoint: 3 };
    const outQ = { scale: 0.1, zeroPoint: -5 };
    const m = model([3], inQ, [
      {
        op: 'dense',
        name: 'fc',
        input: inQ,
        output: outQ,
        weightBits: 8,
        weights: [1, 2, 3, -1, 0, 2],
        weightScale: [1, 1],
        bias: [-50, 50],
        requant: {
          multiplier: [M_EIGHTH.multiplier, M_EIGHTH.multiplier],
          shift: [M_EIGHTH.shift, M_EIGHTH.shift],
        },
        actMin: -128,
        actMax: 127,
        inFeatures: 3,
        outFeatures: 2,
      },
    ]);
    // x − zp = [2, 0, −3]; acc = [−50 − 7, 50 − 8] = [−57, 42]; ·1/8 = [−7.125, 5.25] → [−7, 5]; + (−5)
    expect(run(m, [5, 3, 0])).toEqual([-12, 0]);
  });

  it('the same dense layer gives the same result at every weight width that can hold its weights', () => {
    const inQ = { scale: 0.1, zeroPoint: -2 };
    const mk = (bits: 1 | 2 | 4 | 8): IntegerModel =>
      model([4], inQ, [
        {
          op: 'dense',
          name: 'fc',
          input: inQ,
          output: inQ,
          weightBits: bits,
          weights: [1, -1, -1, 1],
          weightScale: [1],
          bias: [10],
          requant: { multiplier: [M_ONE.multiplier], shift: [M_ONE.shift] },
          actMin: -128,
          actMax: 127,
          inFeatures: 4,
          outFeatures: 1,
        },
      ]);
    // x − zp = [12, 2, −8, 5]: 10 + 12 − 2 + 8 + 5 = 33; + zp −2
    for (const bits of [1, 2, 4, 8] as const) expect(run(mk(bits), [10, 0, -10, 3])).toEqual([31]);
  });

  it("conv1d 'same' pads with the input zero point", () => {
    const q = { scale: 0.1, zeroPoint: 2 };
    const m = model([4, 1], q, [
      {
        op: 'conv1d',
        name: 'c',
        input: q,
        output: { scale: 0.1, zeroPoint: 0 },
        weightBits: 8,
        weights: [1, 1, 1],
        weightScale: [1],
        bias: [0],
        requant: { multiplier: [M_ONE.multiplier], shift: [M_ONE.shift] },
        actMin: -128,
        actMax: 127,
        inShape: [4, 1],
        outShape: [4, 1],
        kernelSize: 3,
        strides: 1,
        padding: 'same',
      },
    ]);
    // x − zp = [−1, 0, 1, 2]; padded taps contribute 0
    expect(run(m, [1, 2, 3, 4])).toEqual([-1, 0, 3, 3]);
  });

  it('avg pool rounds half up; max pool takes the max; both requantise', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    const pool = (op: 'avgPool1d' | 'maxPool1d'): IntegerModel =>
      model([4, 1], q, [
        {
          op,
          name: 'p',
          input: q,
          output: q,
          inShape: [4, 1],
          outShape: [2, 1],
          poolSize: [2],
          strides: [2],
        },
      ]);
    expect(run(pool('avgPool1d'), [1, 2, -3, -4])).toEqual([2, -3]); // 1.5 → 2, −3.5 → −3
    expect(run(pool('maxPool1d'), [1, 2, -3, -4])).toEqual([2, -3]);
    const half = { scale: 0.2, zeroPoint: 10 };
    const m = model([2, 1], q, [
      {
        op: 'maxPool1d',
        name: 'p',
        input: q,
        output: half,
        inShape: [2, 1],
        outShape: [1, 1],
        poolSize: [2],
        strides: [2],
      },
    ]);
    expect(run(m, [7, 3])).toEqual([14]); // 7 · 0.1 / 0.2 = 3.5 → 4, + 10
  });

  it('relu6 is a clamp to [zp_out, q(6)]', () => {
    const q = { scale: 0.1, zeroPoint: -20 };
    const m = model([5], q, [{ op: 'relu', name: 'r', input: q, output: q, actMin: -20, actMax: 40 }]);
    expect(run(m, [-100, -20, 0, 40, 100])).toEqual([-20, -20, 0, 40, 40]);
  });

  it('GRU: one step, one unit, with the Q15 gates', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    const m = model([1, 1], q, [
      {
        op: 'gru',
        name: 'g',
        input: q,
        output: { scale: 1 / 128, zeroPoint: 0 },
        units: 1,
        inFeatures: 1,
        timeSteps: 1,
        returnSequences: false,
        weightBits: 8,
        extra: {
          kernel: [1, 1, 1],
          recurrentKernel: [1, 1, 1],
          kernelBias: [0, 0, 0],
          recurrentBias: [0, 0, 0],
          // x = 64 with M = 64 → every gate pre-activation is 4096 = 1.0 in Q3.12
          kernelRequant: { multiplier: [2 ** 30, 2 ** 30, 2 ** 30], shift: [7, 7, 7] },
          recurrentRequant: { multiplier: [2 ** 30, 2 ** 30, 2 ** 30], shift: [1, 1, 1] },
        },
      },
    ]);
    // z = r = σ(1) → (32768 + T[16]) >> 1 = 23955; h~ = tanh(1) = T[32] = 24956; h0 = 0:
    // h = ((32768 − 23955) · 24956 + 2^14) >> 15 = 6712 (Q15) → (6712 + 128) >> 8 = 26 (Q7: 0.203; float 0.205)
    expect(run(m, [64])).toEqual([26]);
  });
});

describe('golden blobs', () => {
  const dir = path.join(REPO, 'test/fixtures/engine');
  const golden = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
    cases: Array<{ file: string; inputs: string[]; layers: string[][] }>;
  };
  it('cover every op × weight width', () => expect(golden.cases.length).toBe(40));
  it('the reference reproduces every layer of every golden case', () => {
    for (const c of golden.cases) {
      const blob = readBlob(new Uint8Array(readFileSync(path.join(dir, c.file))), c.file);
      c.inputs.forEach((b64, k) => {
        const got = runReference(blob, new Int8Array(Buffer.from(b64, 'base64'))).layers;
        expect(
          got.map((l) => Buffer.from(l.buffer, l.byteOffset, l.length).toString('base64')),
          `${c.file} input ${k}`,
        ).toEqual(c.layers[k]);
      });
    }
  });
});
