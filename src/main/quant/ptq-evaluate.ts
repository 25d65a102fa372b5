import type { IntegerModel } from '../../shared/quant/integer-model';
import type { Tf } from '../ml/tf-loader';
import { sqnrDb } from './affine-quantizer';
import { engineReferencePredict } from './engine-reference';
import { dequantizeLogits, integerPredict } from './integer-sim';
import { hasWeights, isGru, type PtqGraph } from './ptq-graph';
import type { PtqResult } from './ptq-pipeline';
import { forwardNodes, predictLogits, withoutLogitsGrid, type SimSettings } from './tf-forward';

/**
 * Evaluation of a quantized variant against its float parent on a labelled split: accuracy (and per
 * class) of the float, simulated and integer models, their agreements, per-layer SQNR, and seed 004's
 * debugging view — each layer with only its weights quantized, and with only its output activation
 * quantized — so a user sees which layer hurts.
 */
export interface LabelledSet {
  x: Float32Array;
  y: Int32Array | number[];
  count: number;
  classes: string[];
}

export interface DebugRow {
  accuracy: number;
  logitsSqnr: number;
}

export interface PtqEvaluation {
  floatAccuracy: number;
  fakeQuantAccuracy: number;
  integerAccuracy: number;
  integerMatchesFakeQuant: number;
  agreementWithFloat: number;
  perClass: Array<{ class: string; count: number; floatAccuracy: number; accuracy: number }>;
  layerSqnr: Map<string, number>;
  weightOnly: Map<string, DebugRow>;
  actOnly: Map<string, DebugRow>;
  inputActOnly: DebugRow;
  /** The debugging rows' windows (the first of the test split) and the float model's accuracy on them. */
  debug: { count: number; floatAccuracy: number };
  integerLogitsSqnr: number;
  /** Which integer implementation gave `integerAccuracy`, and how the other one compared. */
  integerReference: 'engine' | 'ptq-sim';
  /** Fraction of int8 logits equal between the engine's reference and PTQ's simulation (null: no engine run). */
  engineMatchesSim: number | null;
  engineNote: string | null;
  blobBytes: number | null;
  /** The device blob's arena_min (null when the engine could not export the model). */
  blobArenaBytes: number | null;
}

export function argmax(logits: ArrayLike<number>, count: number, k: number): Int32Array {
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (logits[n * k + c]! > logits[n * k + best]!) best = c;
    out[n] = best;
  }
  return out;
}

export function accuracyOf(pred: ArrayLike<number>, y: ArrayLike<number>, count: number): number {
  let ok = 0;
  for (let i = 0; i < count; i++) if (pred[i] === y[i]) ok++;
  return count ? ok / count : 0;
}

function agreement(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number {
  return accuracyOf(a, b, count);
}

/** The first `n` samples of a set (debug passes run on a bounded subset). */
function head(set: LabelledSet, n: number): LabelledSet {
  const count = Math.min(n, set.count);
  const per = set.x.length / set.count;
  return {
    x: set.x.subarray(0, count * per),
    y: Array.from(set.y).slice(0, count),
    count,
    classes: set.classes,
  };
}

function debugRow(
  tf: Tf,
  g: PtqGraph,
  set: LabelledSet,
  floatLogits: Float32Array,
  sim: SimSettings,
): DebugRow {
  const logits = predictLogits(tf, g, set.x, set.count, sim);
  const preGrid = withoutLogitsGrid(g, sim);
  const forSqnr = preGrid === sim ? logits : predictLogits(tf, g, set.x, set.count, preGrid);
  return {
    accuracy: accuracyOf(argmax(logits, set.count, g.numClasses), set.y, set.count),
    logitsSqnr: sqnrDb(floatLogits, forSqnr),
  };
}

/**
 * Per weighted layer: SQNR of its output in the fully simulated model against the float model (the
 * logits before their grid: see withoutLogitsGrid).
 */
function layerSqnr(tf: Tf, r: PtqResult, set: LabelledSet): Map<string, number> {
  const out = new Map<string, number>();
  const g = r.floatGraph;
  const q = r.quantized.graph;
  const acc = new Map<string, { sig: number; noise: number }>();
  for (let s = 0; s < set.count; s += 256) {
    const n = Math.min(256, set.count - s);
    const per = set.x.length / set.count;
    const xb = tf.tensor(set.x.subarray(s * per, (s + n) * per), [n, ...g.inputShape]);
    const fo = forwardNodes(tf, g, xb);
    const qo = forwardNodes(tf, q, xb, withoutLogitsGrid(q, r.sim));
    g.nodes.forEach((node, i) => {
      if (!hasWeights(node)) return;
      const a = fo[i]!.dataSync();
      const b = qo[i]!.dataSync();
      const e = acc.get(node.name) ?? { sig: 0, noise: 0 };
      for (let j = 0; j < a.length; j++) {
        e.sig += a[j]! * a[j]!;
        e.noise += (a[j]! - b[j]!) ** 2;
      }
      acc.set(node.name, e);
    });
    for (const t of [...fo, ...qo]) t.dispose();
    xb.dispose();
  }
  for (const [name, e] of acc)
    out.set(name, e.noise === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(e.sig / e.noise));
  return out;
}

export function evaluatePtq(
  tf: Tf,
  r: PtqResult,
  test: LabelledSet,
  opts: {
    debugSamples?: number;
    integerModel?: IntegerModel;
    /** Also run PTQ's own integer simulation and compare it with the engine (default true). */
    simOracle?: boolean;
    onProgress?: (fraction: number, message: string) => void;
  } = {},
): PtqEvaluation {
  const progress = opts.onProgress ?? (() => undefined);
  const k = r.floatGraph.numClasses;
  const y = test.y;
  progress(0, 'float model on the test split');
  const floatLogits = predictLogits(tf, r.floatGraph, test.x, test.count);
  const floatPred = argmax(floatLogits, test.count, k);
  progress(0.1, 'simulated (fake-quant) model on the test split');
  const fqLogits = predictLogits(tf, r.quantized.graph, test.x, test.count, r.sim);
  const fqPred = argmax(fqLogits, test.count, k);
  progress(0.2, 'integer-exact simulation on the test split');
  const model = opts.integerModel ?? r.integerModel;
  progress(0.3, 'integer engine reference (device blob) on the test split');
  const eng = engineReferencePredict(model, test.x, test.count);
  const engineOk = !('error' in eng);
  // PTQ's own integer simulation: the oracle the engine is checked against, and the fallback.
  const sim =
    opts.simOracle === false && engineOk
      ? null
      : integerPredict(model, test.x, test.count, (d) =>
          progress(0.5 + (0.25 * d) / test.count, `integer simulation ${d}/${test.count}`),
        );
  let engineMatchesSim: number | null = null;
  if (engineOk && sim) {
    let same = 0;
    for (let i = 0; i < sim.logits.length; i++) if (sim.logits[i] === eng.logits[i]) same++;
    engineMatchesSim = sim.logits.length ? same / sim.logits.length : 1;
  }
  const int = engineOk ? { predictions: eng.predictions, logits: eng.logits } : sim!;
  const intLogits = dequantizeLogits(model, int.logits);

  const perClass = test.classes.map((name, c) => {
    let count = 0;
    let okF = 0;
    let okI = 0;
    for (let i = 0; i < test.count; i++) {
      if (y[i] !== c) continue;
      count++;
      if (floatPred[i] === c) okF++;
      if (int.predictions[i] === c) okI++;
    }
    return { class: name, count, floatAccuracy: count ? okF / count : 0, accuracy: count ? okI / count : 0 };
  });

  progress(0.75, 'per-layer SQNR and weight-only / activation-only debugging');
  const sub = head(test, opts.debugSamples ?? 1024);
  const subFloat = floatLogits.subarray(0, sub.count * k);
  const weightOnly = new Map<string, DebugRow>();
  const actOnly = new Map<string, DebugRow>();
  const g = r.floatGraph;
  g.nodes.forEach((n, i) => {
    if (!hasWeights(n)) return;
    const kernel = r.sim.kernels?.get(n.name);
    const recurrent = isGru(n) ? r.sim.recurrentKernels?.get(n.name) : undefined;
    weightOnly.set(
      n.name,
      debugRow(tf, g, sub, subFloat, {
        kernels: new Map(kernel ? [[n.name, kernel]] : []),
        recurrentKernels: new Map(recurrent ? [[n.name, recurrent]] : []),
      }),
    );
    const encs = g.nodes.map((_, j) => (j === i ? r.sim.outputEncs?.[j] : undefined));
    actOnly.set(n.name, debugRow(tf, g, sub, subFloat, { outputEncs: encs }));
  });
  const inputActOnly = debugRow(tf, g, sub, subFloat, r.sim.inputEnc ? { inputEnc: r.sim.inputEnc } : {});
  const sqnr = layerSqnr(tf, r, sub);
  progress(1, 'evaluated');
  return {
    floatAccuracy: accuracyOf(floatPred, y, test.count),
    fakeQuantAccuracy: accuracyOf(fqPred, y, test.count),
    integerAccuracy: accuracyOf(int.predictions, y, test.count),
    integerMatchesFakeQuant: agreement(int.predictions, fqPred, test.count),
    agreementWithFloat: agreement(int.predictions, floatPred, test.count),
    perClass,
    layerSqnr: sqnr,
    weightOnly,
    actOnly,
    inputActOnly,
    debug: {
      count: sub.count,
      floatAccuracy: accuracyOf(argmax(subFloat, sub.count, k), sub.y, sub.count),
    },
    integerLogitsSqnr: sqnrDb(fqLogits, intLogits),
    integerReference: 'error' in eng ? 'ptq-sim' : 'engine',
    engineMatchesSim,
    engineNote: 'error' in eng ? eng.error : null,
    blobBytes: 'error' in eng ? null : eng.blobBytes,
    blobArenaBytes: 'error' in eng ? null : eng.arenaBytes,
  };
}
