import type * as TfType from '@tensorflow/tfjs';

type Tf = typeof TfType;
type Tensor = TfType.Tensor;

export interface GruLayerArgs {
  name: string;
  units: number;
  returnSequences: boolean;
  seed: number;
}

/**
 * A GRU with Keras' `reset_after=True` semantics (the layout in src/shared/model/spec.ts and the
 * integer engine's): tfjs' own GRU only implements `reset_after=False` with a hard sigmoid,
 * which neither the spec nor the firmware use. Gate order z, r, h; bias [2, 3u] holds the
 * input bias (row 0) and the recurrent bias (row 1); h₀ = 0.
 *
 * The input projection of all time steps is one matMul; each step is then a handful of small
 * ops, which is what a GRU costs on every TensorFlow.js backend (per-op overhead dominates).
 */
const classes = new WeakMap<Tf, new (args: GruLayerArgs) => TfType.layers.Layer>();

export function gruLayerClass(tf: Tf): new (args: GruLayerArgs) => TfType.layers.Layer {
  const cached = classes.get(tf);
  if (cached) return cached;

  class BitbenchGru extends tf.layers.Layer {
    static readonly className = 'BitbenchGru';
    private readonly units: number;
    private readonly returnSequences: boolean;
    private readonly seed: number;
    private kernel?: TfType.LayerVariable;
    private recurrentKernel?: TfType.LayerVariable;
    private bias?: TfType.LayerVariable;

    constructor(args: GruLayerArgs) {
      super({ name: args.name });
      this.units = args.units;
      this.returnSequences = args.returnSequences;
      this.seed = args.seed;
    }

    override build(inputShape: TfType.Shape | TfType.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TfType.Shape;
      const features = shape[shape.length - 1]!;
      const u = this.units;
      this.kernel = this.addWeight(
        'kernel',
        [features, 3 * u],
        'float32',
        tf.initializers.glorotUniform({ seed: this.seed }),
      );
      this.recurrentKernel = this.addWeight(
        'recurrent_kernel',
        [u, 3 * u],
        'float32',
        tf.initializers.orthogonal({ seed: this.seed + 1 }),
      );
      this.bias = this.addWeight('bias', [2, 3 * u], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override computeOutputShape(inputShape: TfType.Shape | TfType.Shape[]): TfType.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TfType.Shape;
      return this.returnSequences ? [shape[0]!, shape[1]!, this.units] : [shape[0]!, this.units];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TfType.Tensor3D;
        const [b, t, f] = x.shape;
        const u = this.units;
        const w = this.kernel!.read();
        const uRec = this.recurrentKernel!.read();
        const bias = this.bias!.read();
        const biasIn = tf.reshape(tf.slice(bias, [0, 0], [1, 3 * u]), [3 * u]);
        const biasRec = tf.reshape(tf.slice(bias, [1, 0], [1, 3 * u]), [3 * u]);
        const xw = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [b * t, f]), w), biasIn), [b, t, 3 * u]);
        const steps = tf.unstack(xw, 1);
        let h: Tensor = tf.zeros([b, u]);
        const outs: Tensor[] = [];
        for (const xt of steps) {
          const hu = tf.add(tf.matMul(h, uRec), biasRec);
          const zr = tf.sigmoid(tf.add(tf.slice(xt, [0, 0], [b, 2 * u]), tf.slice(hu, [0, 0], [b, 2 * u])));
          const z = tf.slice(zr, [0, 0], [b, u]);
          const r = tf.slice(zr, [0, u], [b, u]);
          const cand = tf.tanh(
            tf.add(tf.slice(xt, [0, 2 * u], [b, u]), tf.mul(r, tf.slice(hu, [0, 2 * u], [b, u]))),
          );
          // h' = z·h + (1 − z)·h̃ = h̃ + z·(h − h̃): one op fewer per step.
          h = tf.add(cand, tf.mul(z, tf.sub(h, cand)));
          if (this.returnSequences) outs.push(h);
        }
        return this.returnSequences ? tf.stack(outs, 1) : h;
      });
    }

    override getConfig(): TfType.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        units: this.units,
        returnSequences: this.returnSequences,
        seed: this.seed,
      };
    }
  }
  const cls = BitbenchGru as unknown as new (args: GruLayerArgs) => TfType.layers.Layer;
  classes.set(tf, cls);
  return cls;
}
