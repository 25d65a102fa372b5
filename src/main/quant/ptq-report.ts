import {
  methodOf,
  reportWarnings,
  type FakeQuantSettings,
  type PtqConfig,
  type PtqReport,
} from '../../shared/api/quant';
import { floatModelCost, integerModelCost, type LayerBits } from './cost-model';
import type { PtqEvaluation } from './ptq-evaluate';
import { hasWeights } from './ptq-graph';
import type { PtqResult } from './ptq-pipeline';

/** JSON has no ±Infinity: an exact (noise-free) SQNR is reported as null. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export const INTEGER_REFERENCES = {
  engine:
    'integer engine host reference on the device blob (src/main/engine/reference.ts), cross-checked by src/main/quant/integer-sim.ts',
  'ptq-sim': 'PTQ integer-exact simulation (src/main/quant/integer-sim.ts)',
} as const;

export function buildReport(args: {
  name: string;
  parent: string;
  config: PtqConfig;
  result: PtqResult;
  evaluation: PtqEvaluation;
  calib: number;
  testCount: number;
  seconds: number;
  backend: string;
}): PtqReport {
  const { result: r, evaluation: e, config } = args;
  const bits = new Map<string, LayerBits>();
  for (const [name, b] of r.bits) bits.set(name, b);
  const cost = integerModelCost(r.integerModel, bits, config.inputBits);
  const fcost = floatModelCost(r.integerModel);
  const perLayer = cost.layers.map((l) => {
    const step = r.steps.find((s) => s.name === l.name);
    const wo = e.weightOnly.get(l.name);
    const ao = e.actOnly.get(l.name);
    return {
      name: l.name,
      op: l.op,
      bits: { weights: l.weightBits, acts: l.outputBits, input: l.inputBits },
      macs: l.macs,
      bops: l.bops,
      weight_bytes: l.weightBytes,
      sqnr: finiteOrNull(e.layerSqnr.get(l.name) ?? Number.NaN),
      weight_sqnr: finiteOrNull(step?.weightSqnr ?? Number.NaN),
      weight_only: { accuracy: wo?.accuracy ?? 0, logits_sqnr: finiteOrNull(wo?.logitsSqnr ?? Number.NaN) },
      act_only: { accuracy: ao?.accuracy ?? 0, logits_sqnr: finiteOrNull(ao?.logitsSqnr ?? Number.NaN) },
      optimisation: step?.optimisation
        ? {
            method: step.optimisation.method,
            loss_nearest: step.optimisation.lossNearest,
            loss_after: step.optimisation.lossAfter,
            kept: step.optimisation.kept,
            ...(step.optimisation.softFraction !== undefined
              ? { soft_fraction: step.optimisation.softFraction }
              : {}),
            ...(step.optimisation.changedFraction !== undefined
              ? { changed_fraction: step.optimisation.changedFraction }
              : {}),
          }
        : null,
      bias_correction_max_abs: step?.biasCorrectionMaxAbs ?? null,
    };
  });
  const report: Omit<PtqReport, 'warnings'> = {
    name: args.name,
    parent: args.parent,
    method: methodOf(config),
    weights_bits: config.weightBits,
    acts_bits: config.actBits,
    float_accuracy: e.floatAccuracy,
    accuracy: e.integerAccuracy,
    fake_quant_accuracy: e.fakeQuantAccuracy,
    integer_matches_fake_quant: e.integerMatchesFakeQuant,
    agreement_with_float: e.agreementWithFloat,
    per_class: e.perClass.map((c) => ({
      class: c.class,
      count: c.count,
      float_accuracy: c.floatAccuracy,
      accuracy: c.accuracy,
    })),
    model_bytes: e.blobBytes ?? cost.modelBytes,
    blob_bytes: e.blobBytes,
    weight_bytes: cost.weightBytes,
    bias_bytes: cost.biasBytes,
    metadata_bytes:
      e.blobBytes !== null ? e.blobBytes - cost.weightBytes - cost.biasBytes : cost.metadataBytes,
    float_model_bytes: fcost.modelBytes,
    bops: cost.bops,
    float_bops: fcost.bops,
    peak_memory_bytes: cost.peakMemoryBytes,
    float_peak_memory_bytes: fcost.peakMemoryBytes,
    // The firmware's own figure when the model exports (it adds the kernels' scratch to the layer pair).
    arena_bytes: e.blobArenaBytes ?? cost.arenaBytes,
    macs: cost.macs,
    params: cost.params,
    per_layer: perLayer,
    debug: { count: e.debug.count, float_accuracy: e.debug.floatAccuracy },
    input_act_only: {
      accuracy: e.inputActOnly.accuracy,
      logits_sqnr: finiteOrNull(e.inputActOnly.logitsSqnr),
    },
    calib: args.calib,
    test_count: args.testCount,
    seed: config.seed,
    seconds: args.seconds,
    backend: args.backend,
    integer_reference: INTEGER_REFERENCES[e.integerReference] + (e.engineNote ? ` (${e.engineNote})` : ''),
    engine_matches_sim: e.engineMatchesSim,
    bias_tuning: r.biasTuning
      ? {
          loss_before: r.biasTuning.lossBefore,
          loss_after: r.biasTuning.lossAfter,
          kept: r.biasTuning.kept,
          skipped: r.biasTuning.skipped ?? null,
          weights_tuned: [...(r.biasTuning.levels?.keys() ?? [])],
          held_out: r.biasTuning.heldOut ?? null,
          ranges_tuned: (r.biasTuning.ranges ?? []).map((x) => ({
            layer: x.layer,
            scale_before: x.before,
            scale_after: x.after,
          })),
        }
      : null,
    config,
  };
  return { ...report, warnings: reportWarnings(report) };
}

/** The encodings a variant stores so its simulated model can be rebuilt. */
export function settingsOf(r: PtqResult): FakeQuantSettings {
  const layers: FakeQuantSettings['layers'] = [];
  r.quantized.graph.nodes.forEach((n, i) => {
    if (!hasWeights(n)) return;
    const ql = r.quantized.layers.get(n.name)!;
    layers.push({
      name: n.name,
      weight: ql.weightEnc,
      output: r.quantized.outputEncs[i]!,
      ...(ql.recurrent ? { recurrent: ql.recurrent.weightEnc } : {}),
    });
  });
  return { input: r.quantized.inputEnc, layers };
}
