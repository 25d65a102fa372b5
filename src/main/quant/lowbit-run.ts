import { PtqConfigSchema, type FakeQuantSettings, type PtqReport } from '../../shared/api/quant';
import type { EpochReport, LowBitConfig, LowBitReport } from '../../shared/api/lowbit';
import { BitbenchError } from '../../shared/errors';
import { inferShapes } from '../../shared/model/shapes';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import type { IntegerModel } from '../../shared/quant/integer-model';
import type { Tf } from '../ml/tf-loader';
import { symmetricEncoding } from './affine-quantizer';
import { actQuantOf, buildIntegerModel, gruIntLayer, type QuantizedLayer } from './integer-model-builder';
import {
  accuracyOf,
  logitsOf,
  resolveLayerBits,
  trainLowBit,
  type LowBitOutcome,
  type TrainData,
} from './lowbit-trainer';
import { evaluatePtq } from './ptq-evaluate';
import { hasWeights, isGru } from './ptq-graph';
import { gridBias, runPtq, type PtqResult } from './ptq-pipeline';
import { buildReport, settingsOf } from './ptq-report';
import { FunctionalModel } from './qat/functional-model';

/**
 * One low-bit run, end to end, on plain arrays (the worker, the benchmark and the tests call this):
 * train (QAT or universal) → hard rounding → folded model → the PTQ pipeline's activation calibration,
 * integer-model builder, evaluation and report on it, with the *trained* weight levels and scales put in
 * place of the PTQ ones, so the variant exports and runs on the device exactly like a PTQ variant.
 * A model the integer engine cannot run still gets the trained, rounded float evaluation; `integer` is
 * then null with the reason.
 */
export interface LabelledData extends TrainData {
  classes: string[];
}

export interface LowBitRunInput {
  parent: string;
  name: string | null;
  spec: ModelSpec;
  weights: NamedWeight[];
  config: LowBitConfig;
  train: TrainData;
  val: TrainData;
  test: LabelledData;
  /** Calibration windows for the activation ranges of the integer model (drawn from train). */
  calib: { x: Float32Array; count: number };
  backend: string;
}

export interface LowBitRunOutput {
  report: LowBitReport;
  integer: { model: IntegerModel; ptq: PtqReport; settings: FakeQuantSettings } | null;
}

export interface RunHooks {
  onEpoch?: (e: EpochReport, fraction: number) => void;
  onProgress?: (fraction: number, message: string) => void;
  checkStop?: () => void;
}

/**
 * Stored bytes as seed 000 counts them: weights packed at their nominal bits, everything else
 * float32/int32. Whole bytes: each packed tensor takes its bits rounded up to a byte (a device stores
 * no fraction of one). The blob on the device pads each kernel row to a 32-bit word, in 1/2/4/8-bit
 * containers, and adds per-row requantization data: that is `model_bytes`.
 */
export function storedBytes(spec: ModelSpec, bitsOf: (layer: string) => number | null): number {
  let bytes = 0;
  for (const l of inferShapes(spec).layers)
    for (const p of l.params) {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const wb = p.param === 'kernel' || p.param === 'recurrentKernel' ? bitsOf(l.name) : null;
      bytes += Math.ceil((n * (wb ?? 32)) / 8);
    }
  return bytes;
}

/** Replaces the PTQ weight levels/scales by the trained ones and rebuilds the integer model. */
function withTrainedWeights(r: PtqResult, outcome: LowBitOutcome): PtqResult {
  const layers = new Map(r.quantized.layers);
  const kernels = new Map(r.sim.kernels ?? []);
  const recurrentKernels = new Map(r.sim.recurrentKernels ?? []);
  const biases = new Map(r.sim.biases ?? []);
  const integerGru = new Map(r.sim.integerGru ?? []);
  const trained = (layer: string, param: 'kernel' | 'recurrentKernel') => {
    const q = outcome.quantized.find((t) => t.layer === layer && t.param === param);
    if (!q) return undefined;
    const qmax = q.bits === 1 ? 1 : 2 ** (q.bits - 1) - 1;
    const enc = symmetricEncoding(
      q.bits,
      q.scales.map((s) => s * qmax),
      -1,
    );
    return { levels: Int32Array.from(q.levels), weightEnc: enc };
  };
  r.quantized.graph.nodes.forEach((n, i) => {
    if (!hasWeights(n)) return;
    const k = trained(n.name, 'kernel');
    if (!k) return;
    const inEnc = i === 0 ? r.quantized.inputEnc : r.quantized.outputEncs[i - 1]!;
    kernels.set(n.name, outcome.roundedKernels.get(`${n.name}.kernel`)!);
    if (isGru(n)) {
      const rec = trained(n.name, 'recurrentKernel');
      if (!rec) return;
      const layer: QuantizedLayer = { ...k, recurrent: rec };
      layers.set(n.name, layer);
      recurrentKernels.set(n.name, outcome.roundedKernels.get(`${n.name}.recurrentKernel`)!);
      integerGru.set(n.name, gruIntLayer(n, layer, actQuantOf(inEnc)));
      return;
    }
    layers.set(n.name, k);
    biases.set(n.name, gridBias(n.bias, inEnc.scales[0]!, k.weightEnc));
  });
  const quantized = { ...r.quantized, layers };
  return {
    ...r,
    quantized,
    integerModel: buildIntegerModel(quantized),
    sim: { ...r.sim, kernels, recurrentKernels, biases, integerGru },
  };
}

export async function runLowBit(
  tf: Tf,
  input: LowBitRunInput,
  hooks: RunHooks = {},
): Promise<LowBitRunOutput> {
  const started = Date.now();
  const cfg = input.config;
  const bits = resolveLayerBits(input.spec, cfg);
  const progress = hooks.onProgress ?? (() => undefined);
  const parentModel = new FunctionalModel(tf, input.spec, input.weights);
  const floatAccuracy = accuracyOf(tf, parentModel, input.test);
  const model = cfg.fromScratch ? FunctionalModel.fresh(tf, input.spec, cfg.seed) : parentModel;
  let rounded: FunctionalModel | undefined;
  try {
    // Distillation's teacher: the float parent, evaluated once before its weights start to move.
    if (cfg.distill) progress(0, 'computing the float teacher logits for distillation');
    const teacherLogits = cfg.distill ? logitsOf(tf, parentModel, input.train) : undefined;
    const outcome = trainLowBit(tf, model, input.train, input.val, cfg, {
      ...(teacherLogits ? { teacherLogits } : {}),
      onEpoch: (e, f) => {
        hooks.onEpoch?.(e, f);
        progress(
          0.85 * f,
          `epoch ${e.epoch}/${cfg.epochs + (cfg.method.startsWith('universal') ? cfg.roundedEpochs : 0)}: loss ${e.task_loss.toFixed(4)}, val ${(100 * e.val_accuracy_rounded).toFixed(1)} % rounded`,
        );
      },
      ...(hooks.checkStop ? { checkStop: hooks.checkStop } : {}),
    });
    const accuracyBefore = accuracyOf(tf, model, input.test);
    const folded = model.folded(outcome.roundedKernels);
    rounded = new FunctionalModel(tf, folded.spec, folded.weights);
    const accuracyAfter = accuracyOf(tf, rounded, input.test);

    progress(0.87, 'calibrating activations and building the integer model');
    let integer: LowBitRunOutput['integer'] = null;
    let integerNote: string | null = null;
    let integerAccuracy: number | null = null;
    let cost: { model_bytes: number; bops: number; peak_memory_bytes: number } | null = null;
    const ptqConfig = PtqConfigSchema.parse({
      weightBits: cfg.weightBits,
      actBits: cfg.actBits,
      layerBits: cfg.layerBits,
      weightRange: 'minmax',
      actRange: 'mse',
      calibSize: Math.max(1, input.calib.count),
      seed: cfg.seed,
    });
    try {
      const ptq = await runPtq(
        tf,
        folded.spec,
        folded.weights,
        input.calib.x,
        input.calib.count,
        ptqConfig,
        undefined,
        hooks.checkStop,
        outcome.actEncodings,
      );
      const result = withTrainedWeights(ptq, outcome);
      progress(0.92, 'integer-exact evaluation on the test split');
      const evaluation = evaluatePtq(tf, result, input.test);
      const ptqReport = buildReport({
        name: input.name ?? `${input.parent}-${cfg.method}`,
        parent: input.parent,
        config: ptqConfig,
        result,
        evaluation,
        calib: input.calib.count,
        testCount: input.test.count,
        seconds: (Date.now() - started) / 1000,
        backend: input.backend,
      });
      ptqReport.method = cfg.method;
      // The parent is the float model before low-bit training, not the rounded one the PTQ step saw.
      ptqReport.float_accuracy = floatAccuracy;
      integer = { model: result.integerModel, ptq: ptqReport, settings: settingsOf(result) };
      integerAccuracy = evaluation.integerAccuracy;
      cost = {
        model_bytes: ptqReport.model_bytes,
        bops: ptqReport.bops,
        peak_memory_bytes: ptqReport.peak_memory_bytes,
      };
    } catch (err) {
      if (!(err instanceof BitbenchError) || err.code === 'cancelled') throw err;
      integerNote = `No integer model: ${err.message}`;
    }

    const last = outcome.epochs[outcome.epochs.length - 1]!;
    const layerBitsOut: Record<string, number> = {};
    for (const [name, b] of bits) layerBitsOut[name] = b.weights;
    const report: LowBitReport = {
      name: input.name,
      parent: input.parent,
      method: cfg.method,
      weights_bits: cfg.weightBits,
      acts_bits: cfg.actBits,
      layer_bits: layerBitsOut,
      float_accuracy: floatAccuracy,
      accuracy_before_rounding: accuracyBefore,
      accuracy_after_rounding: accuracyAfter,
      accuracy: integerAccuracy,
      integer_note: integerNote,
      near_fraction: outcome.nearFraction,
      layers: last.histograms.map((h) => ({
        layer: h.layer,
        param: h.param,
        bits: h.bits,
        weights: h.counts.reduce((a, b) => a + b, 0),
        near_fraction: h.near_fraction,
      })),
      float_bytes: inferShapes(input.spec).floatBytes,
      stored_bytes: storedBytes(folded.spec, (l) => bits.get(l)?.weights ?? null),
      model_bytes: cost?.model_bytes ?? null,
      bops: cost?.bops ?? null,
      peak_memory_bytes: cost?.peak_memory_bytes ?? null,
      epochs: outcome.epochs,
      kept_epoch: outcome.keptEpoch,
      seconds: (Date.now() - started) / 1000,
      backend: input.backend,
      config: cfg,
    };
    progress(1, 'done');
    return { report, integer };
  } finally {
    parentModel.dispose();
    if (model !== parentModel) model.dispose();
    rounded?.dispose();
  }
}
