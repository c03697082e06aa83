/**
 * Efficient channel attention (ECA): a channel gate without dimensionality reduction, a 1-D
 * convolution across the pooled channel descriptor.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { AttentionGate, type AttentionOptions } from './attention-base';
import { ecaGate, type EcaPooling } from './attention-ops';
import { checkPositive } from './layer-options';

/** The pooling modes ECA accepts. */
export const ECA_POOLINGS: readonly EcaPooling[] = ['avg', 'max', 'avgmax'];

/**
 * ECA's adaptive kernel size (Wang et al. 2020, eq. 12): `t = int(|log2(C) + beta| / gamma)`,
 * `k = t` if odd else `t + 1`, and at least 3 (timm's rule). E.g. C = 64 → 3, C = 256 → 5.
 */
export function ecaKernelSize(channels: number, gamma = 2, beta = 1): number {
  checkPositiveInt(channels, 'channels', 'ecaKernelSize');
  const t = Math.trunc(Math.abs(Math.log2(channels) + beta) / gamma);
  return Math.max(t % 2 === 1 ? t : t + 1, 3);
}

/** Options of {@link ECA}. */
export interface ECAOptions extends AttentionOptions {
  /** Odd 1-D kernel size across channels; default {@link ecaKernelSize} of the input channels. */
  kernelSize?: number;
  /** `gamma` of the adaptive kernel size. Default 2. */
  gamma?: number;
  /** `beta` of the adaptive kernel size. Default 1. */
  beta?: number;
  /**
   * Spatial squeeze: `'avg'` (the paper), `'max'`, or `'avgmax'` — both descriptors through the
   * same conv, summed before the sigmoid (the thesis feeds both max- and average-pooled
   * descriptors, §2.3.4). Default `'avg'`.
   */
  pooling?: EcaPooling;
}

/** Validates an explicit ECA kernel size: a positive odd integer. */
export function checkEcaKernel(k: number | undefined, cls: string): void {
  if (k === undefined) return;
  if (!Number.isInteger(k) || k <= 0 || k % 2 === 0) {
    throw new Error(`${cls}: 'kernelSize' must be a positive odd integer; got ${k}`);
  }
}

/**
 * Efficient channel attention (Wang et al., "ECA-Net: Efficient Channel Attention for Deep
 * Convolutional Neural Networks", CVPR 2020): `y = x ⊙ σ(conv1d_k(GAP(x)))`, the 1-D conv
 * running across the C channels with zero padding (k-1)/2 and no bias; with `pooling:
 * 'avgmax'`, `y = x ⊙ σ(conv1d_k(GAP(x)) + conv1d_k(GMP(x)))`.
 *
 * Input and output `[batch, height, width, channels]`. Weight: `kernel [k, 1, 1]` (a Conv1D
 * kernel; torch's `Conv1d(1, 1, k).weight [1, 1, k]` transposed).
 */
export class ECA extends AttentionGate {
  /** Name under which the class is registered for serialisation. */
  static className = 'ECA';
  /** The explicit kernel size, or `undefined` for the adaptive one. */
  readonly kernelSize: number | undefined;
  /** `gamma` of the adaptive kernel size. */
  readonly gamma: number;
  /** `beta` of the adaptive kernel size. */
  readonly beta: number;
  /** Spatial squeeze mode. */
  readonly pooling: EcaPooling;
  private kernel: tfl.LayerVariable | null = null;

  /** @param opts See {@link ECAOptions}. */
  constructor(opts: ECAOptions = {}) {
    super(opts);
    this.kernelSize = opts.kernelSize ?? undefined;
    this.gamma = opts.gamma ?? 2;
    this.beta = opts.beta ?? 1;
    this.pooling = opts.pooling ?? 'avg';
    checkEcaKernel(this.kernelSize, 'ECA');
    checkPositive(this.gamma, 'gamma', 'ECA');
    checkOneOf(this.pooling, ECA_POOLINGS, 'pooling', 'ECA');
  }

  /** The kernel size in use: the explicit one, or the adaptive one once the channels are known. */
  get effectiveKernelSize(): number | null {
    if (this.kernelSize !== undefined) return this.kernelSize;
    return this.channels === null ? null : ecaKernelSize(this.channels, this.gamma, this.beta);
  }

  /** Creates the 1-D kernel `[k, 1, 1]`. */
  protected override buildWeights(channels: number): void {
    const k = this.kernelSize ?? ecaKernelSize(channels, this.gamma, this.beta);
    this.kernel = this.kernelWeight('kernel', [k, 1, 1], 0);
  }

  /** `x ⊙ σ(conv1d_k(pool(x)))`. */
  protected override attend(x: tf.Tensor4D): tf.Tensor {
    return tf.mul(x, ecaGate(x, this.kernel!.read() as tf.Tensor3D, this.pooling));
  }

  /** `gamma`, `beta`, `pooling` and, when explicit, `kernelSize`. */
  protected override gateConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { gamma: this.gamma, beta: this.beta, pooling: this.pooling };
    if (this.kernelSize !== undefined) cfg.kernelSize = this.kernelSize;
    return cfg;
  }
}

tf.serialization.registerClass(ECA);
