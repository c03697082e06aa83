/**
 * MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
 * CVPR 2018), as Keras applications builds it: 3,538,984 parameters at alpha 1.0, 224x224x3
 * with the top (2,257,984 without). Layer names are Keras' (`Conv1`, `bn_Conv1`,
 * `Conv1_relu`, `expanded_conv_depthwise`, `block_1_pad`, `block_1_expand`, ...,
 * `block_16_project_BN`, `Conv_1`, `Conv_1_bn`, `out_relu`, `predictions`), so
 * keras.applications' `.h5` files and Keras-exported TF.js models load by name.
 *
 * Keras details reproduced: ReLU6 as `ReLU(max_value=6)` layers; batch normalisation with
 * epsilon 1e-3 and momentum 0.999; a `ZeroPadding2D` of Keras' `correct_pad` ((0, 1), (0, 1)
 * on even sides) before every stride-2 depthwise convolution, which is then 'valid'; channel
 * widths `_make_divisible(int(filters * alpha), 8)`; the last convolution 1280 wide unless
 * `alpha > 1`. The stem is Keras 3's / TF 2's `Conv1` with padding 'same' (Keras 2.2 put a
 * `Conv1_pad` before a 'valid' conv; the two compute the same thing and have no weights).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import { invertedResidual, makeDivisible, mobileBn, relu6 } from '../blocks/inverted-residual';
import { buildWith, kerasTop } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of {@link MobileNetV2}; `inputShape` defaults to `[224, 224, 3]`. */
export interface MobileNetV2Options extends BuilderOptions {
  /**
   * Width multiplier: every layer's channels scaled by `alpha` (then rounded to a multiple of
   * 8). Keras publishes ImageNet weights for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4; any positive
   * value builds. Default 1.0.
   */
  alpha?: number;
}

/** Smallest input side (Keras' `obtain_input_shape` minimum for MobileNetV2). */
export const MOBILENET_MIN_SIZE = 32;

// (filters, stride, expansion) of Keras' 17 `_inverted_res_block` calls, block_id 0..16.
const BLOCKS: readonly [number, 1 | 2, number][] = [
  [16, 1, 1],
  [24, 2, 6],
  [24, 1, 6],
  [32, 2, 6],
  [32, 1, 6],
  [32, 1, 6],
  [64, 2, 6],
  [64, 1, 6],
  [64, 1, 6],
  [64, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [160, 2, 6],
  [160, 1, 6],
  [160, 1, 6],
  [320, 1, 6],
];

/**
 * The MobileNetV2 trunk up to `out_relu`, names prefixed by `prefix`. Input
 * `[batch, h, w, c]`, output `[batch, ceil(h / 32), ceil(w / 32), 1280]` (at `alpha <= 1`).
 */
export function mobileNetV2Trunk(x: Sym, alpha: number, init: KernelInit, prefix = ''): Sym {
  let y = apply(
    tfl.layers.conv2d({
      filters: makeDivisible(32 * alpha),
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      name: `${prefix}Conv1`,
      kernelInitializer: init.kernel(),
    }),
    x,
  );
  y = relu6(mobileBn(y, `${prefix}bn_Conv1`), `${prefix}Conv1_relu`);
  BLOCKS.forEach(([filters, stride, expansion], blockId) => {
    y = invertedResidual(y, {
      filters: makeDivisible(Math.trunc(filters * alpha)),
      stride,
      expansion,
      blockId,
      prefix,
      init,
    });
  });
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  y = apply(
    tfl.layers.conv2d({
      filters: last,
      kernelSize: 1,
      useBias: false,
      name: `${prefix}Conv_1`,
      kernelInitializer: init.kernel(),
    }),
    y,
  );
  return relu6(mobileBn(y, `${prefix}Conv_1_bn`), `${prefix}out_relu`);
}

/**
 * MobileNetV2, Keras-exact: 3,538,984 parameters at `alpha` 1.0, 224x224x3 with the top.
 * Input `[batch, h, w, c]` with `h, w >= 32`; output `[batch, classes]`, or without the top
 * the `out_relu` map `[batch, ceil(h / 32), ceil(w / 32), 1280]` (pooled to
 * `[batch, 1280]` with `pooling`). Defaults: `inputShape` `[224, 224, 3]`, `alpha` 1.0,
 * `classes` 1000, `name` `'mobilenetv2_1.00_224'`-style as Keras names it.
 */
export function MobileNetV2<O extends MobileNetV2Options>(options: O = {} as O): Built<O> {
  const { alpha = 1.0 } = options;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) {
    throw new Error(
      `MobileNetV2: 'alpha' must be a positive number (e.g. 0.35, 0.5, 0.75, 1.0, 1.3, 1.4); got ${alpha}`,
    );
  }
  const rows = options.inputShape?.[0] ?? 224;
  const r = resolveOptions('MobileNetV2', options, {
    inputShape: [224, 224, 3],
    minSize: MOBILENET_MIN_SIZE,
    classes: 1000,
    name: `mobilenetv2_${alpha.toFixed(2)}_${rows}`,
  });
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const out = kerasTop(mobileNetV2Trunk(input, alpha, init), r, init);
      return tfl.model({ inputs: input, outputs: out, name: r.name });
    },
    { fn: 'MobileNetV2', published: [{ builder: 'MobileNetV2', variant: 'keras', alpha }] },
  );
}
