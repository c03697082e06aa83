/**
 * Efficient channel attention (ECA): a channel gate without dimensionality reduction, a 1-D
 * convolution across the pooled channel descriptor.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { ecaGate, type EcaPooling } from './attention-ops';
import {
  baseArgs,
  channelsOf,
  checkPositive,
  glorot,
  singleInput,
  type CallKwargs,
  type LayerBaseOptions,
} from './layer-options';

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
export interface ECAOptions extends LayerBaseOptions {
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
  /** Seed of the kernel initialiser; unseeded when omitted. */
  seed?: number;
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
export class ECA extends tfl.layers.Layer {
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
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  private channels: number | null = null;
  private kernel: tfl.LayerVariable | null = null;

  /** @param opts See {@link ECAOptions}. */
  constructor(opts: ECAOptions = {}) {
    super(baseArgs(opts));
    this.kernelSize = opts.kernelSize ?? undefined;
    this.gamma = opts.gamma ?? 2;
    this.beta = opts.beta ?? 1;
    this.pooling = opts.pooling ?? 'avg';
    this.seed = opts.seed ?? undefined;
    checkEcaKernel(this.kernelSize, 'ECA');
    checkPositive(this.gamma, 'gamma', 'ECA');
    checkOneOf(this.pooling, ECA_POOLINGS, 'pooling', 'ECA');
    this.inputSpec = [{ ndim: 4 }];
  }

  /** The kernel size in use: the explicit one, or the adaptive one once built. */
  get effectiveKernelSize(): number | null {
    if (this.kernelSize !== undefined) return this.kernelSize;
    return this.channels === null ? null : ecaKernelSize(this.channels, this.gamma, this.beta);
  }

  /** Creates the 1-D kernel once the channel count is known. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(inputShape, 'ECA');
    this.channels = c;
    const k = this.effectiveKernelSize as number;
    this.kernel = this.addWeight('kernel', [k, 1, 1], 'float32', glorot(this.seed, 0));
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** Applies the ECA gate to `[batch, height, width, channels]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.channels, 'ECA');
      return tf.mul(x, ecaGate(x, this.kernel!.read() as tf.Tensor3D, this.pooling));
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
      gamma: this.gamma,
      beta: this.beta,
      pooling: this.pooling,
    };
    if (this.kernelSize !== undefined) cfg.kernelSize = this.kernelSize;
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }
}

tf.serialization.registerClass(ECA);
