/**
 * Spatial squeeze-and-excitation (sSE): a per-pixel gate from a 1×1 convolution to one channel.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { spatialGate } from './attention-ops';
import {
  baseArgs,
  channelsOf,
  glorot,
  singleInput,
  type CallKwargs,
  type LayerBaseOptions,
} from './layer-options';

/** Options of {@link SpatialSE}. */
export interface SpatialSEOptions extends LayerBaseOptions {
  /** Add a bias to the 1×1 convolution. Default `true`. */
  useBias?: boolean;
  /** Seed of the kernel initialiser; unseeded when omitted. */
  seed?: number;
}

/**
 * Spatial squeeze-and-excitation, sSE (Roy et al., "Concurrent Spatial and Channel 'Squeeze &
 * Excitation' in Fully Convolutional Networks", MICCAI 2018): `y = x ⊙ σ(conv1×1_{C→1}(x))`,
 * one attention value per pixel shared by all channels.
 *
 * Input and output `[batch, height, width, channels]`. Weights: `kernel [1,1,C,1]`, `bias [1]`.
 */
export class SpatialSE extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = 'SpatialSE';
  /** Whether the 1×1 conv has a bias. */
  readonly useBias: boolean;
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  private channels: number | null = null;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  /** @param opts See {@link SpatialSEOptions}. */
  constructor(opts: SpatialSEOptions = {}) {
    super(baseArgs(opts));
    this.useBias = opts.useBias ?? true;
    this.seed = opts.seed ?? undefined;
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Creates the 1×1 kernel once the channel count is known. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(inputShape, 'SpatialSE');
    this.channels = c;
    this.kernel = this.addWeight('kernel', [1, 1, c, 1], 'float32', glorot(this.seed, 0));
    if (this.useBias) this.bias = this.addWeight('bias', [1], 'float32', tfl.initializers.zeros());
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** Applies the spatial gate to `[batch, height, width, channels]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.channels, 'SpatialSE');
      const w = tf.reshape(this.kernel!.read(), [this.channels as number, 1]) as tf.Tensor2D;
      const b = this.bias ? (this.bias.read() as tf.Tensor1D) : null;
      return tf.mul(x, spatialGate(x, w, b));
    });
  }

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  /** Every constructor option, so `fromConfig` rebuilds the same layer. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { ...super.getConfig(), useBias: this.useBias };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }
}

tf.serialization.registerClass(SpatialSE);
