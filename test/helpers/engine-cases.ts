import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { BLOB_HEADER_BYTES, H, L, W, tensorBytes } from '../../src/shared/engine/blob-format';
import { crc32 } from '../../src/main/device/crc32';
import type { WeightBits } from '../../src/shared/quant/integer-model';
import { readBlob } from '../../src/main/engine/blob-reader';
import { writeBlob } from '../../src/main/engine/blob-writer';
import { runReference } from '../../src/main/engine/reference';
import { Rng, randomModel, type RandomOp } from '../../src/main/engine/random-model';

/** Shared by the engine tests: random cases, the host C build, and result decoding. */
export const ALL_OPS: RandomOp[] = [
  'conv1d',
  'conv2d',
  'depthwiseConv2d',
  'dense',
  'gru',
  'maxPool1d',
  'avgPool1d',
  'maxPool2d',
  'avgPool2d',
  'relu',
];
export const ALL_BITS: WeightBits[] = [8, 4, 2, 1];
export const WEIGHTED = new Set<RandomOp>(['conv1d', 'conv2d', 'depthwiseConv2d', 'dense', 'gru']);

export interface EngineCase {
  name: string;
  blob: Uint8Array;
  inputs: Int8Array[];
  /** Reference per-layer outputs per input. */
  expected: Int8Array[][];
}

export function makeCase(seed: number, op: RandomOp, bits: WeightBits, nInputs = 3): EngineCase {
  const model = randomModel(seed, op, bits, { head: seed % 2 === 0 });
  const blob = writeBlob(model, { modelId: seed });
  const parsed = readBlob(blob);
  const rng = new Rng(seed ^ 0x5bd1e995);
  const inputs = Array.from({ length: nInputs }, () => rng.int8Array(tensorBytes(parsed.inShape)));
  return {
    name: `${op}-w${bits}-seed${seed}`,
    blob,
    inputs,
    expected: inputs.map((x) => runReference(parsed, x).layers),
  };
}

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ENGINE_HOST = path.join(REPO, 'firmware/build/engine-host/engine_host');
export const FUZZ_BLOB = path.join(REPO, 'firmware/build/engine-host/fuzz_blob');

/** Builds the sanitizer host build; returns a reason string when it cannot (no gcc). */
export function buildEngineHost(): string | null {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'gcc not found: the host build of the firmware engine cannot run';
  }
  execFileSync('make', ['-s', '-C', path.join(REPO, 'firmware/kernels/test')], { stdio: 'pipe' });
  return null;
}

export interface CaseResult {
  status: number;
  why?: string;
  /** Per input, per layer (null: not retained, ping-pong). */
  layers: Array<Array<Int8Array | null>>;
}

/** Writes the cases to `dir`, runs the C engine once over all of them, decodes the results. */
export function runEngineHost(dir: string, cases: EngineCase[], arenaBytes?: number): CaseResult[] {
  const dirs = cases.map((c, i) => {
    const d = path.join(dir, `${i}-${c.name}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'model.bin'), c.blob);
    writeFileSync(
      path.join(d, 'input.bin'),
      Buffer.concat(c.inputs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.length))),
    );
    return d;
  });
  const args = [...(arenaBytes ? ['arena', String(arenaBytes)] : []), 'run', ...dirs];
  execFileSync(ENGINE_HOST, args, { stdio: 'pipe', maxBuffer: 1 << 24 });
  return dirs.map((d, i) =>
    decodeResult(
      readFileSync(path.join(d, 'result.bin')),
      cases[i]!.inputs.length,
      readBlob(cases[i]!.blob).layers.length,
    ),
  );
}

function decodeResult(buf: Buffer, nInputs: number, nLayers: number): CaseResult {
  let at = 0;
  const u32 = () => {
    const v = buf.readUInt32LE(at);
    at += 4;
    return v;
  };
  const res: CaseResult = { status: 0, layers: [] };
  for (let k = 0; k < nInputs; k++) {
    const st = u32();
    if (st !== 0) {
      const n = u32();
      return { status: st, why: buf.subarray(at, at + n).toString('utf8'), layers: res.layers };
    }
    const layers: Array<Int8Array | null> = [];
    for (let i = 0; i < nLayers; i++) {
      const n = u32();
      if (n === 0xffffffff) {
        layers.push(null);
        continue;
      }
      layers.push(new Int8Array(buf.subarray(at, at + n)));
      at += n;
    }
    res.layers.push(layers);
  }
  return res;
}

/** Recomputes hash and CRC: a well-formed-looking blob with a hostile body (what the structural checks face). */
export function resealBlob(b: Uint8Array): void {
  b.set(createHash('sha256').update(b.subarray(H.nLayers)).digest().subarray(0, 8), H.hash);
  new DataView(b.buffer, b.byteOffset).setUint32(H.crc32, crc32(b.subarray(H.totalSize)), true);
}

/** A copy of an int8 blob whose first layer's first row has a nonzero padding byte, resealed. */
export function withRowPadding(blob: Uint8Array): Uint8Array {
  const b = blob.slice();
  const dv = new DataView(b.buffer);
  const set = BLOB_HEADER_BYTES + L.setA;
  const rowLen = dv.getUint32(set + W.rowLen, true);
  if (dv.getUint32(set + W.rowStride, true) <= rowLen) throw new Error('this blob has no row padding');
  b[BLOB_HEADER_BYTES + dv.getUint32(set + W.weightsOff, true) + rowLen] = 1;
  resealBlob(b);
  return b;
}
