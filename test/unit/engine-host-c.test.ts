import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlob } from '../../src/main/engine/blob-reader';
import { tensorBytes } from '../../src/shared/engine/blob-format';
import { exportC, tanhLutSource } from '../../src/main/engine/c-export';
import {
  ALL_BITS,
  ALL_OPS,
  ENGINE_HOST,
  FUZZ_BLOB,
  REPO,
  buildEngineHost,
  makeCase,
  runEngineHost,
  withRowPadding,
  type EngineCase,
} from '../helpers/engine-cases';

/*
 * The firmware engine (kernels + blob parser + runner) built for x86 with ASan/UBSan, run against
 * the TypeScript reference: every layer output of every case must be identical.
 */
let skipReason: string | null = null;
try {
  skipReason = buildEngineHost();
} catch (err) {
  skipReason = `host build of the firmware engine failed: ${(err as Error).message}`;
}
if (skipReason) console.warn(`engine-host-c: skipped — ${skipReason}`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectBitExact(cases: EngineCase[], arenaBytes?: number): { compared: number; skipped: number } {
  const results = runEngineHost(mkdtempSync(path.join(tmp, 'run-')), cases, arenaBytes);
  let compared = 0;
  let skipped = 0;
  results.forEach((r, i) => {
    const c = cases[i]!;
    expect(r.status, `${c.name}: ${r.why}`).toBe(0);
    c.expected.forEach((layers, k) =>
      layers.forEach((want, li) => {
        const got = r.layers[k]![li];
        if (got === null) {
          skipped++;
          return;
        }
        expect(Array.from(got!), `${c.name} input ${k} layer ${li}`).toEqual(Array.from(want));
        compared++;
      }),
    );
  });
  return { compared, skipped };
}

describe.skipIf(skipReason !== null)(
  'firmware engine, host build (ASan/UBSan) vs TypeScript reference',
  () => {
    it('every op × weight width, random models and inputs (property test)', () => {
      // fast-check draws the seeds; every op × width pair is covered on every run.
      const seeds = fc.sample(fc.integer({ min: 1, max: 2 ** 30 }), { numRuns: 4, seed: 20250101 });
      const cases = ALL_OPS.flatMap((op) =>
        ALL_BITS.flatMap((bits) => seeds.map((s) => makeCase(s + bits, op, bits))),
      );
      const { compared } = expectBitExact(cases);
      expect(compared).toBeGreaterThan(cases.length * 3);
      // The cases exercise the arithmetic, not just saturation: outputs take many values.
      const distinct = new Set(
        cases.flatMap((c) => c.expected.flatMap((ls) => Array.from(ls[ls.length - 1]!))),
      );
      expect(distinct.size).toBeGreaterThan(100);
    });

    it('the same with fresh random seeds each run (replay with the printed seed)', () => {
      const seed = Date.now() % 1_000_000;
      console.info(`engine-host-c random seed ${seed}`);
      const cases = ALL_OPS.flatMap((op) =>
        ALL_BITS.map((bits) => makeCase(seed + bits * 17 + op.length, op, bits)),
      );
      expectBitExact(cases);
    });

    it('ping-pong at exactly arena_min (a layer writes at the other end from its input): bit-exact, overwritten layers reported as such', () => {
      let compared = 0;
      let smaller = 0;
      for (const op of ALL_OPS) {
        for (const bits of ALL_BITS) {
          const c = makeCase(4242 + bits, op, bits);
          const p = readBlob(c.blob);
          compared += expectBitExact([c], p.arenaMin).compared;
          // Two buffers of the largest tensor, the layout before: the two-ended one needs less
          // whenever the largest tensor's neighbours are smaller.
          const largest = Math.max(tensorBytes(p.inShape), ...p.layers.map((l) => tensorBytes(l.outShape)));
          if (p.arenaMin < 2 * ((largest + 3) & ~3) + p.scratchBytes) smaller++;
        }
      }
      expect(compared).toBeGreaterThan(0);
      expect(smaller).toBeGreaterThan(0);
    });

    it('golden blobs: the C engine reproduces the checked-in expected outputs', () => {
      const dir = path.join(REPO, 'test/fixtures/engine');
      const golden = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
        cases: Array<{ file: string; inputs: string[]; layers: string[][] }>;
      };
      const cases: EngineCase[] = golden.cases.map((g) => ({
        name: g.file,
        blob: new Uint8Array(readFileSync(path.join(dir, g.file))),
        inputs: g.inputs.map((b) => new Int8Array(Buffer.from(b, 'base64'))),
        expected: g.layers.map((ls) => ls.map((b) => new Int8Array(Buffer.from(b, 'base64')))),
      }));
      expectBitExact(cases);
    });

    it('the C parser refuses what the TS reader refuses: truncated, corrupted, wrong version, arena', () => {
      const good = makeCase(77, 'dense', 8).blob;
      const check = (b: Uint8Array) => {
        const f = path.join(tmp, `check-${Math.random().toString(36).slice(2)}.bbm`);
        writeFileSync(f, b);
        return execFileSync(ENGINE_HOST, ['check', f], { encoding: 'utf8' }).trim();
      };
      expect(check(good)).toMatch(/^ok \d+$/);
      expect(check(good.subarray(0, good.length - 8))).toMatch(
        /^refused 8 blob size does not match its header/,
      );
      const corrupt = good.slice();
      corrupt[corrupt.length - 1]! ^= 1;
      expect(check(corrupt)).toMatch(/^refused 8 blob CRC-32 mismatch/);
      const v2 = good.slice();
      v2[4] = 2;
      expect(check(v2)).toMatch(/^refused 8 blob format version not supported/);
      // The first random int8 conv whose rows are padded (row length not a multiple of 4).
      const conv = [78, 79, 80, 81, 82, 83, 84, 85]
        .map((seed) => makeCase(seed, 'conv1d', 8).blob)
        .find((b) => readBlob(b).layers[0]!.a.rowStride > readBlob(b).layers[0]!.a.rowLen);
      expect(conv).toBeDefined();
      expect(check(conv!)).toMatch(/^ok \d+$/);
      expect(check(withRowPadding(conv!))).toMatch(/^refused \d+ .*nonzero padding after a weight row/);
    });

    it('fuzz target: 5000 mutated golden blobs parse and run clean under the sanitizers', () => {
      const dir = path.join(REPO, 'test/fixtures/engine');
      const seeds = readdirSync(dir)
        .filter((f) => f.endsWith('.bbm'))
        .map((f) => path.join(dir, f));
      const out = execFileSync(FUZZ_BLOB, ['5000', String(Date.now() % 100000), ...seeds], {
        encoding: 'utf8',
      });
      const m = /(\d+) iterations, (\d+) accepted, (\d+) refused/.exec(out);
      expect(m).not.toBeNull();
      expect(Number(m![3])).toBeGreaterThan(0);
    });
  },
);

describe('generated C', () => {
  it('firmware/kernels/bb_tanh_lut.c is the host table (regenerate with tanhLutSource)', () => {
    expect(readFileSync(path.join(REPO, 'firmware/kernels/bb_tanh_lut.c'), 'utf8')).toBe(tanhLutSource());
  });

  let hasGcc = true;
  beforeAll(() => {
    try {
      execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    } catch {
      hasGcc = false;
    }
  });
  it('the C export of a model compiles and holds the blob bytes', (ctx) => {
    if (!hasGcc) ctx.skip();
    const c = makeCase(5, 'conv1d', 4);
    const ex = exportC(c.blob, 'har-w4');
    expect(ex.headerName).toBe('har_w4.h');
    expect(ex.header).toContain(`#define HAR_W4_BLOB_BYTES ${c.blob.length}u`);
    expect(ex.header).toContain('#define HAR_W4_INPUT_MIN (-128)');
    expect(ex.header).toContain('#define HAR_W4_INPUT_MAX (127)');
    // A model whose input has 4 bits: its 16 levels.
    expect(exportC(c.blob, 'har-w4', { min: -128, max: -113 }).header).toContain(
      '#define HAR_W4_INPUT_MAX (-113)',
    );
    const dir = mkdtempSync(path.join(tmp, 'cexp-'));
    writeFileSync(path.join(dir, ex.headerName), ex.header);
    writeFileSync(path.join(dir, ex.sourceName), ex.source);
    writeFileSync(
      path.join(dir, 'main.c'),
      '#include <stdio.h>\n#include "har_w4.h"\nint main(void){unsigned s=0;for(unsigned i=0;i<HAR_W4_BLOB_BYTES;i++)s=s*31u+har_w4_blob[i];printf("%u %u\\n",(unsigned)((unsigned long)har_w4_blob%32u),s);return 0;}\n',
    );
    execFileSync(
      'gcc',
      [
        '-std=c11',
        '-Wall',
        '-Werror',
        '-o',
        path.join(dir, 'a.out'),
        path.join(dir, 'main.c'),
        path.join(dir, ex.sourceName),
      ],
      { cwd: dir },
    );
    const [align, sum] = execFileSync(path.join(dir, 'a.out'), { encoding: 'utf8' }).trim().split(' ');
    let s = 0;
    for (const b of c.blob) s = (Math.imul(s, 31) + b) >>> 0;
    expect(align).toBe('0');
    expect(Number(sum)).toBe(s);
  });
});
