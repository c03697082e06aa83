/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019, Algorithm 2), as `torch.optim.AdamW` computes it (source 004:
 * ResNet-50 with lr 1e-4, weight decay 1e-4). Each step first shrinks every parameter that
 * has a gradient, p <- p * (1 - lr * weightDecay), then takes tfjs' Adam step
 * p <- p - lr * m_hat / (sqrt(v_hat) + epsilon); the Adam step does not read p, so the order
 * matches PyTorch's exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRange } from '../util/checks';

/** What tfjs' `AdamOptimizer.applyGradients` takes: a name -> gradient map or `{ name, tensor }` pairs. */
type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Options of {@link adamw}; the defaults are `torch.optim.AdamW`'s. */
export interface AdamWOptions {
  /** Learning rate. Default 1e-3. */
  learningRate?: number;
  /** Decoupled weight decay coefficient (multiplied by the learning rate). Default 1e-2. */
  weightDecay?: number;
  /** Decay of the first moment. Default 0.9. */
  beta1?: number;
  /** Decay of the second moment. Default 0.999. */
  beta2?: number;
  /** Added to the square root of the second moment. Default 1e-8 (PyTorch's, not tfjs' 1e-7). */
  epsilon?: number;
  /**
   * `true`: decoupled decay (`torch.optim.AdamW`). `false`: L2 decay added to the gradient,
   * g <- g + weightDecay * p, as `torch.optim.Adam(weight_decay=...)` does (the optimizer in
   * document 004's code cell). Default true.
   */
  decoupled?: boolean;
}

/**
 * Adam with decoupled weight decay; see {@link adamw} for the formula and the defaults. A
 * subclass of tfjs' `AdamOptimizer`, so `model.compile({ optimizer })`, the learning-rate
 * callbacks ({@link setLearningRate}) and checkpointed optimizer state work as with Adam;
 * its class name is `'AdamW'`. The decay applies to every variable the step updates
 * (PyTorch's default parameter group, biases and batch-norm scales included).
 */
export class AdamW extends tf.AdamOptimizer {
  /** Serialisation name. */
  static override get className(): string {
    return 'AdamW';
  }

  /** Weight decay coefficient. */
  readonly weightDecay: number;
  /** Decoupled decay (AdamW) or L2 decay added to the gradient (PyTorch's Adam). */
  readonly decoupled: boolean;

  /**
   * @param learningRate step size
   * @param beta1 decay of the first moment
   * @param beta2 decay of the second moment
   * @param epsilon added to sqrt of the second moment
   * @param weightDecay weight decay coefficient
   * @param decoupled decoupled decay (default) or L2 decay added to the gradient
   */
  constructor(
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
    decoupled = true,
  ) {
    super(learningRate, beta1, beta2, epsilon);
    this.weightDecay = weightDecay;
    this.decoupled = decoupled;
  }

  /**
   * Decoupled: shrink every parameter with a gradient by (1 - lr * weightDecay), then take
   * Adam's step. L2: take Adam's step on g + weightDecay * p.
   */
  override applyGradients(variableGradients: Gradients): void {
    if (!this.decoupled) {
      this.applyL2(variableGradients);
      return;
    }
    const decay = 1 - this.learningRate * this.weightDecay;
    // In float32 a factor within 6e-8 of 1 rounds to 1 (as in PyTorch, whose scalar multiply
    // runs in the tensor's dtype): lr 1e-4 x weight decay 1e-4 leaves the weights unchanged,
    // so AdamW there takes exactly Adam's steps. Skip the no-op multiply.
    if (Math.fround(decay) !== 1) {
      const pairs: Array<[string, tf.Tensor | undefined]> = Array.isArray(variableGradients)
        ? variableGradients.map((v) => [v.name, v.tensor])
        : Object.entries(variableGradients);
      const vars = tf.engine().registeredVariables;
      tf.tidy(() => {
        for (const [name, grad] of pairs) {
          const v = vars[name];
          // PyTorch skips parameters whose .grad is None; so do we.
          if (v && grad != null) v.assign(tf.mul(v, decay));
        }
      });
    }
    super.applyGradients(variableGradients);
  }

  private applyL2(variableGradients: Gradients): void {
    if (this.weightDecay === 0) {
      super.applyGradients(variableGradients);
      return;
    }
    const vars = tf.engine().registeredVariables;
    const wd = this.weightDecay;
    const withDecay = (name: string, g: tf.Tensor): tf.Tensor => {
      const v = vars[name];
      return v ? tf.add(g, tf.mul(v, wd)) : tf.clone(g);
    };
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const grads: tf.Tensor[] = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.tensor)
      : Object.values(variableGradients);
    const decayed = tf.tidy(() => names.map((name, i) => withDecay(name, grads[i] as tf.Tensor)));
    try {
      super.applyGradients(names.map((name, i) => ({ name, tensor: decayed[i] as tf.Tensor })));
    } finally {
      tf.dispose(decayed);
    }
  }

  /** Adam's configuration plus `weightDecay` and `decoupled`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay, decoupled: this.decoupled };
  }

  /** Rebuild from {@link AdamW.getConfig}. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(
      config.learningRate,
      config.beta1,
      config.beta2,
      config.epsilon,
      config.weightDecay,
      config.decoupled ?? true,
    ) as T;
  }
}
tf.serialization.registerClass(AdamW);

/**
 * Make an {@link AdamW} optimizer (Adam with decoupled weight decay, `torch.optim.AdamW`):
 *
 *   p <- p * (1 - lr * weightDecay);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon)
 *
 * Unlike L2 regularisation added to the loss, the decay is not scaled by Adam's per-parameter
 * step size. With `decoupled: false` it is instead `torch.optim.Adam(weight_decay=...)`: the Adam
 * step on g + weightDecay * p. Document 004 trains ResNet-50 with lr 1e-4 and weight decay
 * 1e-4; its code cell passes `torch.optim.Adam`, i.e. `decoupled: false`.
 * @param options see {@link AdamWOptions}
 */
export function adamw(options: AdamWOptions = {}): AdamW {
  const fn = 'adamw';
  const lr = options.learningRate ?? 1e-3;
  const wd = options.weightDecay ?? 1e-2;
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  checkRange(lr, 'learningRate', fn, { lo: 0 });
  checkRange(wd, 'weightDecay', fn, { lo: 0 });
  checkRange(b1, 'beta1', fn, { lo: 0, hi: 1, hiOpen: true });
  checkRange(b2, 'beta2', fn, { lo: 0, hi: 1, hiOpen: true });
  checkRange(eps, 'epsilon', fn, { lo: 0 });
  const decoupled = options.decoupled ?? true;
  if (typeof decoupled !== 'boolean')
    throw new Error(`${fn}: 'decoupled' must be a boolean; got ${decoupled}`);
  return new AdamW(lr, b1, b2, eps, wd, decoupled);
}
