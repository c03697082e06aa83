/**
 * Elastic deformation (Simard, Steinkraus & Platt 2003, "Best practices for convolutional
 * neural networks applied to visual document analysis"), the staple augmentation of medical
 * segmentation: a random displacement field, uniform in [-1, 1] per pixel, smoothed by a
 * Gaussian of `sigma` pixels and scaled by `alpha`, moves every pixel of the image and mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import { separableGaussian } from './blur';
import { type Sample, type SeedLike, checkProb, finish, rngOf, toSample } from './sample';
import type { Interpolation } from './warp';

/** Options of {@link elasticDeform}. */
export interface ElasticOptions {
  /** Scale of the smoothed displacement field, in pixels. Default 34 (Simard et al.). */
  alpha?: number;
  /** Gaussian smoothing of the field, in pixels. Default 4 (Simard et al.). */
  sigma?: number;
  /** Probability that each image is deformed. Default 1. */
  prob?: number;
  /** Image interpolation (masks use nearest). Default `'bilinear'`. */
  interpolation?: Interpolation;
  /** Seed or generator. */
  seed?: SeedLike;
}

/**
 * Random elastic deformation; points pushed outside the image read the nearest edge pixel.
 * @param input images `[batch, height, width, channels]` or a {@link Sample} (mask deformed
 *   by the same field, nearest neighbour).
 * @returns a new tensor or sample of the same shape.
 */
export function elasticDeform(input: tf.Tensor4D, options?: ElasticOptions): tf.Tensor4D;
export function elasticDeform(input: Sample, options?: ElasticOptions): Sample;
export function elasticDeform(
  input: tf.Tensor4D | Sample,
  options: ElasticOptions = {},
): tf.Tensor4D | Sample {
  const fn = 'elasticDeform';
  const s = toSample(input, fn);
  const { alpha = 34, sigma = 4, prob = 1, interpolation = 'bilinear' } = options;
  if (!(Number.isFinite(alpha) && alpha >= 0))
    throw new Error(`${fn}: 'alpha' must be a finite number >= 0; got ${alpha}`);
  if (!(Number.isFinite(sigma) && sigma > 0))
    throw new Error(`${fn}: 'sigma' must be a finite number > 0; got ${sigma}`);
  checkProb(prob, 'prob', fn);
  checkOneOf(interpolation, ['bilinear', 'nearest'] as const, 'interpolation', fn);
  const rng = rngOf(options.seed);
  const [n, h, w] = s.x.shape;
  const apply = Array.from({ length: n }, () => (rng.bernoulli(prob) ? 1 : 0));
  const fieldSeed = rng.seed();
  const out = tf.tidy(() => {
    const noise = tf.randomUniform([n, h, w, 2], -1, 1, 'float32', fieldSeed) as tf.Tensor4D;
    const gate = tf.reshape(tf.tensor1d(apply), [n, 1, 1, 1]);
    const field = tf.mul(tf.mul(separableGaussian(noise, sigma, 'zero'), alpha), gate);
    const [dy, dx] = tf.split(field, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    const gy = tf.add(tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1, 1]), dy);
    const gx = tf.add(tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w, 1]), dx);
    const x = sampleAt(s.x, gy as tf.Tensor4D, gx as tf.Tensor4D, interpolation);
    const mask =
      s.mask === undefined ? undefined : sampleAt(s.mask, gy as tf.Tensor4D, gx as tf.Tensor4D, 'nearest');
    return { x, mask };
  });
  return finish(input, out.x, out.mask);
}

/**
 * @internal Read `t` `[b, h, w, c]` at per-pixel source coordinates `gy`, `gx` `[b, h, w, 1]`
 * (edge-clamped), with gathers, so it runs on every backend.
 */
export function sampleAt(
  t: tf.Tensor4D,
  gy: tf.Tensor4D,
  gx: tf.Tensor4D,
  interpolation: Interpolation,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = t.shape;
    if (b * h * w >= 2 ** 24)
      throw new Error(`elasticDeform: batch too large (${b * h * w} pixels); split it below 2^24 pixels`);
    const flat = tf.reshape(t, [b * h * w, c]);
    // Index arithmetic in float32 (exact below 2^24 pixels per batch), cast once for gather.
    const base = tf.reshape(tf.mul(tf.range(0, b, 1, 'float32'), h * w), [b, 1, 1, 1]);
    const at = (yi: tf.Tensor, xi: tf.Tensor): tf.Tensor => {
      const idx = tf.cast(tf.add(tf.add(tf.mul(yi, w), xi), base), 'int32');
      return tf.reshape(tf.gather(flat, tf.reshape(idx, [-1])), [b, h, w, c]);
    };
    const cy = tf.clipByValue(gy, 0, h - 1);
    const cx = tf.clipByValue(gx, 0, w - 1);
    if (interpolation === 'nearest') return at(tf.round(cy), tf.round(cx)) as tf.Tensor4D;
    const y0 = tf.floor(cy);
    const x0 = tf.floor(cx);
    const fy = tf.sub(cy, y0);
    const fx = tf.sub(cx, x0);
    const y1 = tf.minimum(tf.add(y0, 1), h - 1);
    const x1 = tf.minimum(tf.add(x0, 1), w - 1);
    const p00 = at(y0, x0);
    const p10 = at(y1, x0);
    const top = tf.add(p00, tf.mul(tf.sub(at(y0, x1), p00), fx));
    const bottom = tf.add(p10, tf.mul(tf.sub(at(y1, x1), p10), fx));
    return tf.add(top, tf.mul(tf.sub(bottom, top), fy)) as tf.Tensor4D;
  });
}
