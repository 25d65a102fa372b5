// Bit-exactness on the virtual boards: random models of every op × weight width loaded over the
// serial protocol (MODEL_BEGIN/CHUNK/COMMIT) and run with INFER; every output and every retained
// layer output must equal the host integer reference. Also: HELLO advertises the kernels, and a
// corrupted or unsupported blob is refused with a reason.
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/main/device/model-load';
import { readBlob } from '../../src/main/engine/blob-reader';
import { ALL_BITS, ALL_OPS, makeCase, type EngineCase } from '../helpers/engine-cases';
import { skipNote, suiteBoards, virtualBoardsUnavailable } from './helpers/virtual-boards';

const unavailable = virtualBoardsUnavailable();
skipNote(unavailable, 'engine-device integration tests');

describe.skipIf(unavailable !== null).each([{ spec: 'virtual:m4' }, { spec: 'virtual:m0' }])(
  'integer engine on $spec',
  ({ spec }) => {
    const boards = suiteBoards();

    it('HELLO lists the conv/dense/gru/pool/relu kernels and 1, 2, 4, 8-bit weights', async () => {
      const conn = await boards().connect(spec);
      const info = conn.info as unknown as { kernelMask: number; weightBitsMask: number };
      expect(info.kernelMask & 0x7f).toBe(0x7f);
      expect(info.weightBitsMask).toBe(0x8b);
      expect(conn.info.cpu).toBe(spec === 'virtual:m4' ? 'cortex-m4' : 'cortex-m0');
    });

    it('every op × weight width: device output and layer outputs equal the host reference', async () => {
      const conn = await boards().connect(spec);
      const cases: EngineCase[] = ALL_OPS.flatMap((op) =>
        ALL_BITS.map((bits) => makeCase(900 + bits * 7 + op.length, op, bits, 2)),
      );
      let compared = 0;
      for (const c of cases) {
        await loadModel(conn.client, c.blob);
        const nLayers = readBlob(c.blob).layers.length;
        for (let k = 0; k < c.inputs.length; k++) {
          const x = c.inputs[k]!;
          const r = await conn.client.infer(new Uint8Array(x.buffer, x.byteOffset, x.length));
          const want = c.expected[k]![nLayers - 1]!;
          expect(
            Array.from(new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length)),
            `${c.name} input ${k}`,
          ).toEqual(Array.from(want));
          expect(r.layerElapsed.length).toBe(nLayers);
          expect(r.counterKind).toBe('instructions');
          for (let li = 0; li < nLayers; li++) {
            const dev = await conn.client.layerOutput(li);
            expect(
              Array.from(new Int8Array(dev.buffer, dev.byteOffset, dev.length)),
              `${c.name} input ${k} layer ${li}`,
            ).toEqual(Array.from(c.expected[k]![li]!));
          }
          compared++;
        }
      }
      expect(compared).toBe(cases.length * 2);
    });

    it('a blob with a bad version is refused at commit with the reason; the previous model stays active', async () => {
      const conn = await boards().connect(spec);
      const good = makeCase(31, 'dense', 8, 1);
      await loadModel(conn.client, good.blob);
      const bad = good.blob.slice();
      bad[4] = 9; // format version 9 (the slot CRC is over the new bytes, so only the engine's check can refuse it)
      await expect(loadModel(conn.client, bad)).rejects.toThrow(/version/);
      const x = good.inputs[0]!;
      const r = await conn.client.infer(new Uint8Array(x.buffer, x.byteOffset, x.length));
      expect(Array.from(new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length))).toEqual(
        Array.from(good.expected[0]![good.expected[0]!.length - 1]!),
      );
    });
  },
);
