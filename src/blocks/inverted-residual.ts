/**
 * MobileNetV2's inverted residual block (Sandler et al., "MobileNetV2: Inverted Residuals
 * and Linear Bottlenecks", CVPR 2018), as Keras applications' `_inverted_res_block` builds
 * it: 1x1 expansion -> ReLU6 -> 3x3 depthwise -> ReLU6 -> linear 1x1 projection, each
 * convolution without bias and followed by batch normalisation (epsilon 1e-3, momentum
 * 0.999), with an identity shortcut when the shape is kept.
 *
 * ```
 * x -> [block_N_expand -> _BN -> _relu] -> [block_N_pad] -> block_N_depthwise -> _BN -> _relu
 *   -> block_N_project -> _BN -> (+ x when stride 1 and channels kept: block_N_add)
 * ```
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply, hwc } from './graph';
import type { KernelInit } from './init';

/**
 * Keras' `_make_divisible` (from the TF-slim MobileNet code): `v` rounded to the nearest
 * multiple of `divisor`, at least `divisor`, and never more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** Keras MobileNetV2's batch normalisation: epsilon 1e-3, momentum 0.999. */
export function mobileBn(x: Sym, name: string): Sym {
  return apply(tfl.layers.batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name }), x);
}

/** Keras' `layers.ReLU(6.)`: `min(max(x, 0), 6)`. */
export function relu6(x: Sym, name: string): Sym {
  return apply(tfl.layers.reLU({ maxValue: 6, name }), x);
}

/** A 1x1 convolution without bias (MobileNetV2's expansions and projections). */
export function pointwise(x: Sym, filters: number, name: string, init?: KernelInit): Sym {
  return apply(
    tfl.layers.conv2d({
      filters,
      kernelSize: 1,
      padding: 'same',
      useBias: false,
      name,
      kernelInitializer: init?.kernel(),
    }),
    x,
  );
}

/**
 * Keras' `correct_pad` for a 3x3 kernel: ((0, 1), (0, 1)) on an even side, ((1, 1), (1, 1))
 * on an odd one, so a following 'valid' stride-2 convolution sees TensorFlow's 'same' grid.
 */
export function correctPad(x: Sym, name: string): Sym {
  const [h, w] = hwc(x);
  return apply(
    tfl.layers.zeroPadding2d({
      padding: [
        [h % 2, 1],
        [w % 2, 1],
      ],
      name,
    }),
    x,
  );
}

/** Options of {@link invertedResidual}. */
export interface InvertedResidualOptions {
  /** Output channels (already rounded by the caller). */
  filters: number;
  /** Depthwise stride, 1 or 2. */
  stride: 1 | 2;
  /** Expansion factor of the 1x1 expansion; Keras' block 0 has none (`expansion` 1, no expand layer). */
  expansion: number;
  /** Keras' `block_id`: 0 names the layers `expanded_conv_*` and skips the expansion. */
  blockId: number;
  /** Prepended to every layer name. Default `''`. */
  prefix?: string;
  /** The build's kernel initialisation; omit for the layers' defaults. */
  init?: KernelInit;
}

/**
 * One inverted residual block. Input `[batch, h, w, c]`, output
 * `[batch, ceil(h / stride), ceil(w / stride), filters]`.
 */
export function invertedResidual(x: Sym, o: InvertedResidualOptions): Sym {
  const [, , inChannels] = hwc(x);
  const p = `${o.prefix ?? ''}${o.blockId === 0 ? 'expanded_conv_' : `block_${o.blockId}_`}`;
  let y = x;
  if (o.blockId !== 0) {
    y = pointwise(y, o.expansion * inChannels, `${p}expand`, o.init);
    y = relu6(mobileBn(y, `${p}expand_BN`), `${p}expand_relu`);
  }
  if (o.stride === 2) y = correctPad(y, `${p}pad`);
  y = apply(
    tfl.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: o.stride,
      padding: o.stride === 1 ? 'same' : 'valid',
      useBias: false,
      name: `${p}depthwise`,
      depthwiseInitializer: o.init?.kernel(),
    }),
    y,
  );
  y = relu6(mobileBn(y, `${p}depthwise_BN`), `${p}depthwise_relu`);
  y = mobileBn(pointwise(y, o.filters, `${p}project`, o.init), `${p}project_BN`);
  if (inChannels === o.filters && o.stride === 1) {
    return apply(tfl.layers.add({ name: `${p}add` }), [x, y]);
  }
  return y;
}
