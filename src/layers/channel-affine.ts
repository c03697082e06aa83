/**
 * A fixed per-channel affine map `y[..., c] = x[..., c] * scale[c] + offset[c]`, with no
 * weights: input normalisation baked into a model so it saves with it. torchvision's
 * Inception-v3 `transform_input` is one (it re-normalises ImageNet-standardised input to the
 * [-1, 1] range Google's weights were trained on: `x * std / 0.5 + (mean - 0.5) / 0.5`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Options of {@link ChannelAffine}. */
export interface ChannelAffineOptions {
  /** Per-channel factors, one per channel of the last axis. Required. */
  scale: number[];
  /** Per-channel offsets added after scaling, same length as `scale`. Required. */
  offset: number[];
  /** Layer name. */
  name?: string;
  /** Whether the layer is trainable (it has no weights). */
  trainable?: boolean;
}

/** `x * scale + offset` along the last axis. Input any rank with `scale.length` channels last; output the same shape. */
export class ChannelAffine extends tfl.layers.Layer {
  /** Registered class name, used by save/load. */
  static className = 'ChannelAffine';
  /** Per-channel factors. */
  readonly scale: number[];
  /** Per-channel offsets. */
  readonly offset: number[];

  /** @param options see {@link ChannelAffineOptions}. */
  constructor(options: ChannelAffineOptions) {
    super({ name: options?.name, trainable: options?.trainable });
    const { scale, offset } = options ?? {};
    const ok = (v: unknown): v is number[] =>
      Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'number' && Number.isFinite(n));
    if (!ok(scale))
      throw new Error(
        `ChannelAffine: 'scale' must be a non-empty array of finite numbers; got ${JSON.stringify(scale)}`,
      );
    if (!ok(offset) || offset.length !== scale.length) {
      throw new Error(
        `ChannelAffine: 'offset' must be ${scale.length} finite numbers, one per channel; got ${JSON.stringify(offset)}`,
      );
    }
    this.scale = [...scale];
    this.offset = [...offset];
  }

  /** Checks the channel count; the output shape equals the input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = shape[shape.length - 1];
    if (c !== null && c !== this.scale.length) {
      throw new Error(`ChannelAffine: expected ${this.scale.length} channels on the last axis; got ${c}`);
    }
    return shape;
  }

  /** `x * scale + offset`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.add(tf.mul(x, tf.tensor1d(this.scale)), tf.tensor1d(this.offset));
    });
  }

  /** Round-trips every constructor option. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: [...this.scale], offset: [...this.offset] };
  }
}
tf.serialization.registerClass(ChannelAffine);
