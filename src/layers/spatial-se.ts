/**
 * Spatial squeeze-and-excitation (sSE): a per-pixel gate from a 1×1 convolution to one channel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { AttentionGate, type AttentionOptions } from './attention-base';
import { spatialGate } from './attention-ops';

/** Options of {@link SpatialSE}. */
export interface SpatialSEOptions extends AttentionOptions {
  /** Add a bias to the 1×1 convolution. Default `true`. */
  useBias?: boolean;
}

/**
 * Spatial squeeze-and-excitation, sSE (Roy et al., "Concurrent Spatial and Channel 'Squeeze &
 * Excitation' in Fully Convolutional Networks", MICCAI 2018): `y = x ⊙ σ(conv1×1_{C→1}(x))`,
 * one attention value per pixel shared by all channels.
 *
 * Input and output `[batch, height, width, channels]`. Weights: `kernel [1,1,C,1]`, `bias [1]`.
 */
export class SpatialSE extends AttentionGate {
  /** Name under which the class is registered for serialisation. */
  static className = 'SpatialSE';
  /** Whether the 1×1 conv has a bias. */
  readonly useBias: boolean;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  /** @param opts See {@link SpatialSEOptions}. */
  constructor(opts: SpatialSEOptions = {}) {
    super(opts);
    this.useBias = opts.useBias ?? true;
  }

  /** Creates the 1×1 kernel `[1, 1, C, 1]` and its bias. */
  protected override buildWeights(c: number): void {
    this.kernel = this.kernelWeight('kernel', [1, 1, c, 1], 0);
    if (this.useBias) this.bias = this.zerosWeight('bias', [1]);
  }

  /** `x ⊙ σ(conv1×1(x))`. */
  protected override attend(x: tf.Tensor4D): tf.Tensor {
    const w = tf.reshape(this.kernel!.read(), [this.channels as number, 1]) as tf.Tensor2D;
    const b = this.bias ? (this.bias.read() as tf.Tensor1D) : null;
    return tf.mul(x, spatialGate(x, w, b));
  }

  /** `useBias`. */
  protected override gateConfig(): tf.serialization.ConfigDict {
    return { useBias: this.useBias };
  }
}

tf.serialization.registerClass(SpatialSE);
