/**
 * Squeeze-and-excitation channel attention, as fully connected layers (SE, Hu et al.) or as
 * 1×1 convolutions (cSE, Roy et al.); the two compute the same function with differently
 * shaped kernels, so weights port from either family of reference code.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt } from '../util/checks';
import { channelGate } from './attention-ops';
import {
  baseArgs,
  channelsOf,
  checkPositive,
  glorot,
  hiddenChannels,
  singleInput,
  type CallKwargs,
  type LayerBaseOptions,
} from './layer-options';

/** Options of {@link SqueezeExcite} and {@link ChannelSE}. */
export interface SqueezeExciteOptions extends LayerBaseOptions {
  /** Bottleneck ratio r: the hidden width is `max(minChannels, floor(C / r))`. Default 16. */
  reduction?: number;
  /** Lower bound of the hidden width, so narrow inputs keep a bottleneck. Default 1. */
  minChannels?: number;
  /** Add biases to both projections. Default `true` (as Hu et al. and torch's defaults). */
  useBias?: boolean;
  /** Seed of the Glorot-uniform kernel initialisers; unseeded when omitted. */
  seed?: number;
}

/**
 * Squeeze-and-excitation (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018):
 * `y = x ⊙ σ(W2 · relu(W1 · GAP(x) + b1) + b2)`, `W1 [C, C/r]`, `W2 [C/r, C]` fully connected.
 *
 * Input and output `[batch, height, width, channels]`. Weights: `squeeze_kernel [C, Cr]`,
 * `squeeze_bias [Cr]`, `excite_kernel [Cr, C]`, `excite_bias [C]`.
 */
export class SqueezeExcite extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = 'SqueezeExcite';
  /** Bottleneck ratio. */
  readonly reduction: number;
  /** Lower bound of the hidden width. */
  readonly minChannels: number;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  /** Input channels, known once built. */
  protected channels: number | null = null;
  /** Hidden width, known once built. */
  protected hidden = 0;
  private w1: tfl.LayerVariable | null = null;
  private b1: tfl.LayerVariable | null = null;
  private w2: tfl.LayerVariable | null = null;
  private b2: tfl.LayerVariable | null = null;

  /** @param opts See {@link SqueezeExciteOptions}. */
  constructor(opts: SqueezeExciteOptions = {}) {
    super(baseArgs(opts));
    const cls = (this.constructor as typeof SqueezeExcite).className;
    this.reduction = opts.reduction ?? 16;
    this.minChannels = opts.minChannels ?? 1;
    this.useBias = opts.useBias ?? true;
    this.seed = opts.seed ?? undefined;
    checkPositive(this.reduction, 'reduction', cls);
    checkPositiveInt(this.minChannels, 'minChannels', cls);
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Kernel shapes of the two projections; cSE overrides this with 1×1 conv shapes. */
  protected kernelShapes(c: number, h: number): [number[], number[]] {
    return [
      [c, h],
      [h, c],
    ];
  }

  /** Creates the projection weights once the channel count is known. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const cls = (this.constructor as typeof SqueezeExcite).className;
    const c = channelsOf(inputShape, cls);
    this.channels = c;
    this.hidden = hiddenChannels(c, this.reduction, this.minChannels);
    const [s1, s2] = this.kernelShapes(c, this.hidden);
    this.w1 = this.addWeight('squeeze_kernel', s1, 'float32', glorot(this.seed, 0));
    if (this.useBias)
      this.b1 = this.addWeight('squeeze_bias', [this.hidden], 'float32', tfl.initializers.zeros());
    this.w2 = this.addWeight('excite_kernel', s2, 'float32', glorot(this.seed, 1));
    if (this.useBias) this.b2 = this.addWeight('excite_bias', [c], 'float32', tfl.initializers.zeros());
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** Applies the channel gate to `[batch, height, width, channels]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const cls = (this.constructor as typeof SqueezeExcite).className;
      const x = singleInput(inputs, this.channels, cls);
      const c = this.channels as number;
      const w1 = tf.reshape(this.w1!.read(), [c, this.hidden]) as tf.Tensor2D;
      const w2 = tf.reshape(this.w2!.read(), [this.hidden, c]) as tf.Tensor2D;
      const b1 = this.b1 ? (this.b1.read() as tf.Tensor1D) : null;
      const b2 = this.b2 ? (this.b2.read() as tf.Tensor1D) : null;
      return tf.mul(x, channelGate(x, w1, b1, w2, b2));
    });
  }

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  /** Every constructor option, so `fromConfig` rebuilds the same layer. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      reduction: this.reduction,
      minChannels: this.minChannels,
      useBias: this.useBias,
    };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
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
