/**
 * Pixel-value augmentations (brightness, contrast, gamma, multiply, noise, grayscale, RGB
 * shift) on NHWC batches: parameters drawn per image from a seeded generator; masks of a
 * {@link Sample} pass through untouched. Sources: 001 (noise, contrast / brightness 0.2),
 * 002 (colour jitter), 003 (imgaug / albumentations set: contrast, shiftRGB, grayscale,
 * multiply, brightness); Keras `RandomBrightness` / `RandomContrast` semantics.
 */
import type { Rng } from '../util/random';
import {
  type Moved,
  type RandomOptions,
  type RangeLike,
  type Sample,
  checkProb,
  rngOf,
  toRange,
  transform,
  type Transform,
} from './sample';
import { type HostBatch, channelMeans, fromHost, keepUnselected, linearPerImage, toHost } from './host';

/** Options shared by the intensity transforms. */
export interface IntensityOptions extends RandomOptions {
  /** The images' value range `[lo, hi]`; outputs are clipped to it. Default `[0, 1]`. */
  valueRange?: [number, number];
}

/** @internal Validate the shared options. */
export function intensityCommon(
  o: IntensityOptions,
  fn: string,
): { rng: Rng; prob: number; lo: number; hi: number } {
  const { prob = 1, valueRange = [0, 1] } = o;
  checkProb(prob, 'prob', fn);
  if (!Array.isArray(valueRange) || valueRange.length !== 2 || !(valueRange[1] > valueRange[0])) {
    throw new Error(`${fn}: 'valueRange' must be [lo, hi] with lo < hi; got ${JSON.stringify(valueRange)}`);
  }
  return { rng: rngOf(o.seed), prob, lo: valueRange[0], hi: valueRange[1] };
}

/**
 * @internal Run the host kernel `f` on the batch; `apply[i]` says whether image i is changed
 * (drawn with `prob` before any parameter), and `f` must copy the others unchanged.
 */
export function gated(
  s: Sample,
  prob: number,
  rng: Rng,
  f: (src: HostBatch, apply: boolean[]) => Float32Array,
): Moved {
  const apply = Array.from({ length: s.x.shape[0] }, () => rng.bernoulli(prob));
  const src = toHost(s.x);
  return { x: fromHost(f(src, apply), src.n, src.h, src.w, src.c) };
}

/** @internal `n * c` copies of per-image values (one per image) or of per-image-channel values. */
export function spread(values: number[], n: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  const perChannel = values.length === n * c;
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++) out[i * c + ch] = values[perChannel ? i * c + ch : i] as number;
  return out;
}

function draw(rng: Rng, r: [number, number], n: number): number[] {
  return Array.from({ length: n }, () => rng.uniform(r[0], r[1]));
}

/** Options of {@link brightness}. */
export interface BrightnessOptions extends IntensityOptions {
  /**
   * Additive shift as a fraction of the value range: `v` means `[-v, v]`, or a range.
   * Default 0.2 (Keras `RandomBrightness(0.2)`).
   */
  delta?: RangeLike;
}

/**
 * Random brightness: x + d * (hi - lo), d drawn per image, clipped to the value range.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const brightness: Transform<BrightnessOptions> = transform<BrightnessOptions>(
  'brightness',
  (s, options) => {
    const fn = 'brightness';
    const c = intensityCommon(options, fn);
    const r = toRange(options.delta ?? 0.2, 'delta', fn);
    return gated(s, c.prob, c.rng, (src, apply) => {
      const d = draw(c.rng, r, src.n).map((v) => v * (c.hi - c.lo));
      return linearPerImage(src, spread([1], 1, src.n * src.c), spread(d, src.n, src.c), c.lo, c.hi, apply);
    });
  },
);

/** Options of {@link contrast}. */
export interface ContrastOptions extends IntensityOptions {
  /** Contrast factor: `v` means `[1 - v, 1 + v]` (Keras `RandomContrast(v)`), or a range. Default 0.2. */
  factor?: RangeLike;
}

/**
 * Random contrast (Keras `RandomContrast`): (x - mean) * c + mean, with the mean taken per
 * image and channel and c drawn per image; clipped to the value range.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const contrast: Transform<ContrastOptions> = transform<ContrastOptions>('contrast', (s, options) => {
  const fn = 'contrast';
  const c = intensityCommon(options, fn);
  const r = toRange(options.factor ?? 0.2, 'factor', fn, { center: 1, lo: 0 });
  return gated(s, c.prob, c.rng, (src, apply) => {
    const f = spread(draw(c.rng, r, src.n), src.n, src.c);
    const mean = channelMeans(src);
    const shift = mean.map((m: number, k: number) => m * (1 - (f[k] as number)));
    return linearPerImage(src, f, shift, c.lo, c.hi, apply);
  });
});

/** Options of {@link gamma}. */
export interface GammaOptions extends IntensityOptions {
  /** Exponent: `v` means `[1 - v, 1 + v]`, or a range. Default `[0.8, 1.25]`. */
  gamma?: RangeLike;
}

/**
 * Random gamma: lo + (hi - lo) * ((x - lo) / (hi - lo))^g, g drawn per image.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const gamma: Transform<GammaOptions> = transform<GammaOptions>('gamma', (s, options) => {
  const fn = 'gamma';
  const c = intensityCommon(options, fn);
  const r = toRange(options.gamma ?? [0.8, 1.25], 'gamma', fn, { center: 1, lo: 0 });
  if (r[0] <= 0) throw new Error(`${fn}: 'gamma' must be > 0; got [${r[0]}, ${r[1]}]`);
  return gated(s, c.prob, c.rng, (src, apply) => {
    const g = draw(c.rng, r, src.n);
    const span = c.hi - c.lo;
    const size = src.h * src.w * src.c;
    const out = new Float32Array(src.data.length);
    keepUnselected(src, out, apply);
    for (let i = 0; i < src.n; i++) {
      if (!apply[i]) continue;
      const gi = g[i] as number;
      for (let k = i * size; k < (i + 1) * size; k++) {
        const u = ((src.data[k] as number) - c.lo) / span;
        out[k] = Math.pow(u < 0 ? 0 : u > 1 ? 1 : u, gi) * span + c.lo;
      }
    }
    return out;
  });
});

/** Options of {@link multiply}. */
export interface MultiplyOptions extends IntensityOptions {
  /** Factor: `v` means `[1 - v, 1 + v]`, or a range. Default `[0.8, 1.2]`. */
  factor?: RangeLike;
  /** Draw one factor per channel instead of one per image. Default `false`. */
  perChannel?: boolean;
}

/**
 * Random multiplication (imgaug `Multiply`, source 003): x * f, clipped to the value range.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const multiply: Transform<MultiplyOptions> = transform<MultiplyOptions>('multiply', (s, options) => {
  const fn = 'multiply';
  const c = intensityCommon(options, fn);
  const r = toRange(options.factor ?? [0.8, 1.2], 'factor', fn, { center: 1 });
  return gated(s, c.prob, c.rng, (src, apply) => {
    const k = options.perChannel ? src.c : 1;
    const f = spread(draw(c.rng, r, src.n * k), src.n, src.c);
    return linearPerImage(src, f, new Float64Array(src.n * src.c), c.lo, c.hi, apply);
  });
});

/** Options of {@link shiftRgb}. */
export interface ShiftRgbOptions extends IntensityOptions {
  /**
   * Largest additive shift, as a fraction of the value range; the shift of each channel of
   * each image is uniform in [-limit, limit]. One limit for all channels or one per channel.
   * Default 20/255 (albumentations `RGBShift`).
   */
  limit?: number | number[];
}

/**
 * Random per-channel shift (albumentations `RGBShift`, source 003): each channel of each image
 * gets its own additive offset; clipped to the value range.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const shiftRgb: Transform<ShiftRgbOptions> = transform<ShiftRgbOptions>('shiftRgb', (s, options) => {
  const fn = 'shiftRgb';
  const c = intensityCommon(options, fn);
  const ch = s.x.shape[3];
  const lim = options.limit ?? 20 / 255;
  const limits = Array.isArray(lim) ? lim : new Array<number>(ch).fill(lim);
  if (limits.length !== ch) {
    throw new Error(`${fn}: 'limit' must give one value per channel (${ch}); got ${limits.length}`);
  }
  const ranges = limits.map((l, i) => toRange(l, `limit[${i}]`, fn));
  return gated(s, c.prob, c.rng, (src, apply) => {
    const vals: number[] = [];
    for (let i = 0; i < src.n; i++)
      for (const r of ranges) vals.push(c.rng.uniform(r[0], r[1]) * (c.hi - c.lo));
    return linearPerImage(src, spread([1], 1, src.n * ch), spread(vals, src.n, ch), c.lo, c.hi, apply);
  });
});

/** Options of {@link gaussianNoise}. */
export interface GaussianNoiseOptions extends RandomOptions {
  /** Standard deviation, in image units: a number, or a range drawn per image. Default 0.05. */
  std?: RangeLike;
  /** Mean of the noise. Default 0. */
  mean?: number;
  /** Clip the result to this `[lo, hi]` when given. */
  valueRange?: [number, number];
}

/**
 * Additive Gaussian noise (source 001): x + N(mean, std^2) per pixel.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const gaussianNoise: Transform<GaussianNoiseOptions> = transform<GaussianNoiseOptions>(
  'gaussianNoise',
  (s, options) => {
    const fn = 'gaussianNoise';
    const { mean = 0, prob = 1, valueRange } = options;
    const std =
      typeof options.std === 'number' || options.std === undefined ? (options.std ?? 0.05) : options.std;
    const r =
      typeof std === 'number'
        ? toRange([std, std], 'std', fn, { lo: 0 })
        : toRange(std, 'std', fn, { lo: 0 });
    if (!Number.isFinite(mean)) throw new Error(`${fn}: 'mean' must be a finite number; got ${mean}`);
    const c = intensityCommon({ prob, seed: options.seed, valueRange: valueRange ?? [0, 1] }, fn);
    return gated(s, c.prob, c.rng, (src, apply) => {
      const sd = draw(c.rng, r, src.n);
      const size = src.h * src.w * src.c;
      const lo = valueRange ? c.lo : -Infinity;
      const hi = valueRange ? c.hi : Infinity;
      const out = new Float32Array(src.data.length);
      keepUnselected(src, out, apply);
      for (let i = 0; i < src.n; i++) {
        if (!apply[i]) continue;
        const si = sd[i] as number;
        for (let k = i * size; k < (i + 1) * size; k++) {
          const v = (src.data[k] as number) + c.rng.normal(mean, si);
          out[k] = v < lo ? lo : v > hi ? hi : v;
        }
      }
      return out;
    });
  },
);

/** Options of {@link grayscale}. */
export type GrayscaleOptions = RandomOptions;

/**
 * Grayscale (luma 0.2989 R + 0.587 G + 0.114 B, torchvision's rounding of ITU-R 601), keeping the channel
 * count so batches stay stackable; single-channel images are returned unchanged.
 * Input: images `[batch, height, width, 1 | 3]` or a {@link Sample}.
 */
export const grayscale: Transform<GrayscaleOptions> = transform<GrayscaleOptions>(
  'grayscale',
  (s, options) => {
    const fn = 'grayscale';
    const c = intensityCommon({ prob: options.prob ?? 1, seed: options.seed }, fn);
    return gated(s, c.prob, c.rng, (src, apply) => {
      if (src.c === 1) return src.data.slice();
      if (src.c !== 3) throw new Error(`${fn}: 'x' must have 1 or 3 channels; got ${src.c}`);
      const out = new Float32Array(src.data.length);
      keepUnselected(src, out, apply);
      const size = src.h * src.w * 3;
      for (let i = 0; i < src.n; i++) {
        if (!apply[i]) continue;
        for (let k = i * size; k < (i + 1) * size; k += 3) {
          const g = lumaOf(src.data[k] as number, src.data[k + 1] as number, src.data[k + 2] as number);
          out[k] = g;
          out[k + 1] = g;
          out[k + 2] = g;
        }
      }
      return out;
    });
  },
);

/** @internal torchvision's ITU-R 601 luma of one RGB pixel. */
export function lumaOf(r: number, g: number, b: number): number {
  return 0.2989 * r + 0.587 * g + 0.114 * b;
}
