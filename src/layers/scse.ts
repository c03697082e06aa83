/**
 * Concurrent spatial and channel squeeze-and-excitation (scSE): the input gated by cSE and by
 * sSE, the two copies merged.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { AttentionGate, type AttentionOptions } from './attention-base';
import { channelGate, combineGated, spatialGate, type AttentionCombine } from './attention-ops';
import { checkPositive, hiddenChannels } from './layer-options';

/** The merge modes of the two-branch attention blocks. */
export const ATTENTION_COMBINES: readonly AttentionCombine[] = ['add', 'max'];

/** Options of {@link SCSE}. */
export interface SCSEOptions extends AttentionOptions {
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
export class SCSE extends AttentionGate {
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
  private hidden = 0;
  private w: Record<string, tfl.LayerVariable> = {};

  /** @param opts See {@link SCSEOptions}. */
  constructor(opts: SCSEOptions = {}) {
    super(opts);
    this.reduction = opts.reduction ?? 16;
    this.minChannels = opts.minChannels ?? 1;
    this.useBias = opts.useBias ?? true;
    this.combine = opts.combine ?? 'add';
    checkPositive(this.reduction, 'reduction', 'SCSE');
    checkPositiveInt(this.minChannels, 'minChannels', 'SCSE');
    checkOneOf(this.combine, ATTENTION_COMBINES, 'combine', 'SCSE');
  }

  /** Creates the cSE and sSE weights. */
  protected override buildWeights(c: number): void {
    const h = hiddenChannels(c, this.reduction, this.minChannels);
    this.hidden = h;
    this.w.k1 = this.kernelWeight('cse_squeeze_kernel', [1, 1, c, h], 0);
    if (this.useBias) this.w.b1 = this.zerosWeight('cse_squeeze_bias', [h]);
    this.w.k2 = this.kernelWeight('cse_excite_kernel', [1, 1, h, c], 1);
    if (this.useBias) this.w.b2 = this.zerosWeight('cse_excite_bias', [c]);
    this.w.ks = this.kernelWeight('sse_kernel', [1, 1, c, 1], 2);
    if (this.useBias) this.w.bs = this.zerosWeight('sse_bias', [1]);
  }

  /** The cSE-gated and sSE-gated copies of `x`, merged. */
  protected override attend(x: tf.Tensor4D): tf.Tensor {
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
  }

  /** `reduction`, `minChannels`, `useBias`, `combine`. */
  protected override gateConfig(): tf.serialization.ConfigDict {
    return {
      reduction: this.reduction,
      minChannels: this.minChannels,
      useBias: this.useBias,
      combine: this.combine,
    };
  }
}

tf.serialization.registerClass(SCSE);
