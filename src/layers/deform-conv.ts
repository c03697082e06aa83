/**
 * `DeformConv2D`, a modulated deformable convolution layer (DCNv2) that learns its own offsets
 * and modulation mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { convOutSize, deformConv2d, toPair, type IntPair } from './deform-conv-op';
import {
  baseArgs,
  channelsOf,
  glorot,
  singleInput,
  type CallKwargs,
  type LayerBaseOptions,
} from './layer-options';

/** Padding of {@link DeformConv2D}: symmetric pixels, or `'same'` / `'valid'`. */
export type DeformPadding = IntPair | 'same' | 'valid';

/**
 * How {@link DeformConv2D} maps its mask logits `l` to the modulation `m`: `'sigmoid'`,
 * `m = σ(l)` in (0, 1) (DCNv2, Zhu et al. 2019, and torchvision / mmcv usage); `'2sigmoid'`,
 * `m = 2·σ(l)` in (0, 2), which makes the zero-initialised layer a plain convolution.
 */
export type DeformModulation = 'sigmoid' | '2sigmoid';

/** Options of {@link DeformConv2D}. */
export interface DeformConv2DOptions extends LayerBaseOptions {
  /** Output channels. */
  filters: number;
  /** Kernel size `[kh, kw]` or one number for both. */
  kernelSize: IntPair;
  /** Stride `[sh, sw]` or one number for both. Default 1. */
  strides?: IntPair;
  /**
   * Symmetric zero padding in pixels, `'valid'` (0, the default, as torchvision) or `'same'`
   * (`dilation·(k−1)/2` per side, which needs `dilation·(k−1)` even; the output is then
   * `ceil(H / stride)` like tfjs's `'same'`).
   */
  padding?: DeformPadding;
  /** Dilation `[dh, dw]` or one number for both. Default 1. */
  dilation?: IntPair;
  /** Offset groups G: input channels split into G groups, each with its own offsets. Default 1. */
  offsetGroups?: number;
  /** Learn a modulation mask (DCNv2) as well as offsets; `false` gives DCNv1. Default `true`. */
  modulated?: boolean;
  /**
   * The mask from its logits when `modulated`: `'sigmoid'` (default, DCNv2 and torchvision) or
   * `'2sigmoid'` (`2·σ`, the former default; a layer saved without this key loads with it).
   */
  modulation?: DeformModulation;
  /** Add a bias to the output. Default `true`. */
  useBias?: boolean;
  /** Seed of the main kernel's Glorot-uniform initialiser; unseeded when omitted. */
  seed?: number;
}

const CLS = 'DeformConv2D';

/**
 * Modulated deformable convolution (Zhu et al., "Deformable ConvNets v2: More Deformable,
 * Better Results", CVPR 2019; DCNv1: Dai et al., ICCV 2017).
 *
 * An internal convolution with the same kernel size, stride, padding and dilation predicts,
 * per output pixel, `2·G·kh·kw` offsets and (if `modulated`) `G·kh·kw` mask logits:
 * `[Δ | l] = conv(x, offset_kernel) + offset_bias`, `m = σ(l)` as in DCNv2 and torchvision's
 * usage (or `2·σ(l)` with `modulation: '2sigmoid'`), then `y = deformConv2d(x, Δ, m, kernel,
 * bias)` (see {@link deformConv2d}). The offset conv starts at zero, as DCNv2's does, so Δ = 0
 * and m = σ(0) = 0.5: at initialisation the layer is half a plain convolution, plus the bias
 * (with `'2sigmoid'`, m = 1 and it is exactly the plain convolution).
 *
 * Input `[batch, height, width, Cin]`, output `[batch, Ho, Wo, filters]`. Weights: `kernel
 * [kh,kw,Cin,filters]`, `bias [filters]`, `offset_kernel [kh,kw,Cin,3·G·kh·kw]` (`2·G·kh·kw`
 * when not modulated), `offset_bias`.
 */
export class DeformConv2D extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = CLS;
  /** Output channels. */
  readonly filters: number;
  /** `[kh, kw]`. */
  readonly kernelSize: [number, number];
  /** `[sh, sw]`. */
  readonly strides: [number, number];
  /** Padding as given. */
  readonly padding: DeformPadding;
  /** `[dh, dw]`. */
  readonly dilation: [number, number];
  /** Offset groups. */
  readonly offsetGroups: number;
  /** Whether a modulation mask is learnt. */
  readonly modulated: boolean;
  /** How the mask is computed from its logits. */
  readonly modulation: DeformModulation;
  /** Whether the output has a bias. */
  readonly useBias: boolean;
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  private readonly pad: [number, number];
  private channels: number | null = null;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;
  private offsetKernel: tfl.LayerVariable | null = null;
  private offsetBias: tfl.LayerVariable | null = null;

  /** @param opts See {@link DeformConv2DOptions}. */
  constructor(opts: DeformConv2DOptions) {
    super(baseArgs(opts));
    if (!opts || opts.filters === undefined) throw new Error(`${CLS}: 'filters' is required`);
    if (opts.kernelSize === undefined) throw new Error(`${CLS}: 'kernelSize' is required`);
    checkPositiveInt(opts.filters, 'filters', CLS);
    this.filters = opts.filters;
    this.kernelSize = toPair(opts.kernelSize, 'kernelSize', CLS, 1);
    this.strides = toPair(opts.strides ?? 1, 'strides', CLS, 1);
    this.dilation = toPair(opts.dilation ?? 1, 'dilation', CLS, 1);
    this.padding = opts.padding ?? 'valid';
    this.offsetGroups = opts.offsetGroups ?? 1;
    checkPositiveInt(this.offsetGroups, 'offsetGroups', CLS);
    this.modulated = opts.modulated ?? true;
    this.modulation = opts.modulation ?? 'sigmoid';
    checkOneOf(this.modulation, ['sigmoid', '2sigmoid'], 'modulation', CLS);
    this.useBias = opts.useBias ?? true;
    this.seed = opts.seed ?? undefined;
    this.pad = this.resolvePadding();
    this.inputSpec = [{ ndim: 4 }];
  }

  private resolvePadding(): [number, number] {
    const p = this.padding;
    if (p === 'valid') return [0, 0];
    if (p === 'same') {
      const span = this.kernelSize.map((k, i) => this.dilation[i] * (k - 1));
      if (span.some((s) => s % 2 !== 0)) {
        throw new Error(
          `${CLS}: 'padding' 'same' needs dilation*(kernelSize-1) even on both axes; got ${span}`,
        );
      }
      return [span[0] / 2, span[1] / 2];
    }
    return toPair(p, 'padding', CLS, 0);
  }

  private get pointsPerGroup(): number {
    return this.kernelSize[0] * this.kernelSize[1];
  }

  /** Creates the kernels once the input channel count is known. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const c = channelsOf(inputShape, CLS);
    if (c % this.offsetGroups !== 0) {
      throw new Error(`${CLS}: 'offsetGroups' (${this.offsetGroups}) must divide the ${c} input channels`);
    }
    this.channels = c;
    const [kh, kw] = this.kernelSize;
    const offCh = (this.modulated ? 3 : 2) * this.offsetGroups * this.pointsPerGroup;
    const zeros = tfl.initializers.zeros();
    this.kernel = this.addWeight('kernel', [kh, kw, c, this.filters], 'float32', glorot(this.seed, 0));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', zeros);
    this.offsetKernel = this.addWeight('offset_kernel', [kh, kw, c, offCh], 'float32', zeros);
    this.offsetBias = this.addWeight('offset_bias', [offCh], 'float32', zeros);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: c } }];
    this.built = true;
  }

  /** The offset/mask-logit convolution; tf.conv2d cannot combine stride and dilation > 1. */
  private offsetConv(x: tf.Tensor4D): tf.Tensor4D {
    const k = this.offsetKernel!.read() as tf.Tensor4D;
    const b = this.offsetBias!.read() as tf.Tensor1D;
    const [ph, pw] = this.pad;
    const stridesOne = this.strides[0] === 1 && this.strides[1] === 1;
    const dilationOne = this.dilation[0] === 1 && this.dilation[1] === 1;
    if (stridesOne || dilationOne) {
      const pads: [[number, number], [number, number], [number, number], [number, number]] = [
        [0, 0],
        [ph, ph],
        [pw, pw],
        [0, 0],
      ];
      return tf.add(tf.conv2d(x, k, this.strides, pads, 'NHWC', this.dilation), b);
    }
    const [n, h, w] = x.shape;
    const ho = convOutSize(h, this.kernelSize[0], this.strides[0], ph, this.dilation[0]);
    const wo = convOutSize(w, this.kernelSize[1], this.strides[1], pw, this.dilation[1]);
    const zero = tf.zeros([n, ho, wo, 2 * this.pointsPerGroup]) as tf.Tensor4D;
    return deformConv2d(x, zero, null, k, b, {
      strides: this.strides,
      padding: this.pad,
      dilation: this.dilation,
    });
  }

  /** Deformable convolution of `[batch, height, width, Cin]` to `[batch, Ho, Wo, filters]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.channels, CLS);
      const gk = this.offsetGroups * this.pointsPerGroup;
      const raw = this.offsetConv(x);
      const offset = tf.slice(raw, [0, 0, 0, 0], [-1, -1, -1, 2 * gk]) as tf.Tensor4D;
      let mask: tf.Tensor4D | null = null;
      if (this.modulated) {
        mask = tf.sigmoid(tf.slice(raw, [0, 0, 0, 2 * gk], [-1, -1, -1, gk]));
        if (this.modulation === '2sigmoid') mask = tf.mul(2, mask) as tf.Tensor4D;
      }
      return deformConv2d(
        x,
        offset,
        mask,
        this.kernel!.read() as tf.Tensor4D,
        this.bias ? (this.bias.read() as tf.Tensor1D) : null,
        {
          strides: this.strides,
          padding: this.pad,
          dilation: this.dilation,
          offsetGroups: this.offsetGroups,
        },
      );
    });
  }

  /** `[batch, Ho, Wo, filters]` with `Ho = floor((H + 2ph − dh(kh−1) − 1)/sh) + 1`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const size = (len: number | null, i: 0 | 1): number | null =>
      len == null
        ? null
        : convOutSize(len, this.kernelSize[i], this.strides[i], this.pad[i], this.dilation[i]);
    return [s[0], size(s[1], 0), size(s[2], 1), this.filters];
  }

  /** Every constructor option, so `fromConfig` rebuilds the same layer. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding:
        typeof this.padding === 'string' || typeof this.padding === 'number'
          ? this.padding
          : [...this.padding],
      dilation: [...this.dilation],
      offsetGroups: this.offsetGroups,
      modulated: this.modulated,
      modulation: this.modulation,
      useBias: this.useBias,
    };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }

  /**
   * Rebuilds a layer from {@link getConfig}'s output. A config without `modulation` was saved
   * before the option existed, when the mask was always `2·σ`: it loads as `'2sigmoid'` so the
   * saved model predicts what it predicted.
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls('modulation' in config ? config : { ...config, modulation: '2sigmoid' });
  }
}

tf.serialization.registerClass(DeformConv2D);
