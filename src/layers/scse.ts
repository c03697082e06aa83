/**
 * Concurrent spatial and channel squeeze-and-excitation (scSE): the input gated by cSE and by
 * sSE, the two copies merged.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { channelGate, combineGated, spatialGate, type AttentionCombine } from './attention-ops';
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

/** The merge modes of the two-branch attention blocks. */
export const ATTENTION_COMBINES: readonly AttentionCombine[] = ['add', 'max'];

/** Options of {@link SCSE}. */
export interface SCSEOptions extends LayerBaseOptions {
  /** cSE bottleneck ratio r: hidden width `max(minChannels, floor(C / r))`. Default 16. */
  reduction?: number;
  /** Lower bound of the cSE hidden width. Default 1. */
  minChannels?: number;
  /** Biases in all three 1×1 convolutions. Default `true`. */
  useBias?: boolean;
  /**
   * `'add'`: `x⊙cSE + x⊙sSE` (segmentation_models_pytorch, Roy et al.'s choice);
   * `'max'`: element-wise max of the two (Roy et al.'s max-out variant). Default `'add'`.
   */
  combine?: AttentionCombine;
  /** Seed of the kernel initialisers; unseeded when omitted. */
  seed?: number;
}

/**
 * scSE (Roy et al., "Concurrent Spatial and Channel 'Squeeze & Excitation' in Fully
 * Convolutional Networks", MICCAI 2018): `y = x ⊙ σ(W2·relu(W1·GAP(x)+b1)+b2) + x ⊙ σ(w·x + b)`
 * (or the element-wise max of the two terms), as segmentation_models_pytorch's `SCSEModule`.
 *
 * Input and output `[batch, height, width, channels]`. Weights: `cse_squeeze_kernel [1,1,C,Cr]`,
 * `cse_squeeze_bias [Cr]`, `cse_excite_kernel [1,1,Cr,C]`, `cse_excite_bias [C]`,
 * `sse_kernel [1,1,C,1]`, `sse_bias [1]`.
 */
export class SCSE extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = 'SCSE';
  /** cSE bottleneck ratio. */
  readonly reduction: number;
  /** Lower bound of the cSE hidden width. */
  readonly minChannels: number;
  /** Whether the 1×1 convs have biases. */
  readonly useBias: boolean;
  /** How the two gated copies merge. */
  readonly combine: AttentionCombine;
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  private channels: number | null = null;
  private hidden = 0;
  private w: Record<string, tfl.LayerVariable> = {};

  /** @param opts See {@link SCSEOptions}. */
  constructor(opts: SCSEOptions = {}) {
    super(baseArgs(opts));
    this.reduction = opts.reduction ?? 16;
    this.minChannels = opts.minChannels ?? 1;
    this.useBias = opts.useBias ?? true;
    this.combine = opts.combine ?? 'add';
    this.seed = opts.seed ?? undefined;
    checkPositive(this.reduction, 'reduction', 'SCSE');
    checkPositiveInt(this.minChannels, 'minChannels', 'SCSE');
    checkOneOf(this.combine, ATTENTION_COMBINES, 'combine', 'SCSE');
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Creates the cSE and sSE weights once the channel count is known. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(inputShape, 'SCSE');
    const h = hiddenChannels(c, this.reduction, this.minChannels);
    this.channels = c;
    this.hidden = h;
    const zeros = tfl.initializers.zeros();
    this.w.k1 = this.addWeight('cse_squeeze_kernel', [1, 1, c, h], 'float32', glorot(this.seed, 0));
    if (this.useBias) this.w.b1 = this.addWeight('cse_squeeze_bias', [h], 'float32', zeros);
    this.w.k2 = this.addWeight('cse_excite_kernel', [1, 1, h, c], 'float32', glorot(this.seed, 1));
    if (this.useBias) this.w.b2 = this.addWeight('cse_excite_bias', [c], 'float32', zeros);
    this.w.ks = this.addWeight('sse_kernel', [1, 1, c, 1], 'float32', glorot(this.seed, 2));
    if (this.useBias) this.w.bs = this.addWeight('sse_bias', [1], 'float32', zeros);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** Applies scSE to `[batch, height, width, channels]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.channels, 'SCSE');
      const c = this.channels as number;
      const h = this.hidden;
      const read = (k: string): tf.Tensor | null => (this.w[k] ? this.w[k].read() : null);
      const cg = channelGate(
        x,
        tf.reshape(read('k1')!, [c, h]) as tf.Tensor2D,
        read('b1') as tf.Tensor1D | null,
        tf.reshape(read('k2')!, [h, c]) as tf.Tensor2D,
        read('b2') as tf.Tensor1D | null,
      );
      const sg = spatialGate(
        x,
        tf.reshape(read('ks')!, [c, 1]) as tf.Tensor2D,
        read('bs') as tf.Tensor1D | null,
      );
      return combineGated(tf.mul(x, cg), tf.mul(x, sg), this.combine);
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
      combine: this.combine,
    };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }
}

tf.serialization.registerClass(SCSE);
