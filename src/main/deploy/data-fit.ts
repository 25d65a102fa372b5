import { BitbenchError } from '../../shared/errors';
import { tensorBytes, type ParsedBlob } from '../../shared/engine/blob-format';
import type { DatasetTensors } from '../datasets/dataset-reader';

/**
 * Refuses a split whose windows or classes do not match what the model takes, or that has no
 * windows: checked before a job starts (profile, verify), so nothing is sent to a board for it.
 */
export function checkData(
  model: string,
  parsed: ParsedBlob,
  dataset: string,
  split: string,
  data: DatasetTensors,
): void {
  const per = data.shape.reduce((a, b) => a * b, 1);
  const want = tensorBytes(parsed.inShape);
  if (per !== want)
    throw new BitbenchError(
      'bad_request',
      `Dataset ${dataset}@${data.version} has windows of ${data.shape.join('×')} (${per} values); ${model} takes ${want}.`,
    );
  if (data.classes.length !== parsed.numClasses)
    throw new BitbenchError(
      'bad_request',
      `Dataset ${dataset}@${data.version} has ${data.classes.length} classes; ${model} predicts ${parsed.numClasses}.`,
    );
  if (data.count === 0)
    throw new BitbenchError(
      'bad_request',
      `The ${split} split of ${dataset}@${data.version} has no windows.`,
    );
}
