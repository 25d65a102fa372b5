import type * as TfType from '@tensorflow/tfjs';
import { BitbenchError } from '../../shared/errors';
import { inferShapes, type ModelShapes } from '../../shared/model/shapes';
import type { LayerSpec, ModelSpec, NamedWeight } from '../../shared/model/spec';
import { gruLayerClass } from './gru-layer';

type Tf = typeof TfType;
type LayersModel = TfType.LayersModel;

/**
 * ModelSpec → TensorFlow.js model, and the model's weights ↔ NamedWeight[] (the layout in
 * src/shared/model/spec.ts). Pure: no I/O, no global state besides a WeakMap from each built
 * model to its spec binding. The quantizers build float models with these too.
 *
 * The model outputs what the spec's last layer outputs (logits for the zoo models).
 */

interface ParamBinding {
  param: string;
  /** Shape in the NamedWeight layout (may differ from the tfjs variable's by a reshape). */
  shape: number[];
  variable: TfType.LayerVariable;
}

interface LayerBinding {
  spec: LayerSpec;
  params: ParamBinding[];
}

interface ModelBinding {
  tf: Tf;
  spec: ModelSpec;
  shapes: ModelShapes;
  layers: LayerBinding[];
}

const bindings = new WeakMap<LayersModel, ModelBinding>();

export interface BuildOptions {
  /** Seeds every initializer (layer i uses seed + 7919·i): same seed → same initial weights. */
  seed?: number;
}

function toTfLayers(
  tf: Tf,
  layer: LayerSpec,
  seed: number,
  io: { inShape: number[]; outShape: number[] },
): { layers: TfType.layers.Layer[]; holder: number } {
  const init = () => tf.initializers.glorotUniform({ seed });
  const name = layer.name;
  switch (layer.type) {
    case 'conv1d':
      return {
        holder: 0,
        layers: [
          tf.layers.conv1d({
            name,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: layer.padding,
            activation: layer.activation,
            useBias: layer.useBias,
            kernelInitializer: init(),
          }),
        ],
      };
    case 'conv2d':
      return {
        holder: 0,
        layers: [
          tf.layers.conv2d({
            name,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: layer.padding,
            activation: layer.activation,
            useBias: layer.useBias,
            kernelInitializer: init(),
          }),
        ],
      };
    case 'depthwiseConv1d':
      // tfjs has no 1-D depthwise layer: run it as a [k, 1] depthwise conv on [time, 1, channels].
      return {
        holder: 1,
        layers: [
          tf.layers.reshape({ name: `${name}__to2d`, targetShape: [io.inShape[0]!, 1, io.inShape[1]!] }),
          tf.layers.depthwiseConv2d({
            name,
            kernelSize: [layer.kernelSize, 1],
            strides: [layer.strides, 1],
            padding: layer.padding,
            activation: layer.activation,
            useBias: layer.useBias,
            depthwiseInitializer: init(),
          }),
          tf.layers.reshape({ name: `${name}__to1d`, targetShape: io.outShape }),
        ],
      };
    case 'depthwiseConv2d':
      return {
        holder: 0,
        layers: [
          tf.layers.depthwiseConv2d({
            name,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: layer.padding,
            activation: layer.activation,
            useBias: layer.useBias,
            depthwiseInitializer: init(),
          }),
        ],
      };
    case 'dense':
      return {
        holder: 0,
        layers: [
          tf.layers.dense({
            name,
            units: layer.units,
            activation: layer.activation,
            useBias: layer.useBias,
            kernelInitializer: init(),
          }),
        ],
      };
    case 'gru': {
      const Gru = gruLayerClass(tf);
      return {
        holder: 0,
        layers: [new Gru({ name, units: layer.units, returnSequences: layer.returnSequences, seed })],
      };
    }
    case 'batchNorm':
      return {
        holder: 0,
        layers: [tf.layers.batchNormalization({ name, epsilon: layer.epsilon, axis: -1 })],
      };
    case 'relu':
      return { holder: -1, layers: [tf.layers.reLU({ name })] };
    case 'relu6':
      return { holder: -1, layers: [tf.layers.reLU({ name, maxValue: 6 })] };
    case 'softmax':
      return { holder: -1, layers: [tf.layers.softmax({ name })] };
    case 'maxPool1d':
      return {
        holder: -1,
        layers: [
          tf.layers.maxPooling1d({
            name,
            poolSize: layer.poolSize,
            strides: layer.strides ?? layer.poolSize,
          }),
        ],
      };
    case 'avgPool1d':
      return {
        holder: -1,
        layers: [
          tf.layers.averagePooling1d({
            name,
            poolSize: layer.poolSize,
            strides: layer.strides ?? layer.poolSize,
          }),
        ],
      };
    case 'maxPool2d':
      return {
        holder: -1,
        layers: [
          tf.layers.maxPooling2d({
            name,
            poolSize: layer.poolSize,
            strides: layer.strides ?? layer.poolSize,
          }),
        ],
      };
    case 'avgPool2d':
      return {
        holder: -1,
        layers: [
          tf.layers.averagePooling2d({
            name,
            poolSize: layer.poolSize,
            strides: layer.strides ?? layer.poolSize,
          }),
        ],
      };
    case 'flatten':
      return { holder: -1, layers: [tf.layers.flatten({ name })] };
  }
}

/**
 * Builds the TensorFlow.js model of `spec`. Shape-checks the spec first (a `bad_request`
 * BitbenchError names the layer that cannot run). With `weights`, loads them (names, order and
 * shapes must match the spec exactly); else initialises from `opts.seed`.
 */
export function buildModel(
  tf: Tf,
  spec: ModelSpec,
  weights?: readonly NamedWeight[],
  opts: BuildOptions = {},
): LayersModel {
  const shapes = inferShapes(spec);
  const seed = opts.seed ?? 1;
  const model = tf.sequential();
  const pending: Array<{ spec: LayerSpec; layer?: TfType.layers.Layer }> = [];
  spec.layers.forEach((layerSpec, i) => {
    const { layers, holder } = toTfLayers(tf, layerSpec, seed + 7919 * i, shapes.layers[i]!);
    layers.forEach((l, j) => {
      if (i === 0 && j === 0) {
        // The first layer carries the input shape: wrap it with an input layer.
        model.add(tf.layers.inputLayer({ inputShape: spec.inputShape, name: 'input' }));
      }
      model.add(l);
    });
    pending.push({ spec: layerSpec, ...(holder >= 0 ? { layer: layers[holder] } : {}) });
  });
  const binding: ModelBinding = {
    tf,
    spec,
    shapes,
    layers: pending.map(({ spec: ls, layer }, i) => {
      const expected = shapes.layers[i]!.params;
      const vars = layer ? layer.weights : [];
      if (vars.length !== expected.length)
        throw new Error(
          `Internal: layer ${ls.name} has ${vars.length} tfjs weights, the spec expects ${expected.length}.`,
        );
      return {
        spec: ls,
        params: expected.map((p, k) => ({ param: p.param, shape: p.shape, variable: vars[k]! })),
      };
    }),
  };
  bindings.set(model, binding);
  if (weights) setWeights(model, weights);
  return model;
}

function bindingOf(model: LayersModel): ModelBinding {
  const b = bindings.get(model);
  if (!b) throw new Error('This model was not built by buildModel().');
  return b;
}

/** The spec a model was built from. */
export function specOf(model: LayersModel): ModelSpec {
  return bindingOf(model).spec;
}

/** Every layer's shapes and parameter count of a model built by buildModel. */
export function shapesOf(model: LayersModel): ModelShapes {
  return bindingOf(model).shapes;
}

/** The model's weights in NamedWeight layout and order (copies; safe to keep after dispose). */
export function extractWeights(model: LayersModel): NamedWeight[] {
  const out: NamedWeight[] = [];
  for (const l of bindingOf(model).layers)
    for (const p of l.params) {
      const values = Float32Array.from(p.variable.read().dataSync() as Float32Array);
      out.push({ layer: l.spec.name, param: p.param, shape: [...p.shape], values });
    }
  return out;
}

/**
 * Loads NamedWeight[] into a model built by buildModel. Refuses (bad_request) a missing, extra
 * or mis-shaped tensor, naming it.
 */
export function setWeights(model: LayersModel, weights: readonly NamedWeight[]): void {
  const { tf, layers } = bindingOf(model);
  const byKey = new Map(weights.map((w) => [`${w.layer}.${w.param}`, w]));
  const plan: Array<{ p: ParamBinding; w: NamedWeight }> = [];
  for (const l of layers)
    for (const p of l.params) {
      const key = `${l.spec.name}.${p.param}`;
      const w = byKey.get(key);
      if (!w)
        throw new BitbenchError('bad_request', `Weights are missing ${key} (shape [${p.shape.join(', ')}]).`);
      if (w.shape.length !== p.shape.length || w.shape.some((d, i) => d !== p.shape[i]))
        throw new BitbenchError(
          'bad_request',
          `Weight ${key} has shape [${w.shape.join(', ')}], the spec needs [${p.shape.join(', ')}].`,
        );
      if (w.values.length !== p.shape.reduce((a, b) => a * b, 1))
        throw new BitbenchError(
          'bad_request',
          `Weight ${key} has ${w.values.length} values for shape [${p.shape.join(', ')}].`,
        );
      byKey.delete(key);
      plan.push({ p, w });
    }
  if (byKey.size > 0)
    throw new BitbenchError(
      'bad_request',
      `Weights have tensors the spec does not: ${[...byKey.keys()].join(', ')}.`,
    );
  // The tfjs variable may differ from the NamedWeight shape by a reshape (1-D depthwise).
  for (const { p, w } of plan) {
    const t = tf.tensor(w.values, p.variable.shape as number[], 'float32');
    p.variable.write(t);
    t.dispose(); // the variable holds its own reference to the data
  }
}

/** Parameter count of a built model (the spec's count; BatchNorm moving stats included). */
export function paramCount(model: LayersModel): number {
  return bindingOf(model).shapes.params;
}
