/**
 * Inception-ResNet-v2 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of
 * Residual Connections on Learning", AAAI 2017), as Keras applications builds it: 55,873,736
 * parameters at 299x299x3 with the top (54,336,736 without; the count does not depend on the
 * input size). Smallest input 75x75. Layer names are Keras' so keras.applications' `.h5`
 * files load by name: the auto-named `conv2d_N` / `batch_normalization_N` / `activation_N`
 * of a fresh session for the unnamed convolutions, and `mixed_5b`, `block35_1`...`block35_10`,
 * `mixed_6a`, `block17_1`...`block17_20`, `mixed_7a`, `block8_1`...`block8_10`, `conv_7b`,
 * `avg_pool`, `predictions`. The residual blocks' scaled sums (Keras' `Lambda`) are
 * {@link ScaledResidual} layers, so the model saves and loads.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Sym } from '../blocks/graph';
import { KerasNamer } from '../blocks/inception';
import type { KernelInit } from '../blocks/init';
import {
  inceptionResNetBlock,
  inceptionResNetStem,
  irConv,
  mixed5b,
  mixed6a,
  mixed7a,
} from '../blocks/inception-resnet';
import { buildWith, kerasTop } from './build';
import { INCEPTION_MIN_SIZE } from './inception-v3';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of {@link InceptionResNetV2}; `inputShape` defaults to `[299, 299, 3]`. */
export type InceptionResNetV2Options = BuilderOptions;

/**
 * The Inception-ResNet-v2 trunk up to `conv_7b_ac`, names prefixed by `prefix`.
 * Input `[batch, h, w, c]`, output `[batch, h', w', 1536]` (8x8 at 299).
 */
export function inceptionResNetV2Trunk(x: Sym, init: KernelInit, prefix = ''): Sym {
  const ctx = { namer: new KerasNamer(prefix), init };
  let y = mixed5b(inceptionResNetStem(x, ctx), ctx);
  for (let i = 1; i <= 10; i++) y = inceptionResNetBlock(y, ctx, 'block35', i, 0.17);
  y = mixed6a(y, ctx);
  for (let i = 1; i <= 20; i++) y = inceptionResNetBlock(y, ctx, 'block17', i, 0.1);
  y = mixed7a(y, ctx);
  for (let i = 1; i <= 9; i++) y = inceptionResNetBlock(y, ctx, 'block8', i, 0.2);
  y = inceptionResNetBlock(y, ctx, 'block8', 10, 1, null);
  return irConv(y, ctx, 1536, 1, { name: 'conv_7b' });
}

/**
 * Inception-ResNet-v2, Keras-exact: 55,873,736 parameters with the top. Input
 * `[batch, h, w, c]` with `h, w >= 75`; output `[batch, classes]`, or without the top the
 * `conv_7b_ac` map `[batch, h', w', 1536]` (8x8 at 299; pooled to `[batch, 1536]` with
 * `pooling`). Defaults: `inputShape` `[299, 299, 3]`, `classes` 1000, `name`
 * `'inception_resnet_v2'`.
 */
export function InceptionResNetV2<O extends InceptionResNetV2Options>(options: O = {} as O): Built<O> {
  const r = resolveOptions('InceptionResNetV2', options, {
    inputShape: [299, 299, 3],
    minSize: INCEPTION_MIN_SIZE,
    classes: 1000,
    name: 'inception_resnet_v2',
  });
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const out = kerasTop(inceptionResNetV2Trunk(input, init), r, init);
      return tfl.model({ inputs: input, outputs: out, name: r.name });
    },
    { fn: 'InceptionResNetV2', published: [{ builder: 'InceptionResNetV2', variant: 'keras' }] },
  );
}
