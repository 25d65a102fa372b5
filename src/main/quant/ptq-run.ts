import type { FakeQuantSettings, PtqConfig, PtqReport } from '../../shared/api/quant';
import type { ModelSpec, NamedWeight } from '../../shared/model/spec';
import type { IntegerModel } from '../../shared/quant/integer-model';
import type { Tf } from '../ml/tf-loader';
import { evaluatePtq, type LabelledSet } from './ptq-evaluate';
import { runPtq, type Progress } from './ptq-pipeline';
import { buildReport, settingsOf } from './ptq-report';

/**
 * One PTQ job's computation, database-free so it runs in the quantization worker: the pipeline on
 * the calibration windows, its evaluation on the test split, and the report. What comes back is what
 * the variant stores. Progress: the pipeline 0–70 %, the evaluation 70–98 %.
 */
export interface PtqRunInput {
  name: string;
  parent: string;
  spec: ModelSpec;
  weights: NamedWeight[];
  config: PtqConfig;
  /** The calibration windows (config.calibSize of them), drawn on the main side. */
  calibX: Float32Array;
  test: LabelledSet;
}

export interface PtqRunOutput {
  report: PtqReport;
  settings: FakeQuantSettings;
  integerModel: IntegerModel;
}

export async function quantizeAndEvaluate(
  tf: Tf,
  backend: string,
  input: PtqRunInput,
  progress: Progress,
): Promise<PtqRunOutput> {
  const started = Date.now();
  const { config } = input;
  const result = await runPtq(
    tf,
    input.spec,
    input.weights,
    input.calibX,
    config.calibSize,
    config,
    (f, m, layers) => progress(0.7 * f, m, layers),
  );
  // Every layer is done by now; the stages keep their last report.
  const evaluation = evaluatePtq(tf, result, input.test, {
    onProgress: (f, m) => progress(0.7 + 0.28 * f, m),
  });
  const report = buildReport({
    name: input.name,
    parent: input.parent,
    config,
    result,
    evaluation,
    calib: config.calibSize,
    testCount: input.test.count,
    seconds: (Date.now() - started) / 1000,
    backend,
  });
  return { report, settings: settingsOf(result), integerModel: result.integerModel };
}
