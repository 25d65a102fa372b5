import type * as TfType from '@tensorflow/tfjs';
import type { JobStage } from '../../shared/api/jobs';
import type { PtqConfig } from '../../shared/api/quant';
import { BitbenchError } from '../../shared/errors';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import type { AffineEncoding } from '../../shared/quant/encoding';
import type { IntegerModel } from '../../shared/quant/integer-model';
import type { Tf } from '../ml/tf-loader';
import { dequantize, quantize, quantizeWithRounding, sqnrDb } from './affine-quantizer';
import { adaQuant, defaultAdaQuantOptions } from './adaquant';
import { adaRound, defaultAdaRoundOptions, pickRounding } from './adaround';
import { defaultBiasTuningOptions, tuneBiases, type BiasTuningResult } from './bias-tuning';
import { absorbBiases, crossLayerEqualise } from './cross-layer-equalization';
import {
  actQuantOf,
  biasLevels,
  buildIntegerModel,
  gruIntLayer,
  gruStateEncoding,
  type QuantizedGraph,
  type QuantizedLayer,
} from './integer-model-builder';
import type { GruIntLayer } from './integer-sim';
import type { LayerProblem } from './layer-reconstruction';
import { lsqWeightScales } from './lsq';
import { ActivationObserver, channelStats } from './observers';
import {
  buildPtqGraph,
  cloneGraph,
  isDepthwise,
  isGru,
  isWeighted,
  kernelMatrixShape,
  quantizableNodes,
  type GruNode,
  type PtqGraph,
  type WeightedNode,
} from './ptq-graph';
import { activationEncoding, argmaxLogitEncoding, weightEncoding } from './range-setters';
import {
  applyActivation,
  inputScales,
  layerInputRows,
  nodeForwardTf,
  predictLogits,
  simNodeForward,
  weightedPreActivation,
  type SimSettings,
} from './tf-forward';
import { fakeQuant } from './tf-quantizer';

/**
 * Seed 003's unified PTQ pipeline, every step switchable:
 *  (1) FP preprocessing — BN folding, CLE, optional bias absorption;
 *  (2) quantizers + range initialisation — MinMax / MSE / percentile, weights symmetric per channel,
 *      activations asymmetric per tensor;
 *  (3) layerwise optimisation, layer by layer on calibration data — AdaRound (opt_round) or LSQ
 *      (opt_qparam) or plain nearest rounding;
 *  (4) empirical bias correction.
 * The product is a QuantizedGraph, the integer model built from it and the matching simulated-
 * quantization settings; evaluation lives in ptq-evaluate.ts.
 */
export interface ResolvedBits {
  weights: number;
  acts: number;
}

export interface LayerStepInfo {
  name: string;
  bits: ResolvedBits;
  optimisation: {
    method: string;
    lossNearest: number;
    lossAfter: number;
    kept: boolean;
    softFraction?: number;
    /** AdaQuant: fraction of integer weights that differ from nearest rounding of the float ones. */
    changedFraction?: number;
  } | null;
  biasCorrectionMaxAbs: number | null;
  weightSqnr: number;
}

export interface PtqResult {
  /** The float graph after preprocessing (BN folded, CLE, absorption): the same function as the parent. */
  floatGraph: PtqGraph;
  quantized: QuantizedGraph;
  integerModel: IntegerModel;
  sim: SimSettings;
  bits: Map<string, ResolvedBits>;
  steps: LayerStepInfo[];
  cleSweeps: number;
  /** Step 4's end-to-end bias tuning, when asked. */
  biasTuning: BiasTuningResult | null;
}

/** Overall progress, its message, and (from the pipeline) each layer's own progress. */
export type Progress = (fraction: number, message: string, layers?: readonly JobStage[]) => void;

/**
 * Resolves per-layer bits and checks the request against the graph; throws `bad_request` naming
 * every problem. Called before any work.
 */
export function resolveLayerBits(
  spec: ModelSpec,
  graph: PtqGraph,
  config: PtqConfig,
): Map<string, ResolvedBits> {
  const weighted = quantizableNodes(graph);
  const names = new Set(weighted.map((n) => n.name));
  const unknown = Object.keys(config.layerBits).filter((k) => !names.has(k));
  if (unknown.length) {
    const inSpec = unknown.filter((k) => spec.layers.some((l) => l.name === k));
    const missing = unknown.filter((k) => !inSpec.includes(k));
    const parts: string[] = [];
    if (missing.length) parts.push(`unknown layer(s) ${missing.map((m) => `"${m}"`).join(', ')}`);
    if (inSpec.length)
      parts.push(`layer(s) ${inSpec.map((m) => `"${m}"`).join(', ')} have no weights to quantize`);
    throw new BitbenchError(
      'bad_request',
      `Per-layer bit table: ${parts.join('; ')}. Quantizable layers: ${[...names].join(', ')}.`,
    );
  }
  const out = new Map<string, ResolvedBits>();
  weighted.forEach((n, i) => {
    const entry = config.layerBits[n.name] ?? {};
    const isLast = i === weighted.length - 1;
    if (isGru(n)) {
      if (entry.acts !== undefined && entry.acts !== 8)
        throw new BitbenchError(
          'bad_request',
          `Per-layer bit table: GRU "${n.name}" outputs the engine's int8 Q7 hidden state; its activations are 8 bits, not ${entry.acts}.`,
        );
      out.set(n.name, { weights: entry.weights ?? config.weightBits, acts: 8 });
      return;
    }
    // The logits stay 8-bit unless asked: argmax over a 2^b-level grid would tie (docs/quantization.md).
    out.set(n.name, {
      weights: entry.weights ?? config.weightBits,
      acts: entry.acts ?? (isLast ? 8 : config.actBits),
    });
  });
  return out;
}

/** Copies a calibration batch out of a larger set: the first `count` rows of x (already sampled). */
function tensorOf(tf: Tf, x: Float32Array, count: number, shape: number[]): TfType.Tensor {
  return tf.tensor(x, [count, ...shape]);
}

/** Float pass: observers for every quantized tensor, pre-activation channel stats per weighted node. */
function observe(
  tf: Tf,
  g: PtqGraph,
  calib: TfType.Tensor,
  seed: number,
): {
  input: ActivationObserver;
  outputs: Array<ActivationObserver | undefined>;
  preAct: Map<string, { mean: Float64Array; std: Float64Array }>;
} {
  const input = new ActivationObserver('input', 65536, seed);
  input.observe(calib.dataSync() as Float32Array);
  const outputs: Array<ActivationObserver | undefined> = [];
  const preAct = new Map<string, { mean: Float64Array; std: Float64Array }>();
  let x = calib;
  g.nodes.forEach((n, i) => {
    let y: TfType.Tensor;
    if (isWeighted(n)) {
      const pre = weightedPreActivation(tf, n, x);
      const cout = kernelMatrixShape(n)[1];
      const st = channelStats(pre.dataSync() as Float32Array, cout);
      preAct.set(n.name, { mean: st.mean, std: st.std });
      y = n.activation === 'linear' ? pre : tf.tidy(() => applyActivation(tf, pre, n.activation));
      if (y !== pre) pre.dispose();
      const obs = new ActivationObserver(n.name, 65536, seed + i + 1);
      obs.observe(y.dataSync() as Float32Array);
      outputs.push(obs);
    } else {
      y = nodeForwardTf(tf, n, x);
      outputs.push(undefined);
    }
    if (x !== calib) x.dispose();
    x = y;
  });
  if (x !== calib) x.dispose();
  return { input, outputs, preAct };
}

function dequantizeLevels(levels: Int32Array, enc: AffineEncoding, cout: number): Float32Array {
  const out = new Float32Array(levels.length);
  for (let i = 0; i < levels.length; i++)
    out[i] = enc.scales[enc.scales.length === 1 ? 0 : i % cout]! * levels[i]!;
  return out;
}

/** Bias on the int32 grid s_in·s_w[c], back in real units (what the integer engine adds). */
export function gridBias(bias: Float32Array, inScale: number, enc: AffineEncoding): Float32Array {
  const scales = enc.scales.length === 1 ? Array.from(bias, () => enc.scales[0]!) : enc.scales;
  const lv = biasLevels(bias, inScale, scales);
  return Float32Array.from(lv, (v, c) => v * inScale * scales[c]!);
}

/**
 * Each layer's share of the progress bar (they sum to the layer count, so the bar's other steps keep
 * theirs). Without a layerwise optimiser every layer takes about as long. With one, a layer's time
 * grows with its weight matrix: every iteration multiplies a batch of input rows by it, so har-cnn's
 * 1M-weight dense layer is most of the run and its 1.7k-weight conv1 a sliver. A fifth of each share
 * is flat (per-iteration overhead); layers the optimiser skips (GRU, depthwise, 1-bit) get only that.
 * The job's ETA follows the bar.
 */
export function layerUnits(
  layers: ReadonlyArray<WeightedNode | GruNode>,
  bits: ReadonlyMap<string, ResolvedBits>,
  config: Pick<PtqConfig, 'optimizer'>,
): Map<string, number> {
  const optimised = (n: WeightedNode | GruNode): number =>
    config.optimizer !== 'none' && isWeighted(n) && !isDepthwise(n) && bits.get(n.name)!.weights > 1
      ? n.kernel.length
      : 0;
  const total = layers.reduce((a, n) => a + optimised(n), 0);
  return new Map(
    layers.map((n) => [n.name, total === 0 ? 1 : 0.2 + (0.8 * layers.length * optimised(n)) / total]),
  );
}

export async function runPtq(
  tf: Tf,
  spec: ModelSpec,
  weights: readonly NamedWeight[],
  calibX: Float32Array,
  calibCount: number,
  config: PtqConfig,
  report: Progress = () => undefined,
  shouldStop: () => void = () => undefined,
  /** Output encodings to use as they are, by weighted layer (QAT's trained ranges), not the range setter's. */
  fixedActs: ReadonlyMap<string, AffineEncoding> = new Map(),
): Promise<PtqResult> {
  const graph = buildPtqGraph(spec, weights, { foldBatchNorm: config.foldBatchNorm });
  const bits = resolveLayerBits(spec, graph, config);
  if (calibCount < 1) throw new BitbenchError('bad_request', 'No calibration data.');
  const g = cloneGraph(graph);
  const weighted = quantizableNodes(g);
  const totalUnits = 2 + weighted.length;
  const unitOf = layerUnits(weighted, bits, config);
  // A bar per layer: each layer's progress rides along with every overall report.
  const layerProgress = new Map(weighted.map((n) => [n.name, 0]));
  const progress = (fraction: number, message: string) =>
    report(
      fraction,
      message,
      [...layerProgress].map(([name, p]) => ({ name, progress: p })),
    );
  let cleSweeps = 0;
  if (config.cle) {
    progress(0.01, 'cross-layer equalisation');
    cleSweeps = crossLayerEqualise(g);
  }
  const calib = tensorOf(tf, calibX, calibCount, g.inputShape);
  try {
    progress(0.5 / totalUnits, 'observing activations on calibration data');
    let stats = observe(tf, g, calib, config.seed);
    if (config.biasAbsorption) {
      absorbBiases(g, stats.preAct);
      stats = observe(tf, g, calib, config.seed);
    }
    shouldStop();
    const rangeOpts = (method: PtqConfig['actRange']) => ({ method, percentile: config.percentile });
    const inputEnc = activationEncoding(stats.input, config.inputBits, rangeOpts(config.actRange));
    const outputEncs: AffineEncoding[] = [];
    let prevEnc = inputEnc;
    // The float model's logits on the calibration windows (`g` stays the float function), read by the
    // argmax grid and by tuning.
    let calibLogits: Float32Array | undefined;
    const floatCalibLogits = () => (calibLogits ??= predictLogits(tf, g, calibX, calibCount));
    const last = g.nodes.length - 1;
    const logitsNode = g.nodes[last];
    const logitEnc =
      config.logitRange === 'argmax' && logitsNode && isWeighted(logitsNode)
        ? argmaxLogitEncoding(floatCalibLogits(), calibCount, g.numClasses, bits.get(logitsNode.name)!.acts)
        : undefined;
    g.nodes.forEach((n, i) => {
      if (i === last && logitEnc) prevEnc = logitEnc;
      else if (isWeighted(n))
        prevEnc =
          fixedActs.get(n.name) ??
          activationEncoding(stats.outputs[i]!, bits.get(n.name)!.acts, rangeOpts(config.actRange));
      // The engine's GRU state is int8 Q7 whatever the activation bits (docs/integer-arithmetic.md).
      else if (isGru(n)) prevEnc = gruStateEncoding();
      outputEncs.push(prevEnc);
    });
    progress(1 / totalUnits, 'ranges initialised');

    // Layerwise: the float chain (targets) and the quantized chain (inputs) advance together.
    const layers = new Map<string, QuantizedLayer>();
    const kernels = new Map<string, Float32Array>();
    const biases = new Map<string, Float32Array>();
    const recurrentKernels = new Map<string, Float32Array>();
    const integerGru = new Map<string, GruIntLayer>();
    // What the quantized chain runs with, filled layer by layer (later layers are not read yet).
    const simSoFar: SimSettings = { inputEnc, outputEncs, kernels, biases, recurrentKernels, integerGru };
    const steps: LayerStepInfo[] = [];
    // The quantized copy gets the corrected biases; `g` stays the float function.
    const gq = cloneGraph(g);
    let xf: TfType.Tensor = calib;
    let xq: TfType.Tensor = fakeQuant(tf, calib, inputEnc);
    let inEnc = inputEnc;
    let done = 0;
    for (let i = 0; i < g.nodes.length; i++) {
      const nf = g.nodes[i]!;
      const n = gq.nodes[i]!;
      let yf: TfType.Tensor;
      let yq: TfType.Tensor;
      if (isWeighted(n)) {
        shouldStop();
        const b = bits.get(n.name)!;
        const base = (1 + done) / totalUnits;
        progress(base, `layer ${n.name}: W${b.weights}A${b.acts}`);
        const step = quantizeLayer(
          tf,
          n,
          b,
          xf,
          xq,
          inEnc,
          config,
          (f, msg) => {
            layerProgress.set(n.name, Math.min(1, Math.max(0, f)));
            progress(base + (f * unitOf.get(n.name)!) / totalUnits, msg);
          },
          shouldStop,
        );
        layerProgress.set(n.name, 1);
        layers.set(n.name, step.layer);
        kernels.set(n.name, step.dequantized);
        biases.set(n.name, step.gridBias);
        steps.push(step.info);
        yf = nodeForwardTf(tf, nf, xf);
        yq = tf.tidy(() =>
          fakeQuant(tf, nodeForwardTf(tf, n, xq, step.dequantized, step.gridBias), outputEncs[i]!),
        );
        done += unitOf.get(n.name)!;
      } else if (isGru(n)) {
        shouldStop();
        const b = bits.get(n.name)!;
        progress((1 + done) / totalUnits, `layer ${n.name}: W${b.weights} GRU (integer gates, Q7 state)`);
        const step = quantizeGru(n, b, config);
        layerProgress.set(n.name, 1);
        layers.set(n.name, step.layer);
        kernels.set(n.name, step.dequantized);
        recurrentKernels.set(n.name, step.recurrentDequantized);
        integerGru.set(n.name, gruIntLayer(n, step.layer, actQuantOf(inEnc)));
        steps.push(step.info);
        yf = nodeForwardTf(tf, nf, xf);
        yq = simNodeForward(tf, gq, i, xq, simSoFar);
        done += unitOf.get(n.name)!;
      } else {
        yf = nodeForwardTf(tf, nf, xf);
        yq = simNodeForward(tf, gq, i, xq, simSoFar);
      }
      if (xf !== calib) xf.dispose();
      xq.dispose();
      xf = yf;
      xq = yq;
      inEnc = outputEncs[i]!;
    }
    if (xf !== calib) xf.dispose();
    xq.dispose();

    let biasTuning: BiasTuningResult | null = null;
    // weight-/range-tuning run the same loop (parseMethod sets biasTuning too; an API config may not).
    if (config.biasTuning || config.weightTuning || config.rangeTuning) {
      shouldStop();
      const what = `${config.weightTuning ? 'weight and bias' : 'bias'}${config.rangeTuning ? ' and range' : ''} tuning`;
      const tuningBase = (0.5 + done) / totalUnits;
      progress(tuningBase, `${what}: logits of the quantized model vs the float model`);
      const gridBiasOf = (name: string, b: Float32Array, inScale: number) =>
        gridBias(b, inScale, layers.get(name)!.weightEnc);
      biasTuning = tuneBiases(
        tf,
        gq,
        simSoFar,
        floatCalibLogits(),
        calibX,
        calibCount,
        gridBiasOf,
        {
          ...defaultBiasTuningOptions,
          iterations: config.biasTuningIterations,
          learningRate: config.biasTuningLr,
          seed: config.seed,
          dropProb: config.qdrop ? config.qdropProb : 0,
          // Minutes on a big model: the bar moves with the steps, up to where the integer model starts.
          onStep: (t, of) => progress(tuningBase + (0.5 * t) / of / totalUnits, `${what} ${t}/${of}`),
        },
        shouldStop,
        config.weightTuning
          ? new Map([...layers].map(([name, l]) => [name, { levels: l.levels, enc: l.weightEnc }]))
          : undefined,
        config.rangeTuning,
      );
      // Range tuning moves activation grids: every node repeating a tuned grid takes the new one
      // (in place: simSoFar and the quantized graph hold this array).
      if (biasTuning.kept && biasTuning.outputEncs)
        outputEncs.splice(0, outputEncs.length, ...biasTuning.outputEncs);
      const inScaleOf = inputScales(gq, simSoFar);
      if (biasTuning.kept)
        for (const n of gq.nodes)
          if (isWeighted(n)) {
            n.bias.set(biasTuning.biases.get(n.name)!);
            biases.set(n.name, gridBiasOf(n.name, n.bias, inScaleOf.get(n.name)!));
            const levels = biasTuning.levels?.get(n.name);
            if (levels) {
              const l = layers.get(n.name)!;
              layers.set(n.name, { ...l, levels });
              kernels.set(n.name, dequantize(levels, n.kernelShape, l.weightEnc));
            }
          }
    }

    const quantized: QuantizedGraph = { graph: gq, inputEnc, outputEncs, layers };
    progress((1 + done) / totalUnits, 'building the integer model');
    const integerModel = buildIntegerModel(quantized);
    const sim: SimSettings = simSoFar;
    return { floatGraph: g, quantized, integerModel, sim, bits, steps, cleSweeps, biasTuning };
  } finally {
    calib.dispose();
  }
}

/** Steps (2)–(4) for one weighted layer. Mutates `n.bias` when bias correction is on. */
function quantizeLayer(
  tf: Tf,
  n: WeightedNode,
  b: ResolvedBits,
  xf: TfType.Tensor,
  xq: TfType.Tensor,
  inEnc: AffineEncoding,
  config: PtqConfig,
  progress: Progress,
  shouldStop: () => void,
): { layer: QuantizedLayer; dequantized: Float32Array; gridBias: Float32Array; info: LayerStepInfo } {
  const [fanIn, cout] = kernelMatrixShape(n);
  let enc = weightEncoding(
    n.kernel,
    n.kernelShape,
    b.weights,
    { method: config.weightRange, percentile: config.percentile },
    config.perChannel,
  );
  let levels = quantize(n.kernel, n.kernelShape, enc);
  let optimisation: LayerStepInfo['optimisation'] = null;
  // AdaQuant may move the bias; bias correction then measures against the float layer's own.
  const floatBias = n.bias.slice();

  // Depthwise convs are not one matrix product (each channel has its own rows): nearest rounding.
  if (config.optimizer !== 'none' && b.weights > 1 && !isDepthwise(n)) {
    const rowsF = layerInputRows(tf, n, xf);
    const rowsQ = layerInputRows(tf, n, xq);
    const target = tf.tidy(() =>
      applyActivation(
        tf,
        tf.matMul(rowsF as TfType.Tensor2D, tf.tensor2d(n.kernel, [fanIn, cout])).add(tf.tensor1d(n.bias)),
        n.activation,
      ),
    );
    // QDrop keeps the float rows: training batches mix them with the quantized ones (qdrop.ts).
    if (!config.qdrop) rowsF.dispose();
    const problem: LayerProblem = {
      xq: rowsQ,
      ...(config.qdrop ? { drop: { xf: rowsF, prob: config.qdropProb } } : {}),
      target,
      kernel: n.kernel,
      rows: rowsQ.shape[0]!,
      fanIn,
      cout,
      bias: n.bias,
      activation: n.activation,
    };
    try {
      if (config.optimizer === 'adaround') {
        const r = adaRound(
          tf,
          problem,
          enc,
          { ...defaultAdaRoundOptions, iterations: config.iterations, seed: config.seed },
          (t) =>
            progress((0.9 * t) / config.iterations, `layer ${n.name}: AdaRound ${t}/${config.iterations}`),
          shouldStop,
        );
        const choice = pickRounding(r);
        if (choice !== 'nearest') levels = quantizeWithRounding(n.kernel, n.kernelShape, enc, choice);
        optimisation = {
          method: 'adaround',
          lossNearest: r.lossNearest,
          lossAfter: r.lossAdaRound,
          kept: choice !== 'nearest',
          softFraction: r.softFraction,
        };
      } else if (config.optimizer === 'adaquant') {
        const r = adaQuant(
          tf,
          problem,
          enc,
          { ...defaultAdaQuantOptions, iterations: config.iterations, seed: config.seed },
          (t) =>
            progress((0.9 * t) / config.iterations, `layer ${n.name}: AdaQuant ${t}/${config.iterations}`),
          shouldStop,
        );
        const kept = r.lossAfter < r.lossBefore;
        if (kept) {
          levels = quantize(r.kernel, n.kernelShape, enc);
          n.bias.set(r.bias);
        }
        optimisation = {
          method: 'adaquant',
          lossNearest: r.lossBefore,
          lossAfter: kept ? r.lossAfter : r.lossBefore,
          kept,
          changedFraction: r.changedFraction,
        };
      } else {
        const iters = Math.max(1, Math.round(config.iterations / 2));
        const r = lsqWeightScales(
          tf,
          problem,
          enc,
          {
            iterations: iters,
            batchRows: 1024,
            learningRate: 1e-3,
            seed: config.seed,
            onStep: (t) => progress((0.9 * t) / iters, `layer ${n.name}: LSQ ${t}/${iters}`),
          },
          shouldStop,
        );
        const kept = r.enc !== enc;
        enc = r.enc;
        levels = quantize(n.kernel, n.kernelShape, enc);
        optimisation = { method: 'lsq', lossNearest: r.lossBefore, lossAfter: r.lossAfter, kept };
      }
    } finally {
      rowsQ.dispose();
      if (config.qdrop) rowsF.dispose();
      target.dispose();
    }
  }
  const dequantized = dequantizeLevels(levels, enc, cout);

  let biasCorrectionMaxAbs: number | null = null;
  if (config.biasCorrection) {
    // Empirical bias correction: E[W x] − E[Ŵ x̂] per output channel, over the calibration rows
    // (depthwise: over every output position, from the layer's own pre-activations).
    const zero = new Float32Array(cout);
    const delta = tf.tidy(() => {
      if (isDepthwise(n)) {
        const pf = weightedPreActivation(tf, n, xf, n.kernel, zero).reshape([-1, cout]).mean(0);
        const pq = weightedPreActivation(tf, n, xq, dequantized, zero).reshape([-1, cout]).mean(0);
        return pf.sub(pq);
      }
      const mf = layerInputRows(tf, n, xf).mean(0, true);
      const mq = layerInputRows(tf, n, xq).mean(0, true);
      const ef = tf.matMul(mf as TfType.Tensor2D, tf.tensor2d(n.kernel, [fanIn, cout]));
      const eq = tf.matMul(mq as TfType.Tensor2D, tf.tensor2d(dequantized, [fanIn, cout]));
      return ef.sub(eq).reshape([cout]);
    });
    const d = delta.dataSync() as Float32Array;
    delta.dispose();
    biasCorrectionMaxAbs = 0;
    for (let c = 0; c < cout; c++) {
      // E[W x] + b_float − (E[Ŵ x̂] + b): b is b_float unless AdaQuant moved it.
      const corr = d[c]! + floatBias[c]! - n.bias[c]!;
      n.bias[c]! += corr;
      biasCorrectionMaxAbs = Math.max(biasCorrectionMaxAbs, Math.abs(corr));
    }
  }
  progress(1, `layer ${n.name} done`);
  const info: LayerStepInfo = {
    name: n.name,
    bits: b,
    optimisation,
    biasCorrectionMaxAbs,
    weightSqnr: sqnrDb(n.kernel, dequantized),
  };
  return {
    layer: { levels, weightEnc: enc },
    dequantized,
    gridBias: gridBias(n.bias, inEnc.scales[0]!, enc),
    info,
  };
}

/**
 * A GRU's weights: input and recurrent kernels each quantized per gate row (3u channels) at the
 * layer's bits, by the range setter (nearest rounding: AdaRound/LSQ reconstruct a single matrix
 * product, and bias correction a linear output, neither of which a GRU is). Its biases go to int32
 * in the integer layer; its output is the engine's Q7 state.
 */
function quantizeGru(
  n: GruNode,
  b: ResolvedBits,
  config: PtqConfig,
): {
  layer: QuantizedLayer;
  dequantized: Float32Array;
  recurrentDequantized: Float32Array;
  info: LayerStepInfo;
} {
  const range = { method: config.weightRange, percentile: config.percentile };
  const enc = weightEncoding(n.kernel, n.kernelShape, b.weights, range, config.perChannel);
  const recEnc = weightEncoding(n.recurrentKernel, n.recurrentShape, b.weights, range, config.perChannel);
  const levels = quantize(n.kernel, n.kernelShape, enc);
  const recLevels = quantize(n.recurrentKernel, n.recurrentShape, recEnc);
  const dequantized = dequantizeLevels(levels, enc, n.kernelShape[1]);
  const recurrentDequantized = dequantizeLevels(recLevels, recEnc, n.recurrentShape[1]);
  const all = new Float32Array(n.kernel.length + n.recurrentKernel.length);
  all.set(n.kernel);
  all.set(n.recurrentKernel, n.kernel.length);
  const allQ = new Float32Array(all.length);
  allQ.set(dequantized);
  allQ.set(recurrentDequantized, dequantized.length);
  return {
    layer: { levels, weightEnc: enc, recurrent: { levels: recLevels, weightEnc: recEnc } },
    dequantized,
    recurrentDequantized,
    info: {
      name: n.name,
      bits: { weights: b.weights, acts: 8 },
      optimisation: null,
      biasCorrectionMaxAbs: null,
      weightSqnr: sqnrDb(all, allQ),
    },
  };
}
