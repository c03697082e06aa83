/**
 * The scaled residual sum of Inception-ResNet (Szegedy et al., "Inception-v4,
 * Inception-ResNet and the Impact of Residual Connections on Learning", AAAI 2017, sec. 3.3):
 * `y = x + scale * r`, the residual scaled down (0.1-0.3) to keep very wide residual networks
 * stable. Keras' `InceptionResNetV2` writes it as a `Lambda` (TF 2) or `CustomScaleLayer`
 * (Keras 3) named `block35_N` / `block17_N` / `block8_N`; a Lambda cannot be saved, so here it
 * is a serialisable layer with the same name and no weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Options of {@link ScaledResidual}. */
export interface ScaledResidualOptions {
  /** Factor applied to the residual (the second input). Required; any finite number. */
  scale: number;
  /** Layer name. */
  name?: string;
  /** Whether the layer is trainable (it has no weights). */
  trainable?: boolean;
}

/**
 * `x + scale * r` of two inputs `[x, r]` of the same shape (any rank); output has that shape.
 */
export class ScaledResidual extends tfl.layers.Layer {
  /** Registered class name, used by save/load. */
  static className = 'ScaledResidual';
  /** Factor applied to the residual. */
  readonly scale: number;

  /** @param options see {@link ScaledResidualOptions}. */
  constructor(options: ScaledResidualOptions) {
    super({ name: options?.name, trainable: options?.trainable });
    const scale = options?.scale;
    if (typeof scale !== 'number' || !Number.isFinite(scale)) {
      throw new Error(`ScaledResidual: 'scale' must be a finite number; got ${scale}`);
    }
    this.scale = scale;
  }

  /** Output shape equals the first input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = inputShape as tfl.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) {
      throw new Error(`ScaledResidual: expected two inputs [x, residual]; got ${JSON.stringify(inputShape)}`);
    }
    if (JSON.stringify(shapes[0]) !== JSON.stringify(shapes[1])) {
      throw new Error(
        `ScaledResidual: x and residual must have the same shape; got ${JSON.stringify(shapes[0])} and ${JSON.stringify(shapes[1])}`,
      );
    }
    return shapes[0];
  }

  /** `x + scale * r`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length !== 2) {
      throw new Error('ScaledResidual: expected two inputs [x, residual]');
    }
    return tf.tidy(() => tf.add(inputs[0], tf.mul(inputs[1], this.scale)));
  }

  /** Round-trips every constructor option. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}
tf.serialization.registerClass(ScaledResidual);
