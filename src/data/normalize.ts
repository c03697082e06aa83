import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkPositiveInt, checkRange, checkRank } from '../util/checks';

/** Options of {@link hounsfieldWindow}. */
export interface HounsfieldWindowOptions {
  /** Window centre (level) in HU. Default -600 (lung window). */
  center?: number;
  /** Window width in HU. Default 1500 (lung window). */
  width?: number;
  /** Output range: 'unit' = [0, 1], 'symmetric' = [-1, 1]. Default 'unit'. */
  range?: 'unit' | 'symmetric';
}

/**
 * Map CT values to a display window as radiologists read them: values below
 * `center - width/2` clip to the low end, above `center + width/2` to the high end, linear
 * in between. Common windows: lung (-600, 1500), mediastinum (40, 400), bone (400, 1800).
 * @param x any shape, in HU.
 * @returns a float32 tensor of the same shape in [0, 1] or [-1, 1].
 */
export function hounsfieldWindow<T extends tf.Tensor>(x: T, options: HounsfieldWindowOptions = {}): T {
  const { center = -600, width = 1500, range = 'unit' } = options;
  checkRange(center, 'center', 'hounsfieldWindow');
  checkRange(width, 'width', 'hounsfieldWindow', { lo: 0, loOpen: true });
  checkOneOf(range, ['unit', 'symmetric'], 'range', 'hounsfieldWindow');
  return tf.tidy(() => {
    const unit = tf.clipByValue(tf.div(tf.sub(tf.cast(x, 'float32'), center - width / 2), width), 0, 1);
    return (range === 'unit' ? unit : tf.sub(tf.mul(unit, 2), 1)) as T;
  });
}

/**
 * Linearly rescale from `[inMin, inMax]` to `[outMin, outMax]` (no clipping), e.g. 8-bit
 * pixels to [-1, 1] as document 000 does (x / 127.5 - 1): `rescale(x, [0, 255], [-1, 1])`.
 */
export function rescale<T extends tf.Tensor>(x: T, from: [number, number], to: [number, number]): T {
  if (!(from[1] !== from[0])) throw new Error(`rescale: 'from' must be a [min, max] pair with min != max; got [${from}]`);
  return tf.tidy(() => {
    const scale = (to[1] - to[0]) / (from[1] - from[0]);
    return tf.add(tf.mul(tf.sub(tf.cast(x, 'float32'), from[0]), scale), to[0]) as T;
  });
}

/** Per-channel statistics for {@link standardize}. */
export interface ChannelStats {
  /** Mean per channel (or one number for all). */
  mean: number | number[];
  /** Standard deviation per channel (or one number for all). */
  std: number | number[];
}

/**
 * Subtract the mean and divide by the standard deviation per channel (the last axis), as
 * document 002 normalises with its dataset's own statistics (see {@link channelStats}).
 * @param x `[..., channels]`.
 */
export function standardize<T extends tf.Tensor>(x: T, stats: ChannelStats): T {
  const stds = Array.isArray(stats.std) ? stats.std : [stats.std];
  if (stds.some((s) => !(s > 0))) throw new Error(`standardize: 'std' must be > 0; got ${JSON.stringify(stats.std)}`);
  return tf.tidy(() => {
    const m = tf.tensor1d(Array.isArray(stats.mean) ? stats.mean : [stats.mean]);
    const s = tf.tensor1d(stds);
    return tf.div(tf.sub(tf.cast(x, 'float32'), m), s) as T;
  });
}

/** Mean and standard deviation of each channel (last axis) over everything else. */
export function channelStats(x: tf.Tensor): {
  /** Mean per channel. */
  mean: number[];
  /** Population standard deviation per channel. */
  std: number[];
} {
  const [mean, variance] = tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const mv = tf.moments(tf.cast(x, 'float32'), axes);
    return [mv.mean, mv.variance];
  });
  const out = { mean: Array.from(mean.dataSync()), std: Array.from(variance.dataSync()).map(Math.sqrt) };
  tf.dispose([mean, variance]);
  return out;
}

/**
 * Resize a batch of images (bilinear by default, half-pixel centres as PyTorch's
 * `align_corners=False`; 'nearest' for masks).
 * @param x `[batch, height, width, channels]`.
 * @returns `[batch, size[0], size[1], channels]` float32.
 */
export function resizeImages(
  x: tf.Tensor4D,
  size: [number, number],
  method: 'bilinear' | 'nearest' = 'bilinear',
): tf.Tensor4D {
  checkRank(x, 4, 'x', 'resizeImages');
  checkPositiveInt(size[0], 'size[0]', 'resizeImages');
  checkPositiveInt(size[1], 'size[1]', 'resizeImages');
  checkOneOf(method, ['bilinear', 'nearest'], 'method', 'resizeImages');
  return tf.tidy(() => {
    const f = tf.cast(x, 'float32') as tf.Tensor4D;
    return method === 'bilinear'
      ? tf.image.resizeBilinear(f, size, false, true)
      : tf.image.resizeNearestNeighbor(f, size, false, true);
  });
}
