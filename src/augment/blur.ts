/**
 * Gaussian smoothing as two 1-D depthwise convolutions with reflected borders, used by
 * {@link gaussianBlur} and by the elastic deformation's displacement fields.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type RangeLike,
  type Sample,
  type SeedLike,
  checkProb,
  finish,
  rngOf,
  selectPerImage,
  toRange,
  toSample,
} from './sample';

/** @internal Normalised 1-D Gaussian taps for `sigma`, radius ceil(3 sigma) (truncated at `maxRadius`). */
export function gaussianTaps(sigma: number, maxRadius = Infinity): number[] {
  const r = Math.max(1, Math.min(Math.ceil(3 * sigma), maxRadius));
  const taps: number[] = [];
  for (let i = -r; i <= r; i++) taps.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / sum);
}

/**
 * @internal Separable Gaussian blur of `[batch, height, width, channels]` with `border`
 * 'reflect' (mirror without repeating the edge) or 'zero'.
 */
export function separableGaussian(
  x: tf.Tensor4D,
  sigma: number,
  border: 'reflect' | 'zero' = 'reflect',
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w, c] = x.shape;
    const limit = Math.max(1, Math.min(h, w) - 1);
    const taps = gaussianTaps(sigma, border === 'reflect' ? limit : Infinity);
    const r = (taps.length - 1) / 2;
    const k = taps.length;
    const kv = tf.tile(tf.reshape(tf.tensor1d(taps), [k, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const kh = tf.reshape(kv, [1, k, c, 1]) as tf.Tensor4D;
    if (border === 'zero') {
      const v = tf.depthwiseConv2d(x, kv, 1, 'same');
      return tf.depthwiseConv2d(v, kh, 1, 'same');
    }
    const ry = Math.min(r, h - 1);
    const rx = Math.min(r, w - 1);
    // Taps beyond what a reflection can supply (tiny images) fall back to edge-clamped zeros.
    let padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [ry, ry],
        [rx, rx],
        [0, 0],
      ],
      'reflect',
    );
    if (ry < r || rx < r)
      padded = tf.pad(padded, [
        [0, 0],
        [r - ry, r - ry],
        [r - rx, r - rx],
        [0, 0],
      ]);
    const v = tf.depthwiseConv2d(padded, kv, 1, 'valid');
    return tf.depthwiseConv2d(v, kh, 1, 'valid');
  });
}

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions {
  /** Standard deviation in pixels, or a `[min, max]` range drawn once per call. Default `[0.1, 2]`. */
  sigma?: RangeLike;
  /** Probability that each image is blurred. Default 1. */
  prob?: number;
  /** Seed or generator. */
  seed?: SeedLike;
}

/**
 * Gaussian blur (source 001's "blurring"; torchvision `GaussianBlur`): separable kernel of
 * radius ceil(3 sigma), borders reflected. The mask of a {@link Sample} is left unchanged.
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 */
export function gaussianBlur(input: tf.Tensor4D, options?: GaussianBlurOptions): tf.Tensor4D;
export function gaussianBlur(input: Sample, options?: GaussianBlurOptions): Sample;
export function gaussianBlur(
  input: tf.Tensor4D | Sample,
  options: GaussianBlurOptions = {},
): tf.Tensor4D | Sample {
  const fn = 'gaussianBlur';
  const s = toSample(input, fn);
  const range =
    typeof options.sigma === 'number'
      ? toRange([options.sigma, options.sigma], 'sigma', fn, { lo: 0 })
      : toRange(options.sigma ?? [0.1, 2], 'sigma', fn, { lo: 0 });
  const { prob = 1 } = options;
  checkProb(prob, 'prob', fn);
  if (range[0] <= 0) throw new Error(`${fn}: 'sigma' must be > 0; got ${range[0]}`);
  const rng = rngOf(options.seed);
  const sigma = rng.uniform(range[0], range[1]);
  const apply = Array.from({ length: s.x.shape[0] }, () => rng.bernoulli(prob));
  const x = tf.tidy(() => selectPerImage(apply, separableGaussian(s.x, sigma), s.x));
  return finish(input, x);
}
