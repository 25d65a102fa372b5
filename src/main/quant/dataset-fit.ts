import { BitbenchError } from '../../shared/errors';
import type { DatasetTensors } from '../datasets/dataset-reader';
import type { ParentModel } from '../store/variants-repo';

/**
 * Whether a dataset can calibrate, train or evaluate a float model: the same window shape, and the
 * same classes in the same order (label k must mean what the model's output k means). PTQ, low-bit
 * training and the sensitivity sweep all refuse a mismatch before any work; without the class check a
 * dataset of another task with the same window shape ran and scored against labels of another meaning.
 */
export function checkDatasetFitsModel(
  parent: ParentModel,
  ref: string,
  data: Pick<DatasetTensors, 'shape' | 'classes'>,
): void {
  const want = parent.spec.inputShape.join('×');
  if (data.shape.join('×') !== want)
    throw new BitbenchError(
      'bad_request',
      `Dataset ${ref} has windows of ${data.shape.join('×')}, the model takes ${want}.`,
    );
  const list = (c: readonly string[]) => c.join(', ');
  if (data.classes.length !== parent.spec.numClasses)
    throw new BitbenchError(
      'bad_request',
      `Dataset ${ref} has ${data.classes.length} classes (${list(data.classes)}), model "${parent.name}" has ${parent.spec.numClasses}${parent.classes ? ` (${list(parent.classes)})` : ''}: use a dataset with the model's classes.`,
    );
  if (parent.classes && parent.classes.some((c, i) => c !== data.classes[i]))
    throw new BitbenchError(
      'bad_request',
      `Dataset ${ref} has the classes ${list(data.classes)}, model "${parent.name}" was trained on ${list(parent.classes)}${[...parent.classes].sort().join() === [...data.classes].sort().join() ? ' (the same names in another order: its labels would mean other outputs)' : ''}: use a dataset with the model's classes.`,
    );
}
