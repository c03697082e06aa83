/**
 * Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer
 * Vision", CVPR 2016), as Keras applications builds it: 23,851,784 parameters at
 * 299x299x3 with the top (the count does not depend on the input size). Smallest input
 * 75x75. Layer names reproduce Keras' (`conv2d_5`, `batch_normalization_5`, `mixed0`...
 * `mixed10`, `avg_pool`, `predictions`).
 *
 * `variant: 'torchvision'` is torchvision's `inception_v3` (`Inception3`), so its `.pth` files
 * load with `loadWeights` and give torchvision's logits: BN with a learned scale (eps 1e-3,
 * as Keras), the pooling branches' average counting the zero padding (`count_include_pad`),
 * and `transformInput` (torchvision's `transform_input`, on by default as for its ImageNet
 * weights) re-normalising ImageNet-standardised RGB to [-1, 1] in a `transform_input` layer.
 * The auxiliary classifier (`AuxLogits`, used only in training) is not built: its tensors in
 * a file are reported as unexpected.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import {
  KerasNamer,
  inceptionA,
  inceptionC,
  inceptionConv,
  inceptionE,
  inceptionReductionA,
  inceptionReductionB,
} from '../blocks/inception';
import { ChannelAffine } from '../layers/channel-affine';
import { checkOneOf } from '../util/checks';
import { buildWith, kerasTop } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of {@link InceptionV3}; `inputShape` defaults to `[299, 299, 3]`. */
export interface InceptionV3Options extends BuilderOptions {
  /** `'keras'` (default, keras.applications) or `'torchvision'` (torchvision's `inception_v3`); see the module description. */
  variant?: 'keras' | 'torchvision';
  /**
   * torchvision's `transform_input`: map ImageNet-standardised RGB (`(x - mean) / std`) to the
   * [-1, 1] range, `x * std / 0.5 + (mean - 0.5) / 0.5` per channel. Only with `variant:
   * 'torchvision'` and 3 channels. Default `true` there (as torchvision sets it for its
   * ImageNet weights), else `false`.
   */
  transformInput?: boolean;
}

// torchvision's ImageNet mean and std, for transform_input.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Smallest input side. */
export const INCEPTION_MIN_SIZE = 75;

/**
 * The Inception-v3 trunk up to `mixed10`, names prefixed by `prefix`; `torch` builds
 * torchvision's modules.
 * Input `[batch, h, w, c]`, output `[batch, h', w', 2048]` (8x8 at 299).
 */
export function inceptionV3Trunk(x: Sym, init: KernelInit, prefix = '', torch = false): Sym {
  const namer = new KerasNamer(prefix);
  const n = { namer, init, torch };
  const maxPool = (y: Sym): Sym =>
    apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: namer.next('max_pooling2d') }), y);
  let y = inceptionConv(x, n, 32, 3, 3, { strides: 2, padding: 'valid' });
  y = inceptionConv(y, n, 32, 3, 3, { padding: 'valid' });
  y = inceptionConv(y, n, 64, 3, 3);
  y = maxPool(y);
  y = inceptionConv(y, n, 80, 1, 1, { padding: 'valid' });
  y = inceptionConv(y, n, 192, 3, 3, { padding: 'valid' });
  y = maxPool(y);
  y = inceptionA(y, n, 32, 'mixed0');
  y = inceptionA(y, n, 64, 'mixed1');
  y = inceptionA(y, n, 64, 'mixed2');
  y = inceptionReductionA(y, n, 'mixed3');
  y = inceptionC(y, n, 128, 'mixed4');
  y = inceptionC(y, n, 160, 'mixed5');
  y = inceptionC(y, n, 160, 'mixed6');
  y = inceptionC(y, n, 192, 'mixed7');
  y = inceptionReductionB(y, n, 'mixed8');
  y = inceptionE(y, n, 0);
  return inceptionE(y, n, 1);
}

/**
 * Inception-v3, Keras-exact: 23,851,784 parameters with the top (torchvision variant
 * 23,861,960: its BN scales). Input `[batch, h, w, c]`, `h, w >= 75`; output
 * `[batch, classes]`, or without the top the `mixed10` map `[batch, h', w', 2048]`.
 * Defaults: `inputShape` `[299, 299, 3]`, `classes` 1000, `variant` `'keras'`, `name`
 * `'inceptionv3'`.
 */
export function InceptionV3<O extends InceptionV3Options>(options: O = {} as O): Built<O> {
  const fn = 'InceptionV3';
  const r = resolveOptions(fn, options, {
    inputShape: [299, 299, 3],
    minSize: INCEPTION_MIN_SIZE,
    classes: 1000,
    name: 'inceptionv3',
  });
  const { variant = 'keras' } = options;
  checkOneOf(variant, ['keras', 'torchvision'], 'variant', fn);
  const torch = variant === 'torchvision';
  const transform = options.transformInput ?? (torch && r.inputShape[2] === 3);
  if (typeof transform !== 'boolean') {
    throw new Error(`${fn}: 'transformInput' must be true or false; got ${JSON.stringify(transform)}`);
  }
  if (transform && (!torch || r.inputShape[2] !== 3)) {
    throw new Error(
      `${fn}: 'transformInput' needs variant 'torchvision' and 3 RGB channels; got variant '${variant}', inputShape [${r.inputShape.join(', ')}]`,
    );
  }
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const x = transform
        ? apply(
            new ChannelAffine({
              scale: STD.map((s) => s / 0.5),
              offset: MEAN.map((m) => (m - 0.5) / 0.5),
              name: 'transform_input',
            }),
            input,
          )
        : input;
      const out = kerasTop(inceptionV3Trunk(x, init, '', torch), r, init);
      return tfl.model({ inputs: input, outputs: out, name: r.name });
    },
    { fn, published: [{ builder: 'InceptionV3', variant }] },
  );
}
