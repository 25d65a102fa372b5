import { GRU_STATE_SCALE, WEIGHT_RANGE, type GruExtra } from '../../shared/engine/blob-format';
import type { ActQuant, IntLayer, IntegerModel, WeightBits } from '../../shared/quant/integer-model';
import { quantizeMultiplier } from './int-math';

/**
 * Random small integer models for the bit-exactness property tests and the kernel benchmark:
 * every op × weight width, realistic requant multipliers (so outputs do not all saturate), and
 * a seeded generator so a failing case can be replayed from its seed.
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  /** xorshift32 */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  int8Array(n: number): Int8Array {
    const a = new Int8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(-128, 127);
    return a;
  }
}

export type RandomOp =
  | 'conv1d'
  | 'conv2d'
  | 'depthwiseConv2d'
  | 'dense'
  | 'gru'
  | 'maxPool1d'
  | 'avgPool1d'
  | 'maxPool2d'
  | 'avgPool2d'
  | 'relu';

function weightsOf(rng: Rng, n: number, bits: WeightBits): number[] {
  const r = WEIGHT_RANGE[bits];
  return Array.from({ length: n }, () => (bits === 1 ? (rng.next() < 0.5 ? -1 : 1) : rng.int(-r, r)));
}

function quant(rng: Rng): ActQuant {
  return { scale: 0.01 + rng.next() * 0.1, zeroPoint: rng.int(-20, 20) };
}

/** Requant so a typical accumulator (√fanIn · σw · 70) lands in a few dozen int8 steps. */
function requantFor(rng: Rng, n: number, fanIn: number, bits: WeightBits) {
  const wAbs = bits === 8 ? 60 : bits === 4 ? 3.5 : bits === 2 ? 0.7 : 1;
  const typical = Math.sqrt(Math.max(1, fanIn)) * wAbs * 70;
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (let c = 0; c < n; c++) {
    const q = quantizeMultiplier((40 / typical) * (0.5 + rng.next()));
    multiplier.push(q.multiplier);
    shift.push(q.shift);
  }
  return { multiplier, shift };
}

function weightedCommon(
  rng: Rng,
  name: string,
  input: ActQuant,
  n: number,
  fanIn: number,
  bits: WeightBits,
  relu: boolean,
) {
  const output = quant(rng);
  return {
    name,
    input,
    output,
    weightBits: bits,
    weightScale: Array.from({ length: n }, () => 0.01),
    bias: Array.from({ length: n }, () => rng.int(-5000, 5000)),
    requant: requantFor(rng, n, fanIn, bits),
    actMin: relu ? output.zeroPoint : -128,
    actMax: 127,
  };
}

/**
 * Sizes to use instead of the small random ones (the cost-model fit sweeps realistic layers, its
 * test pins a real model's layer): filters / dense outputs, kernel size, GRU units, conv stride
 * (both axes) and padding, a GRU's return_sequences; a pool's window (kernel, both axes of a 2-D
 * one), stride and whether it keeps its input's quantisation. Each one given skips its random draw
 * (keepQuant's draw is still made, so the rest of the layer stays the same).
 */
export interface LayerSize {
  filters?: number;
  kernel?: number;
  units?: number;
  stride?: number;
  padding?: 'valid' | 'same';
  returnSequences?: boolean;
  /** Pools: whether the output keeps the input's scale and zero point (the identity requant); drawn when absent. */
  keepQuant?: boolean;
}

/** One layer of `op` on input `shape` ([T, C] or [H, W, C]); returns the layer and its output shape. */
export function randomLayer(
  rng: Rng,
  op: RandomOp,
  bits: WeightBits,
  shape: number[],
  input: ActQuant,
  name: string,
  size: LayerSize = {},
): { layer: IntLayer; shape: number[] } {
  const relu = rng.next() < 0.5;
  switch (op) {
    case 'conv1d': {
      const [t, c] = shape as [number, number];
      const k = Math.min(t, size.kernel ?? rng.int(1, Math.min(5, t)));
      const s = size.stride ?? rng.int(1, 2);
      const padding = size.padding ?? rng.pick(['valid', 'same'] as const);
      const f = size.filters ?? rng.int(1, 12);
      const outT = padding === 'valid' ? Math.floor((t - k) / s) + 1 : Math.ceil(t / s);
      const common = weightedCommon(rng, name, input, f, k * c, bits, relu);
      return {
        layer: {
          op,
          ...common,
          weights: weightsOf(rng, f * k * c, bits),
          inShape: [t, c],
          outShape: [outT, f],
          kernelSize: k,
          strides: s,
          padding,
        },
        shape: [outT, f],
      };
    }
    case 'conv2d':
    case 'depthwiseConv2d': {
      const [h, w, c] = shape as [number, number, number];
      const kh = Math.min(h, size.kernel ?? rng.int(1, Math.min(3, h)));
      const kw = Math.min(w, size.kernel ?? rng.int(1, Math.min(3, w)));
      const sh = size.stride ?? rng.int(1, 2);
      const sw = size.stride ?? rng.int(1, 2);
      const padding = size.padding ?? rng.pick(['valid', 'same'] as const);
      const f = op === 'conv2d' ? (size.filters ?? rng.int(1, 8)) : c;
      const oh = padding === 'valid' ? Math.floor((h - kh) / sh) + 1 : Math.ceil(h / sh);
      const ow = padding === 'valid' ? Math.floor((w - kw) / sw) + 1 : Math.ceil(w / sw);
      const rowLen = op === 'conv2d' ? kh * kw * c : kh * kw;
      const common = weightedCommon(rng, name, input, f, rowLen, bits, relu);
      return {
        layer: {
          op,
          ...common,
          weights: weightsOf(rng, f * rowLen, bits),
          inShape: [h, w, c],
          outShape: [oh, ow, f],
          kernelSize: [kh, kw],
          strides: [sh, sw],
          padding,
        },
        shape: [oh, ow, f],
      };
    }
    case 'dense': {
      const n = shape.reduce((a, b) => a * b, 1);
      const m = size.filters ?? rng.int(1, 16);
      const common = weightedCommon(rng, name, input, m, n, bits, relu);
      return {
        layer: { op, ...common, weights: weightsOf(rng, m * n, bits), inFeatures: n, outFeatures: m },
        shape: [m],
      };
    }
    case 'gru': {
      const [t, f] = shape as [number, number];
      const u = size.units ?? rng.int(1, 8);
      const returnSequences = size.returnSequences ?? rng.next() < 0.5;
      const toQ12 = (fanIn: number, wAbs: number, inAbs: number) =>
        Array.from({ length: 3 * u }, () =>
          quantizeMultiplier((4096 * (0.5 + rng.next())) / (Math.sqrt(fanIn) * wAbs * inAbs)),
        );
      const wAbs = bits === 8 ? 60 : bits === 4 ? 3.5 : 1;
      const kq = toQ12(f, wAbs, 60);
      const rq = toQ12(u, wAbs, 60);
      const extra: GruExtra = {
        kernel: weightsOf(rng, 3 * u * f, bits),
        recurrentKernel: weightsOf(rng, 3 * u * u, bits),
        kernelBias: Array.from({ length: 3 * u }, () => rng.int(-3000, 3000)),
        recurrentBias: Array.from({ length: 3 * u }, () => rng.int(-3000, 3000)),
        kernelRequant: { multiplier: kq.map((q) => q.multiplier), shift: kq.map((q) => q.shift) },
        recurrentRequant: { multiplier: rq.map((q) => q.multiplier), shift: rq.map((q) => q.shift) },
      };
      return {
        layer: {
          op,
          name,
          input,
          output: { scale: GRU_STATE_SCALE, zeroPoint: 0 },
          units: u,
          inFeatures: f,
          timeSteps: t,
          returnSequences,
          weightBits: bits,
          extra,
        },
        shape: returnSequences ? [t, u] : [u],
      };
    }
    case 'maxPool1d':
    case 'avgPool1d': {
      const [t, c] = shape as [number, number];
      const p = size.kernel ?? rng.int(1, Math.min(4, t));
      const s = size.stride ?? rng.int(1, p);
      const out = Math.floor((t - p) / s) + 1;
      const keep = rng.next() < 0.5;
      const output = (size.keepQuant ?? keep) ? input : quant(rng);
      return {
        layer: { op, name, input, output, inShape: [t, c], outShape: [out, c], poolSize: [p], strides: [s] },
        shape: [out, c],
      };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [h, w, c] = shape as [number, number, number];
      const ph = size.kernel ?? rng.int(1, Math.min(3, h));
      const pw = size.kernel ?? rng.int(1, Math.min(3, w));
      const sh = size.stride ?? rng.int(1, ph);
      const sw = size.stride ?? rng.int(1, pw);
      const oh = Math.floor((h - ph) / sh) + 1;
      const ow = Math.floor((w - pw) / sw) + 1;
      const keep = rng.next() < 0.5;
      const output = (size.keepQuant ?? keep) ? input : quant(rng);
      return {
        layer: {
          op,
          name,
          input,
          output,
          inShape: [h, w, c],
          outShape: [oh, ow, c],
          poolSize: [ph, pw],
          strides: [sh, sw],
        },
        shape: [oh, ow, c],
      };
    }
    case 'relu': {
      const output = rng.next() < 0.5 ? input : quant(rng);
      const six = rng.int(output.zeroPoint, 127);
      return { layer: { op, name, input, output, actMin: output.zeroPoint, actMax: six }, shape };
    }
  }
}

/** Input shape an op's random layer takes. */
export function randomInputShape(rng: Rng, op: RandomOp): number[] {
  if (op === 'conv2d' || op === 'depthwiseConv2d' || op === 'maxPool2d' || op === 'avgPool2d')
    return [rng.int(1, 6), rng.int(1, 6), rng.int(1, 6)];
  if (op === 'dense') return [rng.int(1, 70)];
  return [rng.int(1, 12), rng.int(1, 9)];
}

/** A one-layer model of `op` (followed by a dense head for shapes the head accepts, to exercise chaining). */
export function randomModel(
  seed: number,
  op: RandomOp,
  bits: WeightBits,
  opts: { head?: boolean } = {},
): IntegerModel {
  const rng = new Rng(seed);
  const inputShape = randomInputShape(rng, op);
  const input = quant(rng);
  const layers: IntLayer[] = [];
  const first = randomLayer(rng, op, bits, inputShape, input, `l0_${op}`);
  layers.push(first.layer);
  let shape = first.shape;
  let q = first.layer.output;
  if (opts.head) {
    if (shape.length > 1) {
      layers.push({ op: 'flatten', name: 'flat', input: q, output: q });
      shape = [shape.reduce((a, b) => a * b, 1)];
    }
    const head = randomLayer(rng, 'dense', bits, shape, q, 'head');
    layers.push(head.layer);
    shape = head.shape;
    q = head.layer.output;
  }
  return { version: 1, inputShape, input, numClasses: shape.reduce((a, b) => a * b, 1), layers, output: q };
}

/**
 * One layer of `op` on `shape` to measure on a board (the cost-model fit and its test). When its
 * output would not fit one INFER reply (`maxOutputBytes`), a flatten and a one-output int8 dense
 * head follow so the board answers with one byte; only layer 0's counts matter. `firstShift`
 * overrides the first channel's requant shift (−1: a multiplier in [¼, ½), as a real first layer
 * with binary weights often has); `shifts` sets every channel's shift, channel c to shifts[c mod
 * length] (−1 and 0: multipliers of ¼ to 1, what binary layers' per-channel scales give), after which
 * `firstShift` still applies.
 */
export function measuredLayerModel(
  seed: number,
  op: RandomOp,
  bits: WeightBits,
  shape: number[],
  opts: {
    size?: LayerSize;
    maxOutputBytes?: number;
    firstShift?: number;
    shifts?: readonly number[];
  } = {},
): IntegerModel {
  const rng = new Rng(seed);
  const input = { scale: 0.05, zeroPoint: rng.int(-10, 10) };
  const l = randomLayer(rng, op, bits, shape, input, 'l0', opts.size ?? {});
  const sh = opts.shifts;
  if (sh?.length && 'requant' in l.layer) {
    const s = l.layer.requant.shift;
    for (let c = 0; c < s.length; c++) s[c] = sh[c % sh.length]!;
  }
  if (opts.firstShift !== undefined && 'requant' in l.layer) l.layer.requant.shift[0] = opts.firstShift;
  const n = l.shape.reduce((a, b) => a * b, 1);
  if (n <= (opts.maxOutputBytes ?? Infinity))
    return { version: 1, inputShape: shape, input, numClasses: n, layers: [l.layer], output: l.layer.output };
  const q = l.layer.output;
  const head = randomLayer(rng, 'dense', 8, [n], q, 'head', { filters: 1 });
  return {
    version: 1,
    inputShape: shape,
    input,
    numClasses: 1,
    layers: [l.layer, { op: 'flatten', name: 'flat', input: q, output: q }, head.layer],
    output: head.layer.output,
  };
}
