import { z } from 'zod';

/**
 * Declarative model specs: the only layers the firmware can run. A spec is stored with every
 * model and drives the TensorFlow.js builder, the quantizers and the integer exporter alike.
 * Shapes are channels-last, batch excluded: 1-D models take [time, channels], 2-D [h, w, c].
 */
const name = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'layer names are lower_snake_case')
  .max(40);
const activation = z.enum(['linear', 'relu', 'relu6']);
const padding = z.enum(['valid', 'same']);
const pos = z.number().int().min(1);
const pair = z.tuple([pos, pos]);

export const LayerSpecSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('conv1d'),
    name,
    filters: pos.max(1024),
    kernelSize: pos.max(64),
    strides: pos.default(1),
    padding: padding.default('valid'),
    activation: activation.default('linear'),
    useBias: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('conv2d'),
    name,
    filters: pos.max(1024),
    kernelSize: pair,
    strides: pair.default([1, 1]),
    padding: padding.default('valid'),
    activation: activation.default('linear'),
    useBias: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('depthwiseConv1d'),
    name,
    kernelSize: pos.max(64),
    strides: pos.default(1),
    padding: padding.default('valid'),
    activation: activation.default('linear'),
    useBias: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('depthwiseConv2d'),
    name,
    kernelSize: pair,
    strides: pair.default([1, 1]),
    padding: padding.default('valid'),
    activation: activation.default('linear'),
    useBias: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('dense'),
    name,
    units: pos.max(4096),
    activation: z.enum(['linear', 'relu', 'relu6', 'softmax']).default('linear'),
    useBias: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('gru'),
    name,
    units: pos.max(512),
    returnSequences: z.boolean().default(false),
  }),
  z.object({ type: z.literal('batchNorm'), name, epsilon: z.number().positive().default(1e-3) }),
  z.object({ type: z.literal('relu'), name }),
  z.object({ type: z.literal('relu6'), name }),
  z.object({ type: z.literal('maxPool1d'), name, poolSize: pos, strides: pos.optional() }),
  z.object({ type: z.literal('avgPool1d'), name, poolSize: pos, strides: pos.optional() }),
  z.object({ type: z.literal('maxPool2d'), name, poolSize: pair, strides: pair.optional() }),
  z.object({ type: z.literal('avgPool2d'), name, poolSize: pair, strides: pair.optional() }),
  z.object({ type: z.literal('flatten'), name }),
  z.object({ type: z.literal('softmax'), name }),
]);
export type LayerSpec = z.infer<typeof LayerSpecSchema>;
export type LayerType = LayerSpec['type'];

export const ModelSpecSchema = z.object({
  version: z.literal(1).default(1),
  /** Zoo name (`har-cnn`, `gesture-cnn-gru`, `mnist-cnn`) or `custom`. */
  arch: z.string().min(1).max(60),
  inputShape: z.array(pos).min(1).max(3),
  numClasses: pos.max(1000),
  layers: z.array(LayerSpecSchema).min(1).max(64),
});
export type ModelSpec = z.infer<typeof ModelSpecSchema>;

/**
 * Float weights of a model, per layer, in TensorFlow.js/Keras layout:
 * conv1d kernel [k, cin, cout]; conv2d [kh, kw, cin, cout]; depthwise [k(h,w), cin, 1];
 * dense [in, out]; gru kernel [in, 3u], recurrentKernel [u, 3u], bias [2, 3u] (reset_after, gate order z, r, h);
 * batchNorm gamma, beta, movingMean, movingVariance [c]. Bias [cout].
 *
 * GRU semantics (Keras `reset_after=True`, as built by src/main/ml/gru-layer.ts): with
 * x·W = [xz, xr, xh] + bias[0] and h·U = [hz, hr, hh] + bias[1],
 * z = σ(xz + hz), r = σ(xr + hr), h̃ = tanh(xh + r ⊙ hh), h' = z ⊙ h + (1 − z) ⊙ h̃, h₀ = 0;
 * σ is the logistic sigmoid. Layers with `useBias: false` have no `bias` entry. The order of a
 * model's NamedWeight[] is layer order, then kernel, recurrentKernel, bias (or gamma, beta,
 * movingMean, movingVariance).
 */
export interface NamedWeight {
  layer: string;
  /** `kernel`, `bias`, `recurrentKernel`, `gamma`, `beta`, `movingMean`, `movingVariance`. */
  param: string;
  shape: number[];
  values: Float32Array;
}
