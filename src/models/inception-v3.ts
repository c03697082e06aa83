/**
 * Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer
 * Vision", CVPR 2016), as Keras applications builds it: 23,851,784 parameters at
 * 299x299x3 with the top (the count does not depend on the input size). Smallest input
 * 75x75. Layer names reproduce Keras' (`conv2d_5`, `batch_normalization_5`, `mixed0`...
 * `mixed10`, `avg_pool`, `predictions`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { applyLayer, type Sym } from '../blocks/conv-bn-act';
import {
  KerasNamer,
  inceptionA,
  inceptionC,
  inceptionConv,
  inceptionE,
  inceptionReductionA,
  inceptionReductionB,
} from '../blocks/inception';
import {
  type BackboneOptions,
  type Built,
  backboneHead,
  buildBackbone,
  resolveBackbone,
} from './backbone-options';

/** Options of {@link InceptionV3}; `inputShape` defaults to `[299, 299, 3]`. */
export type InceptionV3Options = BackboneOptions;

/** Smallest input side. */
export const INCEPTION_MIN_SIZE = 75;

/**
 * The Inception-v3 trunk up to `mixed10`, names prefixed by `prefix`.
 * Input `[batch, h, w, c]`, output `[batch, h', w', 2048]` (8x8 at 299).
 */
export function inceptionV3Trunk(x: Sym, prefix = ''): Sym {
  const n = new KerasNamer(prefix);
  const maxPool = (y: Sym): Sym =>
    applyLayer(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: n.next('max_pooling2d') }), y);
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
  const r = resolveBackbone('InceptionV3', options, INCEPTION_MIN_SIZE, [299, 299, 3]);
  return buildBackbone(options, () => {
    const input = tfl.input({ shape: r.inputShape, name: 'input' });
    const out = backboneHead(inceptionV3Trunk(input), r);
    return tfl.model({ inputs: input, outputs: out, name: r.name });
  });
}
