/**
 * Gaussian smoothing as two 1-D passes with reflected borders, used by {@link gaussianBlur}
 * and by the elastic deformation's displacement fields.
 */
import {
  type RandomOptions,
  type RangeLike,
  checkProb,
  rngOf,
  toRange,
  transform,
  type Transform,
} from './sample';
import { blurHost, fromHost, keepUnselected, toHost } from './host';

/** @internal Normalised 1-D Gaussian taps for `sigma`, radius ceil(3 sigma) (truncated at `maxRadius`). */
export function gaussianTaps(sigma: number, maxRadius = Infinity): number[] {
  const r = Math.max(1, Math.min(Math.ceil(3 * sigma), maxRadius));
  const taps: number[] = [];
  for (let i = -r; i <= r; i++) taps.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / sum);
}

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions extends RandomOptions {
  /** Standard deviation in pixels, or a `[min, max]` range drawn once per call. Default `[0.1, 2]`. */
  sigma?: RangeLike;
}

/**
 * Gaussian blur (source 001's "blurring"; torchvision `GaussianBlur`): separable kernel of
 * radius ceil(3 sigma), borders reflected. The mask of a {@link Sample} is left unchanged.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const gaussianBlur: Transform<GaussianBlurOptions> = transform<GaussianBlurOptions>(
  'gaussianBlur',
  (s, options) => {
    const fn = 'gaussianBlur';
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
    const src = toHost(s.x);
    const taps = gaussianTaps(sigma, Math.max(1, Math.min(src.h, src.w) - 1));
    const out = blurHost(src, taps, 'reflect');
    keepUnselected(src, out, apply);
    return { x: fromHost(out, src.n, src.h, src.w, src.c) };
  },
);
