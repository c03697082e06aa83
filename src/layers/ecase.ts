/**
 * ECAsE, the thesis's "ECSA" attention block (DResUNet stage x5): spatial SE and ECA with
 * max- and average-pooled descriptors, applied concurrently like scSE.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf } from '../util/checks';
import { combineGated, ecaGate, spatialGate, type AttentionCombine, type EcaPooling } from './attention-ops';
import { checkEcaKernel, ECA_POOLINGS, ecaKernelSize } from './eca';
import { ATTENTION_COMBINES } from './scse';
import {
  baseArgs,
  channelsOf,
  checkPositive,
  glorot,
  singleInput,
  type CallKwargs,
  type LayerBaseOptions,
} from './layer-options';

/** Options of {@link ECAsE}. */
export interface ECAsEOptions extends LayerBaseOptions {
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
  /** Seed of the kernel initialisers; unseeded when omitted. */
  seed?: number;
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
export class ECAsE extends tfl.layers.Layer {
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
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  private channels: number | null = null;
  private sseKernel: tfl.LayerVariable | null = null;
  private sseBias: tfl.LayerVariable | null = null;
  private ecaKernel: tfl.LayerVariable | null = null;

  /** @param opts See {@link ECAsEOptions}. */
  constructor(opts: ECAsEOptions = {}) {
    super(baseArgs(opts));
    this.kernelSize = opts.kernelSize ?? undefined;
    this.gamma = opts.gamma ?? 2;
    this.beta = opts.beta ?? 1;
    this.pooling = opts.pooling ?? 'avgmax';
    this.combine = opts.combine ?? 'add';
    this.useBias = opts.useBias ?? true;
    this.seed = opts.seed ?? undefined;
    checkEcaKernel(this.kernelSize, 'ECAsE');
    checkPositive(this.gamma, 'gamma', 'ECAsE');
    checkOneOf(this.pooling, ECA_POOLINGS, 'pooling', 'ECAsE');
    checkOneOf(this.combine, ATTENTION_COMBINES, 'combine', 'ECAsE');
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Creates the sSE and ECA weights once the channel count is known. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(inputShape, 'ECAsE');
    this.channels = c;
    const k = this.kernelSize ?? ecaKernelSize(c, this.gamma, this.beta);
    this.sseKernel = this.addWeight('sse_kernel', [1, 1, c, 1], 'float32', glorot(this.seed, 0));
    if (this.useBias) this.sseBias = this.addWeight('sse_bias', [1], 'float32', tfl.initializers.zeros());
    this.ecaKernel = this.addWeight('eca_kernel', [k, 1, 1], 'float32', glorot(this.seed, 1));
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** Applies ECAsE to `[batch, height, width, channels]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.channels, 'ECAsE');
      const ws = tf.reshape(this.sseKernel!.read(), [this.channels as number, 1]) as tf.Tensor2D;
      const sg = spatialGate(x, ws, this.sseBias ? (this.sseBias.read() as tf.Tensor1D) : null);
      const eg = ecaGate(x, this.ecaKernel!.read() as tf.Tensor3D, this.pooling);
      return combineGated(tf.mul(x, sg), tf.mul(x, eg), this.combine);
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
      combine: this.combine,
      useBias: this.useBias,
    };
    if (this.kernelSize !== undefined) cfg.kernelSize = this.kernelSize;
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }
}

tf.serialization.registerClass(ECAsE);
