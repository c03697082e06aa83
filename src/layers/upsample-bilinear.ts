/**
 * `UpsampleBilinear`: bilinear upsampling by an integer factor with aligned corners, the
 * `nn.Upsample(scale_factor, mode='bilinear', align_corners=True)` of the reference PyTorch UNet.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { toPair, type IntPair } from './deform-conv-op';
import { baseArgs, singleInput, type CallKwargs, type LayerBaseOptions } from './layer-options';

/** Options of {@link UpsampleBilinear}. */
export interface UpsampleBilinearOptions extends LayerBaseOptions {
  /** Integer factor `[fh, fw]` or one number for both. Default 2. */
  size?: IntPair;
}

const CLS = 'UpsampleBilinear';

/**
 * Bilinear upsampling with aligned corners: output pixel `i` of `H·f` samples the input at
 * `i·(H−1)/(H·f−1)`, so the corner pixels of input and output coincide (PyTorch's
 * `align_corners=True`, tfjs's `resizeBilinear(x, size, alignCorners = true)`).
 *
 * Why not `tfl.layers.upSampling2d({ interpolation: 'bilinear' })`: it samples at `i / f`
 * (TF1's legacy mapping, neither aligned corners nor half-pixel centres), which shifts the map
 * by up to a pixel against the PyTorch UNet and so prevents porting its weights. (tfjs's
 * `Resizing` layer aligns corners but mis-computes its output shape in a functional graph.)
 *
 * Input `[batch, height, width, channels]`, output `[batch, height·fh, width·fw, channels]`.
 * No weights.
 */
export class UpsampleBilinear extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = CLS;
  /** `[fh, fw]`. */
  readonly size: [number, number];

  /** @param opts See {@link UpsampleBilinearOptions}. */
  constructor(opts: UpsampleBilinearOptions = {}) {
    super(baseArgs(opts));
    this.size = toPair(opts.size ?? 2, 'size', CLS, 1);
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Resizes `[batch, height, width, channels]` by the factor. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, null, CLS);
      const [, h, w] = x.shape;
      return tf.image.resizeBilinear(x, [h * this.size[0], w * this.size[1]], true);
    });
  }

  /** `[b, h, w, c] -> [b, h·fh, w·fw, c]` (unknown sizes stay unknown). */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [s[0], s[1] == null ? null : s[1] * this.size[0], s[2] == null ? null : s[2] * this.size[1], s[3]];
  }

  /** Every constructor option, so `fromConfig` rebuilds the same layer. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: [...this.size] };
  }
}

tf.serialization.registerClass(UpsampleBilinear);
