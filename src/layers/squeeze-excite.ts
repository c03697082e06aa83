/**
 * Squeeze-and-excitation channel attention, as fully connected layers (SE, Hu et al.) or as
 * 1×1 convolutions (cSE, Roy et al.); the two compute the same function with differently
 * shaped kernels, so weights port from either family of reference code.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt } from '../util/checks';
import { AttentionGate, type AttentionOptions } from './attention-base';
import { channelGate } from './attention-ops';
import { checkPositive, hiddenChannels } from './layer-options';

/** Options of {@link SqueezeExcite} and {@link ChannelSE}. */
export interface SqueezeExciteOptions extends AttentionOptions {
  /** Bottleneck ratio r: the hidden width is `max(minChannels, floor(C / r))`. Default 16. */
  reduction?: number;
  /** Lower bound of the hidden width, so narrow inputs keep a bottleneck. Default 1. */
  minChannels?: number;
  /** Add biases to both projections. Default `true` (as Hu et al. and torch's defaults). */
  useBias?: boolean;
}

/**
 * Squeeze-and-excitation (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018):
 * `y = x ⊙ σ(W2 · relu(W1 · GAP(x) + b1) + b2)`, `W1 [C, C/r]`, `W2 [C/r, C]` fully connected.
 *
 * Input and output `[batch, height, width, channels]`. Weights: `squeeze_kernel [C, Cr]`,
 * `squeeze_bias [Cr]`, `excite_kernel [Cr, C]`, `excite_bias [C]`.
 */
export class SqueezeExcite extends AttentionGate {
  /** Name under which the class is registered for serialisation. */
  static className = 'SqueezeExcite';
  /** Bottleneck ratio. */
  readonly reduction: number;
  /** Lower bound of the hidden width. */
  readonly minChannels: number;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
  /** Hidden width, known once built. */
  protected hidden = 0;
  private w1: tfl.LayerVariable | null = null;
  private b1: tfl.LayerVariable | null = null;
  private w2: tfl.LayerVariable | null = null;
  private b2: tfl.LayerVariable | null = null;

  /** @param opts See {@link SqueezeExciteOptions}. */
  constructor(opts: SqueezeExciteOptions = {}) {
    super(opts);
    const cls = this.getClassName();
    this.reduction = opts.reduction ?? 16;
    this.minChannels = opts.minChannels ?? 1;
    this.useBias = opts.useBias ?? true;
    checkPositive(this.reduction, 'reduction', cls);
    checkPositiveInt(this.minChannels, 'minChannels', cls);
  }

  /** Kernel shapes of the two projections; cSE overrides this with 1×1 conv shapes. */
  protected kernelShapes(c: number, h: number): [number[], number[]] {
    return [
      [c, h],
      [h, c],
    ];
  }

  /** Creates the two projections and their biases. */
  protected override buildWeights(c: number): void {
    this.hidden = hiddenChannels(c, this.reduction, this.minChannels);
    const [s1, s2] = this.kernelShapes(c, this.hidden);
    this.w1 = this.kernelWeight('squeeze_kernel', s1, 0);
    if (this.useBias) this.b1 = this.zerosWeight('squeeze_bias', [this.hidden]);
    this.w2 = this.kernelWeight('excite_kernel', s2, 1);
    if (this.useBias) this.b2 = this.zerosWeight('excite_bias', [c]);
  }

  /** `x ⊙ σ(W2 · relu(W1 · GAP(x) + b1) + b2)`. */
  protected override attend(x: tf.Tensor4D): tf.Tensor {
    const c = this.channels as number;
    const w1 = tf.reshape(this.w1!.read(), [c, this.hidden]) as tf.Tensor2D;
    const w2 = tf.reshape(this.w2!.read(), [this.hidden, c]) as tf.Tensor2D;
    const b1 = this.b1 ? (this.b1.read() as tf.Tensor1D) : null;
    const b2 = this.b2 ? (this.b2.read() as tf.Tensor1D) : null;
    return tf.mul(x, channelGate(x, w1, b1, w2, b2));
  }

  /** `reduction`, `minChannels`, `useBias`. */
  protected override gateConfig(): tf.serialization.ConfigDict {
    return { reduction: this.reduction, minChannels: this.minChannels, useBias: this.useBias };
  }
}

/**
 * Channel squeeze-and-excitation, cSE (Roy et al., "Concurrent Spatial and Channel 'Squeeze &
 * Excitation' in Fully Convolutional Networks", MICCAI 2018): GAP → 1×1 conv C/r → ReLU →
 * 1×1 conv C → sigmoid → scale, i.e. `y = x ⊙ σ(W2 · relu(W1 · GAP(x) + b1) + b2)`.
 *
 * Same function as {@link SqueezeExcite}, with 1×1 conv kernels `squeeze_kernel [1,1,C,Cr]`
 * and `excite_kernel [1,1,Cr,C]` (segmentation_models_pytorch's `SCSEModule.cSE` layout).
 * Input and output `[batch, height, width, channels]`.
 */
export class ChannelSE extends SqueezeExcite {
  /** Name under which the class is registered for serialisation. */
  static override className = 'ChannelSE';

  protected override kernelShapes(c: number, h: number): [number[], number[]] {
    return [
      [1, 1, c, h],
      [1, 1, h, c],
    ];
  }
}

tf.serialization.registerClass(SqueezeExcite);
tf.serialization.registerClass(ChannelSE);
