/**
 * L2 normalisation as a serialisable layer: `y = x / sqrt(max(sum(x^2, axis), epsilon))`,
 * the unit-length embedding of FaceNet-style metric learning (Schroff et al., "FaceNet",
 * CVPR 2015) used by the triplet-loss phase of document 002.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Options of {@link L2Normalize}. */
export interface L2NormalizeOptions {
  /** Axis to normalise over. Default -1 (the features). */
  axis?: number;
  /** Floor of the squared norm, so an all-zero vector maps to zeros, not NaN. Default 1e-12. */
  epsilon?: number;
  /** Layer name. */
  name?: string;
  /** Whether the layer is trainable (it has no weights). */
  trainable?: boolean;
}

/** Scales each vector along `axis` to unit Euclidean length. Any input shape; output has the same shape. */
export class L2Normalize extends tfl.layers.Layer {
  /** Registered class name, used by save/load. */
  static className = 'L2Normalize';
  /** Normalised axis. */
  readonly axis: number;
  /** Floor of the squared norm. */
  readonly epsilon: number;

  /** @param options see {@link L2NormalizeOptions}. */
  constructor(options: L2NormalizeOptions = {}) {
    super({ name: options.name, trainable: options.trainable });
    this.axis = options.axis ?? -1;
    this.epsilon = options.epsilon ?? 1e-12;
    if (!Number.isInteger(this.axis))
      throw new Error(`L2Normalize: 'axis' must be an integer; got ${this.axis}`);
    if (!(this.epsilon > 0)) throw new Error(`L2Normalize: 'epsilon' must be > 0; got ${this.epsilon}`);
  }

  /** Output shape equals the input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** `x / sqrt(max(sum(x^2), epsilon))` along `axis`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const sq = tf.sum(tf.square(x), this.axis, true);
      return tf.mul(x, tf.rsqrt(tf.maximum(sq, this.epsilon)));
    });
  }

  /** Round-trips every constructor option. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(L2Normalize);
