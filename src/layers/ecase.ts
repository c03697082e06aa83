/**
 * ECAsE, the thesis's "ECSA" attention block (DResUNet stage x5): spatial SE and ECA with
 * max- and average-pooled descriptors, applied concurrently like scSE.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf } from '../util/checks';
import { AttentionGate, type AttentionOptions } from './attention-base';
import { combineGated, ecaGate, spatialGate, type AttentionCombine, type EcaPooling } from './attention-ops';
import { checkEcaKernel, ECA_POOLINGS, ecaKernelSize } from './eca';
import { ATTENTION_COMBINES } from './scse';
import { checkPositive } from './layer-options';

/** Options of {@link ECAsE}. */
export interface ECAsEOptions extends AttentionOptions {
  /** Odd ECA kernel size; default {@link ecaKernelSize} of the input channels. */
  kernelSize?: number;
  /** `gamma` of the adaptive ECA kernel size. Default 2. */
  gamma?: number;
  /** `beta` of the adaptive ECA kernel size. Default 1. */
  beta?: number;
  /** ECA's spatial squeeze. Default `'avgmax'` (the thesis pools both ways). */
  pooling?: EcaPooling;
  /** Merge of the two gated copies: `'add'` (default) or `'max'`. */
  combine?: AttentionCombine;
  /** Bias in the sSE 1×1 convolution. Default `true`. */
  useBias?: boolean;
}

/**
 * ECAsE (Tianhao Xu's DResUNet thesis on COVID-CT classification, §3.1, fig. 3.2 "ECAsen"): `y = x ⊙ σ(w·x + b) + x ⊙
 * σ(conv1d_k(GAP(x)) + conv1d_k(GMP(x)))` — the spatial gate of sSE (Roy et al., MICCAI 2018)
 * and the channel gate of ECA (Wang et al., CVPR 2020) fed both average- and max-pooled
 * descriptors, combined as scSE combines cSE and sSE.
 *
 * Our reading of the thesis: it names the two parts (sSE; ECA on max- and average-pooled
 * features) but not how they merge, so we take scSE's sum of the two gated copies (with a
 * `'max'` option). The 2×2 stride-2 downsampling the thesis mentions alongside the block is
 * left to the model, so this layer keeps the input's shape.
 *
 * Input and output `[batch, height, width, channels]`. Weights: `sse_kernel [1,1,C,1]`,
 * `sse_bias [1]`, `eca_kernel [k,1,1]`.
 */
export class ECAsE extends AttentionGate {
  /** Name under which the class is registered for serialisation. */
  static className = 'ECAsE';
  /** The explicit ECA kernel size, or `undefined` for the adaptive one. */
  readonly kernelSize: number | undefined;
  /** `gamma` of the adaptive kernel size. */
  readonly gamma: number;
  /** `beta` of the adaptive kernel size. */
  readonly beta: number;
  /** ECA's spatial squeeze. */
  readonly pooling: EcaPooling;
  /** How the two gated copies merge. */
  readonly combine: AttentionCombine;
  /** Whether the sSE conv has a bias. */
  readonly useBias: boolean;
  private sseKernel: tfl.LayerVariable | null = null;
  private sseBias: tfl.LayerVariable | null = null;
  private ecaKernel: tfl.LayerVariable | null = null;

  /** @param opts See {@link ECAsEOptions}. */
  constructor(opts: ECAsEOptions = {}) {
    super(opts);
    this.kernelSize = opts.kernelSize ?? undefined;
    this.gamma = opts.gamma ?? 2;
    this.beta = opts.beta ?? 1;
    this.pooling = opts.pooling ?? 'avgmax';
    this.combine = opts.combine ?? 'add';
    this.useBias = opts.useBias ?? true;
    checkEcaKernel(this.kernelSize, 'ECAsE');
    checkPositive(this.gamma, 'gamma', 'ECAsE');
    checkOneOf(this.pooling, ECA_POOLINGS, 'pooling', 'ECAsE');
    checkOneOf(this.combine, ATTENTION_COMBINES, 'combine', 'ECAsE');
  }

  /** Creates the sSE and ECA weights. */
  protected override buildWeights(c: number): void {
    const k = this.kernelSize ?? ecaKernelSize(c, this.gamma, this.beta);
    this.sseKernel = this.kernelWeight('sse_kernel', [1, 1, c, 1], 0);
    if (this.useBias) this.sseBias = this.zerosWeight('sse_bias', [1]);
    this.ecaKernel = this.kernelWeight('eca_kernel', [k, 1, 1], 1);
  }

  /** The sSE-gated and ECA-gated copies of `x`, merged. */
  protected override attend(x: tf.Tensor4D): tf.Tensor {
    const ws = tf.reshape(this.sseKernel!.read(), [this.channels as number, 1]) as tf.Tensor2D;
    const sg = spatialGate(x, ws, this.sseBias ? (this.sseBias.read() as tf.Tensor1D) : null);
    const eg = ecaGate(x, this.ecaKernel!.read() as tf.Tensor3D, this.pooling);
    return combineGated(tf.mul(x, sg), tf.mul(x, eg), this.combine);
  }

  /** `gamma`, `beta`, `pooling`, `combine`, `useBias` and, when explicit, `kernelSize`. */
  protected override gateConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      gamma: this.gamma,
      beta: this.beta,
      pooling: this.pooling,
      combine: this.combine,
      useBias: this.useBias,
    };
    if (this.kernelSize !== undefined) cfg.kernelSize = this.kernelSize;
    return cfg;
  }
}

tf.serialization.registerClass(ECAsE);
