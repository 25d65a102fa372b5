import { z } from 'zod';
import type { NamedWeight } from './spec';

/**
 * The float weights of a model as one BLOB (`models.weights`):
 *
 *   offset 0   "BBW1"                      magic, 4 ASCII bytes
 *   offset 4   u32 LE  H                   byte length of the JSON header
 *   offset 8   H bytes UTF-8 JSON          {"tensors":[{"layer","param","shape"}, …]}
 *   then       0–3 zero bytes              so the data starts on a 4-byte boundary
 *   then       float32 LE values           each tensor's values, row-major, in header order
 *
 * The tensor order is NamedWeight[] order (layer order, then kernel, recurrentKernel, bias…).
 * Decoding checks the magic, the header and that the data length is exactly what the shapes
 * need, so a truncated or foreign blob is refused rather than read as garbage.
 */

const MAGIC = 'BBW1';

const HeaderSchema = z.object({
  tensors: z.array(
    z.object({
      layer: z.string().min(1),
      param: z.string().min(1),
      shape: z.array(z.number().int().min(0)),
    }),
  ),
});

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeWeights(weights: readonly NamedWeight[]): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ tensors: weights.map((w) => ({ layer: w.layer, param: w.param, shape: w.shape })) }),
  );
  const dataStart = (8 + header.length + 3) & ~3;
  const total = weights.reduce((a, w) => a + w.values.length, 0);
  const out = new Uint8Array(dataStart + total * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  let off = dataStart;
  for (const w of weights) {
    if (w.values.length !== count(w.shape))
      throw new Error(
        `Weight ${w.layer}.${w.param}: ${w.values.length} values for shape [${w.shape.join(', ')}].`,
      );
    for (let i = 0; i < w.values.length; i++, off += 4) view.setFloat32(off, w.values[i]!, true);
  }
  return out;
}

export function decodeWeights(blob: Uint8Array): NamedWeight[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const magic = String.fromCharCode(...blob.subarray(0, 4));
  if (blob.length < 8 || magic !== MAGIC) throw new Error('Not a bitbench weights blob (bad magic).');
  const headerLen = view.getUint32(4, true);
  if (8 + headerLen > blob.length) throw new Error('Weights blob truncated (header).');
  const header = HeaderSchema.parse(JSON.parse(new TextDecoder().decode(blob.subarray(8, 8 + headerLen))));
  let off = (8 + headerLen + 3) & ~3;
  const need = header.tensors.reduce((a, t) => a + count(t.shape), 0);
  if (blob.length - off !== need * 4)
    throw new Error(`Weights blob has ${blob.length - off} data bytes, the header needs ${need * 4}.`);
  return header.tensors.map((t) => {
    const values = new Float32Array(count(t.shape));
    for (let i = 0; i < values.length; i++, off += 4) values[i] = view.getFloat32(off, true);
    return { layer: t.layer, param: t.param, shape: t.shape, values };
  });
}
