import { BitbenchError } from '../../shared/errors';
import { inferShapes } from '../../shared/model/shapes';
import { ModelSpecSchema, type ModelSpec } from '../../shared/model/spec';

/**
 * The model zoo: declarative specs of the papers' models, stored with every trained model.
 * All output logits (no softmax layer): the firmware takes the argmax, training applies the
 * softmax inside the loss.
 */

/**
 * Seed 003 (Zhuo et al., tinyML 2022), the UCI-HAR CNN: 128×9 windows →
 * Conv1d k3 64 → BatchNorm → ReLU → Conv1d k3 64 → BatchNorm → ReLU → MaxPool 2 →
 * Flatten (62·64 = 3968) → Dense 128 ReLU → Dense 6.
 * 523,462 parameters (2 MiB float32), 8,064 activations at the peak (conv1's 126×64): both exactly
 * seed 003's Table 1. Its Table 6 lists no hidden Dense layer, but only Dense 128 plus the two
 * BatchNorms' 4·64 values each give Table 1's count (Table 6 alone gives 37,958: `har-cnn-small`).
 * The BatchNorms are folded into the convolutions by PTQ (step 1).
 */
function harCnn(inputShape: number[] = [128, 9], numClasses = 6): ModelSpec {
  return ModelSpecSchema.parse({
    arch: 'har-cnn',
    inputShape,
    numClasses,
    layers: [
      { type: 'conv1d', name: 'conv1', filters: 64, kernelSize: 3 },
      { type: 'batchNorm', name: 'bn1' },
      { type: 'relu', name: 'relu1' },
      { type: 'conv1d', name: 'conv2', filters: 64, kernelSize: 3 },
      { type: 'batchNorm', name: 'bn2' },
      { type: 'relu', name: 'relu2' },
      { type: 'maxPool1d', name: 'pool', poolSize: 2 },
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', name: 'fc1', units: 128, activation: 'relu' },
      { type: 'dense', name: 'fc', units: numClasses },
    ],
  });
}

/**
 * Seed 003's Table 6 read literally (no hidden Dense, no BatchNorm): 128×9 → Conv1d k3 64 ReLU →
 * Conv1d k3 64 ReLU → MaxPool 2 → Flatten (3968) → Dense 6. 37,958 parameters (148 KiB float32).
 * This was `har-cnn` until 2026-12-06; it is 14× smaller, so it trains faster and fits boards
 * `har-cnn` does not, but it loses 2–6 points at 3/3 and 2/2 PTQ (docs/quantization.md).
 */
function harCnnSmall(inputShape: number[] = [128, 9], numClasses = 6): ModelSpec {
  return ModelSpecSchema.parse({
    arch: 'har-cnn-small',
    inputShape,
    numClasses,
    layers: [
      { type: 'conv1d', name: 'conv1', filters: 64, kernelSize: 3, activation: 'relu' },
      { type: 'conv1d', name: 'conv2', filters: 64, kernelSize: 3, activation: 'relu' },
      { type: 'maxPool1d', name: 'pool', poolSize: 2 },
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', name: 'fc', units: numClasses },
    ],
  });
}

/**
 * Seed 000 (Lê & de Foras, TDK InvenSense), gesture CNN → GRU → FC whose float32 model is
 * 1284 B = 321 parameters. The poster gives no layer sizes; for the gesture-to-emoji input
 * (119 samples × 6 channels aX..gZ, 2 classes) these sizes give exactly 321:
 *
 *   input [119, 6]
 *   conv1d k3 stride 2, 6 filters, ReLU   → [59, 6]    114 params (3·6·6 + 6)
 *   maxPool1d 2                           → [29, 6]
 *   gru 5 units (reset_after)             → [5]        195 params (3·5·(6+5) + 2·3·5)
 *   dense 2                               → [2]         12 params (5·2 + 2)
 *                                                      321 params = 1284 B float32
 *
 * The stride and pooling cut the GRU to 29 time steps (the GRU's cost is per step). The
 * poster's int8 (504 B) and binary (276.5 B) sizes imply 260 weights + 61 biases; this
 * layout has 283 + 38, so those two sizes will differ (435 B / 187.4 B).
 */
function gestureCnnGru(inputShape: number[] = [119, 6], numClasses = 2): ModelSpec {
  return ModelSpecSchema.parse({
    arch: 'gesture-cnn-gru',
    inputShape,
    numClasses,
    layers: [
      { type: 'conv1d', name: 'conv', filters: 6, kernelSize: 3, strides: 2, activation: 'relu' },
      { type: 'maxPool1d', name: 'pool', poolSize: 2 },
      { type: 'gru', name: 'gru', units: 5 },
      { type: 'dense', name: 'fc', units: numClasses },
    ],
  });
}

/**
 * The standard CNN for the seed 000 MNIST experiment (28×28×1, 10 classes). The poster says "a
 * standard CNN" without sizes; this is the textbook Keras MNIST convnet (without its dropout):
 * Conv2d 3×3 32 ReLU → MaxPool 2×2 → Conv2d 3×3 64 ReLU → MaxPool 2×2 → Flatten (5·5·64 = 1600)
 * → Dense 10. 34,826 parameters (136 KiB float32, 4.3 KiB of binary weights). Until 2026-12-06
 * it had 16 and 32 filters (12,810 parameters); all-binary, that network lost 1.6 points against
 * its float twin, above the seed's < 1 (docs/low-bit.md).
 */
function mnistCnn(inputShape: number[] = [28, 28, 1], numClasses = 10): ModelSpec {
  return ModelSpecSchema.parse({
    arch: 'mnist-cnn',
    inputShape,
    numClasses,
    layers: [
      { type: 'conv2d', name: 'conv1', filters: 32, kernelSize: [3, 3], activation: 'relu' },
      { type: 'maxPool2d', name: 'pool1', poolSize: [2, 2] },
      { type: 'conv2d', name: 'conv2', filters: 64, kernelSize: [3, 3], activation: 'relu' },
      { type: 'maxPool2d', name: 'pool2', poolSize: [2, 2] },
      { type: 'flatten', name: 'flatten' },
      { type: 'dense', name: 'fc', units: numClasses },
    ],
  });
}

export const ZOO = {
  'har-cnn': {
    make: harCnn,
    description:
      'UCI-HAR CNN of seed 003 (Conv1d 64 + BN, Conv1d 64 + BN, MaxPool, Dense 128, Dense; 523k params)',
  },
  'har-cnn-small': {
    make: harCnnSmall,
    description: 'seed 003 Table 6 literally (Conv1d 64, Conv1d 64, MaxPool, Dense; 38k params)',
  },
  'gesture-cnn-gru': {
    make: gestureCnnGru,
    description: 'CNN → GRU → FC gesture model of seed 000 (321 params)',
  },
  'mnist-cnn': {
    make: mnistCnn,
    description: 'standard CNN for MNIST (seed 000; Conv2d 32, Conv2d 64, Dense)',
  },
} as const;

export type ZooArch = keyof typeof ZOO;
export const ZOO_ARCHS = Object.keys(ZOO) as ZooArch[];

export function isZooArch(arch: string): arch is ZooArch {
  return Object.hasOwn(ZOO, arch);
}

/**
 * The spec of a zoo architecture, with the paper's input shape and class count unless given.
 * Throws `bad_request` for an unknown architecture.
 */
export function zooSpec(arch: string, data?: { inputShape?: number[]; numClasses?: number }): ModelSpec {
  if (!isZooArch(arch))
    throw new BitbenchError(
      'bad_request',
      `Unknown architecture "${arch}". Known: ${ZOO_ARCHS.join(', ')}, or pass a custom spec (JSON).`,
    );
  return ZOO[arch].make(data?.inputShape, data?.numClasses);
}

/**
 * Parses a custom spec (JSON text or object): schema-checked (only the layers the firmware
 * runs), then shape-checked. Errors name the offending field or layer.
 */
export function parseCustomSpec(json: unknown): ModelSpec {
  let obj = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json) as unknown;
    } catch (err) {
      throw new BitbenchError('bad_request', `The model spec is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = ModelSpecSchema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.') || '(root)';
    const hint =
      issue.code === 'invalid_union' && issue.path.at(-1) === 'type'
        ? ' Supported layers: conv1d, conv2d, depthwiseConv1d, depthwiseConv2d, dense, gru, batchNorm, relu, relu6, maxPool1d, avgPool1d, maxPool2d, avgPool2d, flatten, softmax.'
        : '';
    throw new BitbenchError('bad_request', `Invalid model spec at ${where}: ${issue.message}.${hint}`);
  }
  inferShapes(parsed.data);
  return parsed.data;
}
