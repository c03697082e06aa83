/**
 * Random flips on NHWC batches: pixels (and an optional mask) are moved, never interpolated.
 * Source: the flip sets of the source documents; Keras `RandomFlip` modes.
 */
import { checkOneOf } from '../util/checks';
import { flipHost, fromHost, toHost } from './host';
import { type RandomOptions, checkProb, rngOf, transform, type Transform } from './sample';
import type * as tf from '@tensorflow/tfjs-core';

/** Which axes {@link flip} may flip. */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

/** Options of {@link flip}. `prob` defaults to 0.5 here. */
export interface FlipOptions extends RandomOptions {
  /** Axes to flip; with both, each axis is decided independently. Default `'horizontal'`. */
  mode?: FlipMode;
}

/**
 * Random horizontal and/or vertical flip, each image and axis flipped with probability
 * `prob` (default 0.5; source 002 uses 0.7). Exact: pixels are moved, never interpolated.
 * Takes images `[batch, height, width, channels]` or a {@link Sample} (mask flipped alike)
 * and returns a new tensor or sample of the same shape.
 */
export const flip: Transform<FlipOptions> = transform<FlipOptions>('flip', (s, options) => {
  const fn = 'flip';
  const { mode = 'horizontal', prob = 0.5, seed } = options;
  checkOneOf(mode, ['horizontal', 'vertical', 'horizontal_and_vertical'] as const, 'mode', fn);
  checkProb(prob, 'prob', fn);
  const rng = rngOf(seed);
  const n = s.x.shape[0];
  const draw = (): boolean[] => Array.from({ length: n }, () => rng.bernoulli(prob));
  const none = new Array<boolean>(n).fill(false);
  const horizontal = mode === 'vertical' ? none : draw();
  const vertical = mode === 'horizontal' ? none : draw();
  const move = (t: tf.Tensor4D): tf.Tensor4D => {
    const hb = toHost(t);
    return fromHost(flipHost(hb, horizontal, vertical), hb.n, hb.h, hb.w, hb.c);
  };
  return { x: move(s.x), mask: s.mask === undefined ? undefined : move(s.mask) };
});
