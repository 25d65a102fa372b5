import type * as TfType from '@tensorflow/tfjs';
import type { ModelSpec } from '../../shared/model/spec';
import type { Evaluation } from '../../shared/model/training';

type Tf = typeof TfType;

/** Does the model end in a softmax (so it outputs probabilities rather than logits)? */
export function outputsProbabilities(spec: ModelSpec): boolean {
  const last = spec.layers[spec.layers.length - 1]!;
  return last.type === 'softmax' || (last.type === 'dense' && last.activation === 'softmax');
}

/** Metrics from a confusion matrix (rows true, columns predicted). */
export function metricsFromConfusion(
  matrix: number[][],
  classes: string[],
  split: string,
  lossSum: number,
): Evaluation {
  const k = classes.length;
  const count = matrix.reduce((a, r) => a + r.reduce((b, v) => b + v, 0), 0);
  let hits = 0;
  const perClass = classes.map((name, c) => {
    const tp = matrix[c]![c]!;
    hits += tp;
    const support = matrix[c]!.reduce((a, v) => a + v, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += matrix[r]![c]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: name, count: support, precision, recall, f1 };
  });
  return {
    split,
    count,
    accuracy: count > 0 ? hits / count : 0,
    loss: count > 0 ? lossSum / count : 0,
    per_class: perClass,
    confusion: { matrix, classes: [...classes] },
  };
}

/**
 * Accuracy, mean cross-entropy, per-class precision/recall/F1 and the confusion matrix of a
 * model on one split, in inference mode (BatchNorm uses its moving statistics), 256 windows
 * at a time.
 */
export function evaluateLoaded(
  tf: Tf,
  model: TfType.LayersModel,
  spec: ModelSpec,
  data: { x: Float32Array; y: Int32Array; count: number },
  classes: string[],
  split: string,
  batchSize = 256,
): Evaluation {
  const k = classes.length;
  const per = spec.inputShape.reduce((a, b) => a * b, 1);
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const probs = outputsProbabilities(spec);
  let lossSum = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const m = Math.min(batchSize, data.count - start);
    const [pred, loss] = tf.tidy(() => {
      const xb = tf.tensor(data.x.subarray(start * per, (start + m) * per), [m, ...spec.inputShape]);
      const yb = tf.tensor1d(data.y.subarray(start, start + m), 'int32');
      const out = model.predict(xb) as TfType.Tensor;
      const onehot = tf.oneHot(yb, k);
      const l = probs
        ? tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(out, 1e-7, 1))), -1))
        : tf.losses.softmaxCrossEntropy(onehot, out, undefined, undefined, tf.Reduction.NONE);
      return [tf.argMax(out, -1).dataSync() as Int32Array, tf.sum(l).dataSync()[0]!] as const;
    });
    lossSum += loss;
    for (let i = 0; i < m; i++) matrix[data.y[start + i]!]![pred[i]!]!++;
  }
  return metricsFromConfusion(matrix, classes, split, lossSum);
}
