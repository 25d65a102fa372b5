import type * as TfType from '@tensorflow/tfjs';
import { BitbenchError } from '../../../shared/errors';
import { inferShapes, type ModelShapes } from '../../../shared/model/shapes';
import type { LayerSpec, ModelSpec, NamedWeight } from '../../../shared/model/spec';
import { buildModel, extractWeights } from '../../ml/model-builder';
import type { Tf } from '../../ml/tf-loader';

/**
 * The model of a spec as plain TensorFlow.js ops over variables, for low-bit training. QAT and the
 * universal regularisers need to act on the weights *as the integer model will see them* — BatchNorm
 * already folded in, quantized per output channel — inside the forward pass, which a Keras layer
 * cannot expose. Parameters keep the NamedWeight layout of src/shared/model/spec.ts, the semantics are
 * those of src/main/ml/model-builder.ts (GRU reset_after, gates z, r, h), and a fresh model starts from
 * the model builder's own seeded initialisation.
 *
 * BatchNorm folding during training (seed 004, "static folding"): a conv/dense with a linear
 * activation followed by a BatchNorm is computed as one layer with
 *   W_fold = W · γ/√(σ² + ε),   b_fold = β + (b − μ) · γ/√(σ² + ε)      (per output channel)
 * where μ, σ² are the BatchNorm's moving statistics, frozen during low-bit training; γ, β, W and b stay
 * trainable. The fake quantizer and the regularisers see W_fold, so what is trained is exactly what is
 * exported, and the exported model is the folded one.
 */
type Tensor = TfType.Tensor;
type Variable = TfType.Variable;

const WEIGHTED = new Set(['conv1d', 'conv2d', 'depthwiseConv1d', 'depthwiseConv2d', 'dense', 'gru']);
const NON_TRAINABLE = new Set(['movingMean', 'movingVariance']);

/** A weight tensor the quantizers act on: a kernel (or a GRU's recurrent kernel) of a weighted layer. */
export interface QuantTarget {
  layer: string;
  param: 'kernel' | 'recurrentKernel';
  /** Shape with the output channel last (depthwise kernels lose their trailing 1). */
  channelShape: number[];
  channels: number;
  /** Weights sharing one per-channel scale. */
  fanIn: number;
}

export type WeightHook = (target: QuantTarget, w: Tensor) => Tensor;
export type ActHook = (site: string, y: Tensor) => Tensor;

export interface ForwardHooks {
  /** Transforms a (folded) weight tensor in its channel-last view, e.g. fake quantization. */
  weight?: WeightHook;
  /** Transforms an activation tensor of the integer model ('input' or a layer name). */
  act?: ActHook;
}

export function isWeightedLayer(l: LayerSpec): boolean {
  return WEIGHTED.has(l.type);
}

function key(layer: string, param: string): string {
  return `${layer}.${param}`;
}

function activate(tf: Tf, y: Tensor, a: string): Tensor {
  if (a === 'relu') return tf.relu(y);
  if (a === 'relu6') return tf.relu6(y);
  return y; // linear; a softmax on the output is left to the loss (the model outputs logits)
}

export class FunctionalModel {
  readonly shapes: ModelShapes;
  readonly targets: QuantTarget[] = [];
  /** weighted layer → the BatchNorm folded into it. */
  readonly folds = new Map<string, string>();
  /** Layer names whose output is an int8 activation tensor of the integer model. */
  readonly actSites: string[] = [];
  /** Site → the weighted layer whose output it is, when a fused ReLU carries it ("act" → "conv"). */
  readonly actOwner = new Map<string, string>();
  private readonly vars = new Map<string, Variable>();

  constructor(
    private readonly tf: Tf,
    readonly spec: ModelSpec,
    weights: readonly NamedWeight[],
  ) {
    this.shapes = inferShapes(spec);
    const byKey = new Map(weights.map((w) => [key(w.layer, w.param), w]));
    this.shapes.layers.forEach((ls) => {
      for (const p of ls.params) {
        const w = byKey.get(key(ls.name, p.param));
        const n = p.shape.reduce((a, b) => a * b, 1);
        if (!w || w.values.length !== n)
          throw new BitbenchError(
            'bad_request',
            `Weights are missing ${key(ls.name, p.param)} of shape [${p.shape.join(', ')}].`,
          );
        this.vars.set(
          key(ls.name, p.param),
          tf.variable(tf.tensor(w.values, p.shape), !NON_TRAINABLE.has(p.param)),
        );
      }
    });
    const layers = spec.layers;
    layers.forEach((l, i) => {
      const next = layers[i + 1];
      if (
        isWeightedLayer(l) &&
        l.type !== 'gru' &&
        next?.type === 'batchNorm' &&
        'activation' in l &&
        l.activation === 'linear'
      )
        this.folds.set(l.name, next.name);
      if (isWeightedLayer(l)) {
        const ls = this.shapes.layers[i]!;
        const params: Array<'kernel' | 'recurrentKernel'> =
          l.type === 'gru' ? ['kernel', 'recurrentKernel'] : ['kernel'];
        for (const param of params) {
          const shape = ls.params.find((p) => p.param === param)!.shape;
          const channelShape = l.type.startsWith('depthwise') ? shape.slice(0, -1) : [...shape];
          const channels = channelShape[channelShape.length - 1]!;
          this.targets.push({
            layer: l.name,
            param,
            channelShape,
            channels,
            fanIn: channelShape.reduce((a, b) => a * b, 1) / channels,
          });
        }
      }
    });
    // Activation sites: the model input, then every tensor the integer model materialises (a weighted
    // layer's output after its fused BatchNorm/ReLU; pools and flatten keep their input's grid).
    this.actSites.push('input');
    layers.forEach((l, i) => {
      const folded = [...this.folds.values()].includes(l.name);
      const producesTensor =
        isWeightedLayer(l) || l.type === 'relu' || l.type === 'relu6' || (l.type === 'batchNorm' && !folded);
      if (!producesTensor) return;
      let j = i + 1;
      while (j < layers.length) {
        const n = layers[j]!;
        const fusedBn = n.type === 'batchNorm' && this.folds.get(layers[j - 1]!.name) === n.name;
        const fusedRelu =
          (n.type === 'relu' || n.type === 'relu6') && j === i + 1 + (this.folds.has(l.name) ? 1 : 0);
        if (!(fusedBn || fusedRelu)) break;
        j++;
      }
      if (j === i + 1) this.actSites.push(l.name);
      else this.actOwner.set(layers[j - 1]!.name, l.name); // the fused ReLU's output is the conv's tensor
    });
  }

  /** A model from the model builder's seeded initialisation (training from scratch). */
  static fresh(tf: Tf, spec: ModelSpec, seed: number): FunctionalModel {
    const m = buildModel(tf, spec, undefined, { seed });
    try {
      return new FunctionalModel(tf, spec, extractWeights(m));
    } finally {
      m.dispose();
    }
  }

  variable(layer: string, param: string): Variable {
    const v = this.vars.get(key(layer, param));
    if (!v) throw new BitbenchError('internal', `no variable ${key(layer, param)}`);
    return v;
  }

  hasParam(layer: string, param: string): boolean {
    return this.vars.has(key(layer, param));
  }

  trainableVariables(): Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /** Per-output-channel BatchNorm factor γ/√(σ²+ε) of a folded layer, or undefined. */
  foldFactor(layer: string): Tensor | undefined {
    const bn = this.folds.get(layer);
    if (!bn) return undefined;
    const spec = this.spec.layers.find((l) => l.name === bn)!;
    const eps = spec.type === 'batchNorm' ? spec.epsilon : 1e-3;
    return this.variable(bn, 'gamma').div(this.variable(bn, 'movingVariance').add(eps).sqrt());
  }

  /** The weight tensor as the integer model sees it (folded), in its channel-last view. */
  effectiveWeight(t: QuantTarget): Tensor {
    const tf = this.tf;
    return tf.tidy(() => {
      const w = this.variable(t.layer, t.param).reshape(t.channelShape);
      const f = this.foldFactor(t.layer);
      return f ? w.mul(f) : w.clone();
    });
  }

  /** Bias as the integer model sees it (folded); zeros for layers without bias. */
  effectiveBias(layer: string): Tensor {
    const tf = this.tf;
    return tf.tidy(() => {
      const ls = this.shapes.layers.find((l) => l.name === layer)!;
      const cout = ls.outShape[ls.outShape.length - 1]!;
      const b = this.hasParam(layer, 'bias') ? this.variable(layer, 'bias') : tf.zeros([cout]);
      const bn = this.folds.get(layer);
      if (!bn) return b.clone();
      const f = this.foldFactor(layer)!;
      return this.variable(bn, 'beta').add(b.sub(this.variable(bn, 'movingMean')).mul(f));
    });
  }

  /** Logits of a batch x [N, ...inputShape]. Call inside a tidy / gradient function. */
  forward(x: Tensor, hooks: ForwardHooks = {}): Tensor {
    const tf = this.tf;
    const weightOf = (layer: string, param: 'kernel' | 'recurrentKernel', shape: number[]) => {
      const t = this.targets.find((q) => q.layer === layer && q.param === param)!;
      const w = this.effectiveWeight(t);
      return (hooks.weight ? hooks.weight(t, w) : w).reshape(shape);
    };
    const site = (name: string, y: Tensor) =>
      hooks.act && this.actSites.includes(name) ? hooks.act(name, y) : y;
    let h = site('input', x);
    const layers = this.spec.layers;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      const ls = this.shapes.layers[i]!;
      const kshape = ls.params.find((p) => p.param === 'kernel')?.shape ?? [];
      switch (l.type) {
        case 'conv1d':
          h = tf.conv1d(
            h as TfType.Tensor3D,
            weightOf(l.name, 'kernel', kshape) as TfType.Tensor3D,
            l.strides,
            l.padding,
          );
          break;
        case 'conv2d':
          h = tf.conv2d(
            h as TfType.Tensor4D,
            weightOf(l.name, 'kernel', kshape) as TfType.Tensor4D,
            l.strides,
            l.padding,
          );
          break;
        case 'depthwiseConv1d': {
          const [t, c] = ls.inShape as [number, number];
          const k = weightOf(l.name, 'kernel', [l.kernelSize, 1, c, 1]) as TfType.Tensor4D;
          const y = tf.depthwiseConv2d(
            h.reshape([-1, t, 1, c]) as TfType.Tensor4D,
            k,
            [l.strides, 1],
            l.padding,
          );
          h = y.reshape([-1, ...ls.outShape]);
          break;
        }
        case 'depthwiseConv2d':
          h = tf.depthwiseConv2d(
            h as TfType.Tensor4D,
            weightOf(l.name, 'kernel', kshape) as TfType.Tensor4D,
            l.strides,
            l.padding,
          );
          break;
        case 'dense':
          h = tf.matMul(h as TfType.Tensor2D, weightOf(l.name, 'kernel', kshape) as TfType.Tensor2D);
          break;
        case 'gru':
          h = this.gru(
            h,
            l.units,
            l.returnSequences,
            weightOf(l.name, 'kernel', kshape),
            weightOf(l.name, 'recurrentKernel', [l.units, 3 * l.units]),
            this.variable(l.name, 'bias'),
          );
          break;
        case 'batchNorm': {
          if ([...this.folds.values()].includes(l.name)) continue; // already inside the previous layer
          const f = this.variable(l.name, 'gamma').div(
            this.variable(l.name, 'movingVariance').add(l.epsilon).sqrt(),
          );
          h = h.sub(this.variable(l.name, 'movingMean')).mul(f).add(this.variable(l.name, 'beta'));
          break;
        }
        case 'relu':
          h = tf.relu(h);
          break;
        case 'relu6':
          h = tf.relu6(h);
          break;
        case 'maxPool1d':
        case 'avgPool1d': {
          const [t, c] = ls.inShape as [number, number];
          const s = l.strides ?? l.poolSize;
          const x4 = h.reshape([-1, t, 1, c]) as TfType.Tensor4D;
          const y =
            l.type === 'maxPool1d'
              ? tf.maxPool(x4, [l.poolSize, 1], [s, 1], 'valid')
              : tf.avgPool(x4, [l.poolSize, 1], [s, 1], 'valid');
          h = y.reshape([-1, ...ls.outShape]);
          break;
        }
        case 'maxPool2d':
          h = tf.maxPool(h as TfType.Tensor4D, l.poolSize, l.strides ?? l.poolSize, 'valid');
          break;
        case 'avgPool2d':
          h = tf.avgPool(h as TfType.Tensor4D, l.poolSize, l.strides ?? l.poolSize, 'valid');
          break;
        case 'flatten':
          h = h.reshape([-1, ls.outShape[0]!]);
          break;
        case 'softmax':
          continue; // logits out
      }
      if (isWeightedLayer(l) && l.type !== 'gru') {
        h = h.add(this.effectiveBias(l.name));
        if ('activation' in l) h = activate(tf, h, l.activation);
      }
      h = site(l.name, h);
    }
    return h;
  }

  private gru(x: Tensor, u: number, returnSequences: boolean, w: Tensor, rec: Tensor, bias: Tensor): Tensor {
    const tf = this.tf;
    const [b, t, f] = x.shape as [number, number, number];
    const biasIn = bias.slice([0, 0], [1, 3 * u]).reshape([3 * u]);
    const biasRec = bias.slice([1, 0], [1, 3 * u]).reshape([3 * u]);
    const xw = tf
      .matMul(x.reshape([b * t, f]) as TfType.Tensor2D, w as TfType.Tensor2D)
      .add(biasIn)
      .reshape([b, t, 3 * u]);
    const steps = tf.unstack(xw, 1);
    let h: Tensor = tf.zeros([b, u]);
    const outs: Tensor[] = [];
    for (const xt of steps) {
      const hu = tf.matMul(h as TfType.Tensor2D, rec as TfType.Tensor2D).add(biasRec);
      const zr = tf.sigmoid(xt.slice([0, 0], [b, 2 * u]).add(hu.slice([0, 0], [b, 2 * u])));
      const z = zr.slice([0, 0], [b, u]);
      const r = zr.slice([0, u], [b, u]);
      const cand = tf.tanh(xt.slice([0, 2 * u], [b, u]).add(r.mul(hu.slice([0, 2 * u], [b, u]))));
      h = cand.add(z.mul(h.sub(cand)));
      if (returnSequences) outs.push(h);
    }
    return returnSequences ? tf.stack(outs, 1) : h;
  }

  /** The raw parameters in NamedWeight layout and spec order (copies). */
  namedWeights(): NamedWeight[] {
    const out: NamedWeight[] = [];
    for (const ls of this.shapes.layers)
      for (const p of ls.params)
        out.push({
          layer: ls.name,
          param: p.param,
          shape: [...p.shape],
          values: Float32Array.from(this.variable(ls.name, p.param).dataSync()),
        });
    return out;
  }

  /**
   * The folded model: the spec without the folded BatchNorm layers (their conv/dense gain a bias) and
   * its weights, with `kernels` (channel-last view, keyed "layer.param") replacing the folded weights,
   * e.g. by their hard-rounded values.
   */
  folded(kernels?: ReadonlyMap<string, Float32Array>): { spec: ModelSpec; weights: NamedWeight[] } {
    const foldedBns = new Set(this.folds.values());
    const layers: LayerSpec[] = this.spec.layers
      .filter((l) => !foldedBns.has(l.name))
      .map((l) => (this.folds.has(l.name) && 'useBias' in l ? { ...l, useBias: true } : l));
    const spec: ModelSpec = { ...this.spec, layers };
    const weights: NamedWeight[] = [];
    for (const ls of inferShapes(spec).layers) {
      for (const p of ls.params) {
        const k = key(ls.name, p.param);
        const t = this.targets.find((q) => q.layer === ls.name && q.param === p.param);
        let values: Float32Array;
        if (t)
          values =
            kernels?.get(k) ?? Float32Array.from(this.tf.tidy(() => this.effectiveWeight(t)).dataSync());
        else if (p.param === 'bias' && ls.type !== 'gru')
          values = this.readAndDispose(this.effectiveBias(ls.name));
        else values = Float32Array.from(this.variable(ls.name, p.param).dataSync());
        weights.push({
          layer: ls.name,
          param: p.param,
          shape: [...p.shape],
          values: Float32Array.from(values),
        });
      }
    }
    return { spec, weights };
  }

  private readAndDispose(t: Tensor): Float32Array {
    const v = Float32Array.from(t.dataSync());
    t.dispose();
    return v;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
