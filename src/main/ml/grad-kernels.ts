import type * as TfType from '@tensorflow/tfjs';

type Tf = typeof TfType;
type Tensor = TfType.Tensor;
type Tensor4D = TfType.Tensor4D;

/**
 * Gradient kernels that the wasm backend lacks (and that the cpu backend runs as per-element
 * JavaScript loops), written with the backend's own ops so the heavy part runs in its
 * BatchMatMul / elementwise kernels:
 *
 * - `Conv2DBackpropFilter` (every Conv1D/Conv2D layer's weight gradient): im2col by strided
 *   slices of the padded input, one matMul `colsᵀ · dy`.
 * - `DepthwiseConv2dNativeBackpropFilter` / `…BackpropInput` (depthwise layers): per filter tap,
 *   an elementwise product and a reduction (filter) or a zero-stuffed, shifted scatter (input).
 *
 * Nested ops inside a kernel are not recorded on the gradient tape (the engine only records at
 * kernel depth 0), and returning a Tensor from a kernel is allowed, so these compose with
 * `tf.grad` and `model.fit` like native kernels. Tested against the cpu backend's own kernels.
 */

interface KernelArgs {
  inputs: Record<string, unknown>;
  attrs?: Record<string, unknown>;
}

type PadAttr = 'valid' | 'same' | number | number[][];

interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  fH: number;
  fW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  top: number;
  left: number;
  bottom: number;
  right: number;
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0] ?? 1, a[1] ?? a[0] ?? 1];
}

function geometry(
  tf: Tf,
  xShape: number[],
  filterShape: [number, number, number, number],
  strides: unknown,
  dilations: unknown,
  pad: PadAttr,
  dimRoundingMode: unknown,
  depthwise: boolean,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape,
    pair(strides),
    pair(dilations ?? 1),
    pad as 'valid',
    dimRoundingMode as 'floor' | undefined,
    depthwise,
  );
  const [n, inH, inW, inC] = xShape as [number, number, number, number];
  return {
    batch: n,
    inH,
    inW,
    inC,
    outH: info.outHeight,
    outW: info.outWidth,
    fH: info.filterHeight,
    fW: info.filterWidth,
    sH: info.strideHeight,
    sW: info.strideWidth,
    dH: info.dilationHeight,
    dW: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    bottom: info.padInfo.bottom,
    right: info.padInfo.right,
  };
}

/** Padded input, and the strided window of it that filter tap (i, j) multiplies: [N, outH, outW, C]. */
function tapSlicer(tf: Tf, x: Tensor4D, g: ConvGeometry): (i: number, j: number) => Tensor4D {
  const padded =
    g.top || g.bottom || g.left || g.right
      ? tf.pad(x, [
          [0, 0],
          [g.top, g.bottom],
          [g.left, g.right],
          [0, 0],
        ])
      : x;
  return (i, j) => {
    const r0 = i * g.dH;
    const c0 = j * g.dW;
    if (g.sH === 1 && g.sW === 1)
      return tf.slice(padded, [0, r0, c0, 0], [g.batch, g.outH, g.outW, g.inC]) as Tensor4D;
    return tf.stridedSlice(
      padded,
      [0, r0, c0, 0],
      [g.batch, r0 + (g.outH - 1) * g.sH + 1, c0 + (g.outW - 1) * g.sW + 1, g.inC],
      [1, g.sH, g.sW, 1],
    ) as Tensor4D;
  };
}

function conv2DBackpropFilter(tf: Tf, args: KernelArgs): Tensor {
  const x = args.inputs.x as Tensor4D;
  const dy = args.inputs.dy as Tensor4D;
  const a = args.attrs ?? {};
  if (a.dataFormat === 'NCHW')
    throw new Error('Conv2DBackpropFilter: NCHW is not supported (bitbench is channels-last).');
  const filterShape = a.filterShape as [number, number, number, number];
  const g = geometry(tf, x.shape, filterShape, a.strides, 1, a.pad as PadAttr, a.dimRoundingMode, false);
  const outC = filterShape[3];
  return tf.tidy(() => {
    // im2col built already transposed: x as [C, N, H, W], each filter tap a strided window
    // [C, N·outH·outW], taps stacked in filter order (row, col, channel) → colsᵀ [fH·fW·C, M].
    // Then one non-transposed GEMM colsᵀ · dy: the wasm BatchMatMul is ~10× slower with a
    // transpose flag than without (measured 37 ms vs 2.8 ms for har-cnn's second conv).
    const m = g.batch * g.outH * g.outW;
    const xc = tf.transpose(x, [3, 0, 1, 2]) as Tensor4D;
    const padded =
      g.top || g.bottom || g.left || g.right
        ? tf.pad(xc, [
            [0, 0],
            [0, 0],
            [g.top, g.bottom],
            [g.left, g.right],
          ])
        : xc;
    const taps: Tensor[] = [];
    for (let i = 0; i < g.fH; i++)
      for (let j = 0; j < g.fW; j++) {
        const r0 = i * g.dH;
        const c0 = j * g.dW;
        const t =
          g.sH === 1 && g.sW === 1
            ? tf.slice(padded, [0, 0, r0, c0], [g.inC, g.batch, g.outH, g.outW])
            : tf.stridedSlice(
                padded,
                [0, 0, r0, c0],
                [g.inC, g.batch, r0 + (g.outH - 1) * g.sH + 1, c0 + (g.outW - 1) * g.sW + 1],
                [1, 1, g.sH, g.sW],
              );
        taps.push(tf.reshape(t, [g.inC, m]));
      }
    const colsT = taps.length === 1 ? taps[0]! : tf.concat(taps, 0);
    const dw = tf.matMul(colsT, tf.reshape(dy, [m, outC]));
    return tf.reshape(dw, filterShape);
  });
}

/** Zero-stuffs a [N, oh, ow, C] gradient back onto a stride grid: [N, (oh-1)·sH+1, (ow-1)·sW+1, C]. */
function unstride(tf: Tf, t: Tensor, sH: number, sW: number): Tensor {
  if (sH === 1 && sW === 1) return t;
  const [n, oh, ow, c] = t.shape as [number, number, number, number];
  let u = tf.reshape(t, [n, oh, 1, ow, 1, c]);
  u = tf.pad(u, [
    [0, 0],
    [0, 0],
    [0, sH - 1],
    [0, 0],
    [0, sW - 1],
    [0, 0],
  ]);
  u = tf.reshape(u, [n, oh * sH, ow * sW, c]);
  return tf.slice(u, [0, 0, 0, 0], [n, (oh - 1) * sH + 1, (ow - 1) * sW + 1, c]);
}

/**
 * Input gradient as a forward convolution (the wasm Conv2D runs in XNNPACK; the native wasm
 * Conv2DBackpropInput is a plain loop, 37 ms vs ~4 ms on har-cnn's second conv): the output
 * gradient, zero-stuffed for strides and padded by fH-1-top, convolved with the filter flipped
 * in space and with in/out channels swapped. Returns undefined when the padding does not fit
 * this form (explicit pads wider than the filter), so the caller falls back to the original.
 */
function conv2DBackpropInput(tf: Tf, args: KernelArgs): Tensor | undefined {
  const dy = args.inputs.dy as Tensor4D;
  const filter = args.inputs.filter as Tensor4D;
  const a = args.attrs ?? {};
  if (a.dataFormat === 'NCHW') return undefined;
  const inputShape = a.inputShape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const g = geometry(tf, inputShape, filterShape, a.strides, 1, a.pad as PadAttr, a.dimRoundingMode, false);
  const spanH = (g.outH - 1) * g.sH + 1;
  const spanW = (g.outW - 1) * g.sW + 1;
  const beforeH = g.fH - 1 - g.top;
  const beforeW = g.fW - 1 - g.left;
  const afterH = g.inH + g.fH - 1 - beforeH - spanH;
  const afterW = g.inW + g.fW - 1 - beforeW - spanW;
  if (beforeH < 0 || beforeW < 0 || afterH < 0 || afterW < 0) return undefined;
  return tf.tidy(() => {
    const d = tf.pad(unstride(tf, dy, g.sH, g.sW), [
      [0, 0],
      [beforeH, afterH],
      [beforeW, afterW],
      [0, 0],
    ]) as Tensor4D;
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
    return tf.conv2d(d, flipped, 1, 'valid');
  });
}

function depthwiseBackpropFilter(tf: Tf, args: KernelArgs): Tensor {
  const x = args.inputs.x as Tensor4D;
  const dy = args.inputs.dy as Tensor4D;
  const a = args.attrs ?? {};
  const filterShape = a.filterShape as [number, number, number, number];
  const g = geometry(
    tf,
    x.shape,
    filterShape,
    a.strides,
    a.dilations,
    a.pad as PadAttr,
    a.dimRoundingMode,
    true,
  );
  const mult = filterShape[3];
  return tf.tidy(() => {
    const tap = tapSlicer(tf, x, g);
    const dy5 = tf.reshape(dy, [g.batch, g.outH, g.outW, g.inC, mult]);
    const rows: Tensor[] = [];
    for (let i = 0; i < g.fH; i++)
      for (let j = 0; j < g.fW; j++) {
        const xt = tf.reshape(tap(i, j), [g.batch, g.outH, g.outW, g.inC, 1]);
        rows.push(tf.sum(tf.mul(xt, dy5), [0, 1, 2]));
      }
    return tf.reshape(tf.stack(rows), filterShape);
  });
}

function depthwiseBackpropInput(tf: Tf, args: KernelArgs): Tensor {
  const dy = args.inputs.dy as Tensor4D;
  const filter = args.inputs.filter as Tensor4D;
  const a = args.attrs ?? {};
  const inputShape = a.inputShape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const g = geometry(
    tf,
    inputShape,
    filterShape,
    a.strides,
    a.dilations,
    a.pad as PadAttr,
    a.dimRoundingMode,
    true,
  );
  const mult = filterShape[3];
  const padH = g.inH + g.top + g.bottom;
  const padW = g.inW + g.left + g.right;
  const spanH = (g.outH - 1) * g.sH + 1;
  const spanW = (g.outW - 1) * g.sW + 1;
  return tf.tidy(() => {
    const dy5 = tf.reshape(dy, [g.batch, g.outH, g.outW, g.inC, mult]);
    let acc: Tensor | undefined;
    for (let i = 0; i < g.fH; i++)
      for (let j = 0; j < g.fW; j++) {
        const w = tf.reshape(tf.slice(filter, [i, j, 0, 0], [1, 1, g.inC, mult]), [g.inC, mult]);
        let t: Tensor = tf.sum(tf.mul(dy5, w), 4); // [N, outH, outW, C]
        if (g.sH > 1 || g.sW > 1) {
          // Stride: put the gradient back on the input grid, zeros between the sampled positions.
          t = tf.reshape(t, [g.batch, g.outH, 1, g.outW, 1, g.inC]);
          t = tf.pad(t, [
            [0, 0],
            [0, 0],
            [0, g.sH - 1],
            [0, 0],
            [0, g.sW - 1],
            [0, 0],
          ]);
          t = tf.reshape(t, [g.batch, g.outH * g.sH, g.outW * g.sW, g.inC]);
          t = tf.slice(t, [0, 0, 0, 0], [g.batch, spanH, spanW, g.inC]);
        }
        const r0 = i * g.dH;
        const c0 = j * g.dW;
        t = tf.pad(t, [
          [0, 0],
          [r0, padH - r0 - spanH],
          [c0, padW - c0 - spanW],
          [0, 0],
        ]);
        acc = acc ? tf.add(acc, t) : t;
      }
    return tf.slice(acc!, [0, g.top, g.left, 0], [g.batch, g.inH, g.inW, g.inC]);
  });
}

/**
 * Max-pool gradient: the wasm backend's own MaxPoolGrad is wrong when the windows do not end
 * exactly at the input's end or there is padding (measured: a [3,7,4] input pooled by 2 gave
 * gradients off by up to 0.3 vs cpu). For those cases, per pool tap: mark where the input
 * equals the output and no earlier tap has claimed it (the first maximum in window order, as
 * the cpu backend picks), send dy there. (Strided slices are slow on wasm, so the exact-tiling
 * case stays with the native kernel: 6 ms vs ~40 ms this way on har-cnn.)
 */
function maxPoolGrad(tf: Tf, args: KernelArgs): Tensor | undefined {
  const dy = args.inputs.dy as Tensor4D;
  const x = args.inputs.input as Tensor4D;
  const y = args.inputs.output as Tensor4D;
  const a = args.attrs ?? {};
  const info = tf.backend_util.computePool2DInfo(
    x.shape,
    pair(a.filterSize),
    pair(a.strides),
    1,
    a.pad as 'valid',
    a.dimRoundingMode as 'floor' | undefined,
  );
  const g: ConvGeometry = {
    batch: x.shape[0],
    inH: x.shape[1],
    inW: x.shape[2],
    inC: x.shape[3],
    outH: info.outHeight,
    outW: info.outWidth,
    fH: info.filterHeight,
    fW: info.filterWidth,
    sH: info.strideHeight,
    sW: info.strideWidth,
    dH: 1,
    dW: 1,
    top: info.padInfo.top,
    left: info.padInfo.left,
    bottom: info.padInfo.bottom,
    right: info.padInfo.right,
  };
  const padH = g.inH + g.top + g.bottom;
  const padW = g.inW + g.left + g.right;
  if ((g.outH - 1) * g.sH + g.fH > padH || (g.outW - 1) * g.sW + g.fW > padW) return undefined;
  // The backend's own kernel is right (and fast, ~6 ms on har-cnn) when the windows end exactly
  // at the input's end without padding; only the other cases come here.
  const unpadded = !g.top && !g.bottom && !g.left && !g.right;
  if (unpadded && (g.inH - g.fH) % g.sH === 0 && (g.inW - g.fW) % g.sW === 0) return undefined;
  return tf.tidy(() => {
    const padded =
      g.top || g.bottom || g.left || g.right
        ? tf.pad(
            x,
            [
              [0, 0],
              [g.top, g.bottom],
              [g.left, g.right],
              [0, 0],
            ],
            -Infinity,
          )
        : x;
    const tap = tapSlicer(tf, padded as Tensor4D, { ...g, top: 0, bottom: 0, left: 0, right: 0 });
    let taken: Tensor = tf.zerosLike(y);
    let acc: Tensor | undefined;
    for (let i = 0; i < g.fH; i++)
      for (let j = 0; j < g.fW; j++) {
        const hit = tf.mul(tf.cast(tf.equal(tap(i, j), y), 'float32'), tf.sub(1, taken));
        taken = tf.add(taken, hit);
        const t = scatterTap(tf, tf.mul(dy, hit), g, i, j, padH, padW);
        acc = acc ? tf.add(acc, t) : t;
      }
    return tf.slice(acc!, [0, g.top, g.left, 0], [g.batch, g.inH, g.inW, g.inC]);
  });
}

/** Puts a per-output-position tensor [N, outH, outW, C] back at filter tap (i, j) of the padded input grid. */
function scatterTap(
  tf: Tf,
  t: Tensor,
  g: ConvGeometry,
  i: number,
  j: number,
  padH: number,
  padW: number,
): Tensor {
  const spanH = (g.outH - 1) * g.sH + 1;
  const spanW = (g.outW - 1) * g.sW + 1;
  const r0 = i * g.dH;
  const c0 = j * g.dW;
  return tf.pad(unstride(tf, t, g.sH, g.sW), [
    [0, 0],
    [r0, padH - r0 - spanH],
    [c0, padW - c0 - spanW],
    [0, 0],
  ]);
}

type KernelImpl = (tf: Tf, args: KernelArgs) => Tensor | undefined;

/**
 * Matrix products with a transpose flag, done as an explicit transpose then a plain product:
 * the wasm BatchMatMul only takes its fast (XNNPACK) path without transpose flags. Dense and
 * GRU backward passes and tfjs' own conv gradients multiply with transposed operands.
 */
function batchMatMulNoTranspose(tf: Tf, args: KernelArgs): Tensor | undefined {
  const attrs = args.attrs ?? {};
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  if (!ta && !tb) return undefined;
  const a = args.inputs.a as Tensor;
  const b = args.inputs.b as Tensor;
  // Small products: the slow path costs less than the extra transpose (measured: a dense
  // layer's [32,3968]ᵀ·[32,6] is faster as is).
  const ra = a.shape.length;
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = tb ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
  const batch = Math.max(a.size / (m * k), b.size / (k * n));
  if (batch * m * k * n < SMALL_MATMUL_MACS) return undefined;
  const swapLast = (t: Tensor): Tensor => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return tf.transpose(t, perm);
  };
  return tf.tidy(() => tf.matMul(ta ? swapLast(a) : a, tb ? swapLast(b) : b, false, false));
}
const SMALL_MATMUL_MACS = 1 << 21;

/** Kernels added where missing (wasm) and, with `replace`, swapped in for slow ones (cpu). */
const GRAD_KERNELS: Record<string, KernelImpl> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
};

/** Wrappers of existing wasm kernels that only take over the cases the original does slowly. */
const WASM_FAST_PATHS: Record<string, KernelImpl> = {
  BatchMatMul: batchMatMulNoTranspose,
  MaxPoolGrad: maxPoolGrad,
};

export const GRAD_KERNEL_NAMES = Object.keys(GRAD_KERNELS);

/** Original kernels we replaced, per backend: the replacements fall back to them, tests compare. */
const originals = new Map<string, TfType.KernelConfig>();
const installed = new Set<string>();

export function originalKernel(kernelName: string, backendName: string): TfType.KernelConfig | undefined {
  return originals.get(`${backendName}/${kernelName}`);
}

function install(tf: Tf, kernelName: string, backendName: string, impl: KernelImpl): void {
  const key = `${backendName}/${kernelName}`;
  const existing = tf.getKernel(kernelName, backendName);
  if (existing) {
    originals.set(key, existing);
    tf.unregisterKernel(kernelName, backendName);
  }
  const kernelFunc = (args: KernelArgs) => {
    const out = impl(tf, args);
    if (out !== undefined) return out;
    if (!existing) throw new Error(`${kernelName}: this configuration is not supported on ${backendName}.`);
    return existing.kernelFunc(args as unknown as Parameters<TfType.KernelFunc>[0]);
  };
  tf.registerKernel({
    kernelName,
    backendName,
    ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}),
    kernelFunc: kernelFunc as unknown as TfType.KernelFunc,
  });
  installed.add(key);
}

/**
 * Registers our gradient kernels for `backendName`: missing ones always; the backend's own
 * (slow, loop-based) ones too when `replace` (default: true on wasm and cpu). On wasm the
 * transposed-matMul fast path is added as well. The originals stay reachable as the fallback
 * and through `originalKernel`. Idempotent; returns the kernel names installed by this call.
 */
export function registerGradKernels(tf: Tf, backendName: string, opts: { replace?: boolean } = {}): string[] {
  const replace = opts.replace ?? (backendName === 'wasm' || backendName === 'cpu');
  const wanted: Array<[string, KernelImpl]> = Object.entries(GRAD_KERNELS);
  if (backendName === 'wasm') wanted.push(...Object.entries(WASM_FAST_PATHS));
  const done: string[] = [];
  for (const [kernelName, impl] of wanted) {
    if (installed.has(`${backendName}/${kernelName}`)) continue;
    const exists = tf.getKernel(kernelName, backendName) !== undefined;
    if (exists && !replace && !(kernelName in WASM_FAST_PATHS)) continue;
    install(tf, kernelName, backendName, impl);
    done.push(kernelName);
  }
  return done;
}

/** The kernels, callable directly (tests compare them with a backend's own kernel). */
export const gradKernelImpls = GRAD_KERNELS;
