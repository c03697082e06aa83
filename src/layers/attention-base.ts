/**
 * The one base of the attention gates (SE, cSE, sSE, scSE, ECA, ECAsE), as tfjs-layers puts
 * `Conv2D` on `BaseConv`: one NHWC input, an output of the same shape, `channels` and `seed`
 * handled once, and the build / call / getConfig contract written once.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt } from '../util/checks';
import {
  baseArgs,
  channelsOf,
  glorot,
  singleInput,
  type CallKwargs,
  type LayerBaseOptions,
} from './layer-options';

/** Options every attention gate takes besides its own. */
export interface AttentionOptions extends LayerBaseOptions {
  /**
   * Input channels C, the first argument of timm's attention modules. Optional: the layer
   * reads C from its input when built; when given, the input must have C channels, and
   * C-dependent defaults (ECA's kernel size) are known before the layer is built.
   */
  channels?: number;
  /** Seed of the Glorot-uniform kernel initialisers; unseeded when omitted. */
  seed?: number;
}

/**
 * Base class of attention gates: `y = f(x)` with `x`, `y` of shape `[batch, height, width,
 * channels]`. A subclass creates its weights in {@link AttentionGate.buildWeights} (with
 * {@link AttentionGate.kernelWeight} / {@link AttentionGate.zerosWeight}), computes the gated
 * input in {@link AttentionGate.attend} and lists its own options in
 * {@link AttentionGate.gateConfig}; the base checks the input, keeps the output shape and
 * writes `channels` (when given) and `seed` into the config.
 */
export abstract class AttentionGate extends tfl.layers.Layer {
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  /** Input channels: as given, else known once built (`null` before). */
  protected channels: number | null;
  private readonly givenChannels: number | undefined;

  /** @param opts See {@link AttentionOptions}. */
  constructor(opts: AttentionOptions) {
    super(baseArgs(opts));
    this.seed = opts.seed ?? undefined;
    this.givenChannels = opts.channels ?? undefined;
    if (this.givenChannels !== undefined)
      checkPositiveInt(this.givenChannels, 'channels', this.getClassName());
    this.channels = this.givenChannels ?? null;
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Creates the weights for `channels` input channels. */
  protected abstract buildWeights(channels: number): void;

  /** The gated input, `[batch, height, width, channels]`, from `x` of the same shape. */
  protected abstract attend(x: tf.Tensor4D): tf.Tensor;

  /** The subclass's own constructor options, for {@link AttentionGate.getConfig}. */
  protected abstract gateConfig(): tf.serialization.ConfigDict;

  /** A float32 weight with a Glorot-uniform initialiser seeded from `seed + seedOffset`. */
  protected kernelWeight(name: string, shape: number[], seedOffset: number): tfl.LayerVariable {
    return this.addWeight(name, shape, 'float32', glorot(this.seed, seedOffset));
  }

  /** A float32 weight starting at zero (the biases). */
  protected zerosWeight(name: string, shape: number[]): tfl.LayerVariable {
    return this.addWeight(name, shape, 'float32', tfl.initializers.zeros());
  }

  /** Reads the channel count from the input shape and creates the weights. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const cls = this.getClassName();
    const c = channelsOf(inputShape, cls);
    if (this.givenChannels !== undefined && c !== this.givenChannels) {
      throw new Error(
        `${cls}: input must have ${this.givenChannels} channels (the 'channels' option); got ${c}`,
      );
    }
    this.channels = c;
    this.buildWeights(c);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** Applies the gate to `[batch, height, width, channels]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => this.attend(singleInput(inputs, this.channels, this.getClassName())));
  }

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  /** Every constructor option (`channels` first, when given), so `fromConfig` rebuilds the same layer. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { ...super.getConfig() };
    if (this.givenChannels !== undefined) cfg.channels = this.givenChannels;
    Object.assign(cfg, this.gateConfig());
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }
}
