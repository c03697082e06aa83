/**
 * Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer
 * Vision", CVPR 2016), as Keras applications builds it: 23,851,784 parameters at
 * 299x299x3 with the top (the count does not depend on the input size). Smallest input
 * 75x75. Layer names reproduce Keras' (`conv2d_5`, `batch_normalization_5`, `mixed0`...
 * `mixed10`, `avg_pool`, `predictions`).
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
import { buildWith, kerasTop } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of {@link InceptionV3}; `inputShape` defaults to `[299, 299, 3]`. */
export type InceptionV3Options = BuilderOptions;

/** Smallest input side. */
export const INCEPTION_MIN_SIZE = 75;

/**
 * The Inception-v3 trunk up to `mixed10`, names prefixed by `prefix`.
 * Input `[batch, h, w, c]`, output `[batch, h', w', 2048]` (8x8 at 299).
 */
export function inceptionV3Trunk(x: Sym, init: KernelInit, prefix = ''): Sym {
  const namer = new KerasNamer(prefix);
  const n = { namer, init };
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

/** Inception-v3, Keras-exact: 23,851,784 parameters with the top. Input `[batch, h, w, c]`, `h, w >= 75`. */
export function InceptionV3<O extends InceptionV3Options>(options: O = {} as O): Built<O> {
  const r = resolveOptions('InceptionV3', options, {
    inputShape: [299, 299, 3],
    minSize: INCEPTION_MIN_SIZE,
    classes: 1000,
    name: 'inceptionv3',
  });
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const out = kerasTop(inceptionV3Trunk(input, init), r, init);
      return tfl.model({ inputs: input, outputs: out, name: r.name });
    },
    { fn: 'InceptionV3', published: [{ builder: 'InceptionV3', variant: 'keras' }] },
  );
}
