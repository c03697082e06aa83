/**
 * Elastic deformation (Simard, Steinkraus & Platt 2003, "Best practices for convolutional
 * neural networks applied to visual document analysis"), the staple augmentation of medical
 * segmentation: a random displacement field, uniform in [-1, 1] per pixel, smoothed by a
 * Gaussian of `sigma` pixels and scaled by `alpha`, moves every pixel of the image and mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import { gaussianTaps } from './blur';
import { type HostBatch, blurHost, fromHost, toHost } from './host';
import { type RandomOptions, checkProb, rngOf, transform, type Transform } from './sample';
import type { Interpolation } from './sampler';

/** Options of {@link elasticDeform}. */
export interface ElasticOptions extends RandomOptions {
  /** Scale of the smoothed displacement field, in pixels. Default 34 (Simard et al.). */
  alpha?: number;
  /** Gaussian smoothing of the field, in pixels. Default 4 (Simard et al.). */
  sigma?: number;
  /** Image interpolation (masks use nearest). Default `'bilinear'`. */
  interpolation?: Interpolation;
}

/**
 * Random elastic deformation; points pushed outside the image read the nearest edge pixel.
 * Input: images `[batch, height, width, channels]` or a {@link Sample} (mask deformed
 *   by the same field, nearest neighbour).
 * @returns a new tensor or sample of the same shape.
 */
export const elasticDeform: Transform<ElasticOptions> = transform<ElasticOptions>(
  'elasticDeform',
  (s, options) => {
    const fn = 'elasticDeform';
    const { alpha = 34, sigma = 4, prob = 1, interpolation = 'bilinear' } = options;
    if (!(Number.isFinite(alpha) && alpha >= 0))
      throw new Error(`${fn}: 'alpha' must be a finite number >= 0; got ${alpha}`);
    if (!(Number.isFinite(sigma) && sigma > 0))
      throw new Error(`${fn}: 'sigma' must be a finite number > 0; got ${sigma}`);
    checkProb(prob, 'prob', fn);
    checkOneOf(interpolation, ['bilinear', 'nearest'] as const, 'interpolation', fn);
    const rng = rngOf(options.seed);
    const [n, h, w] = s.x.shape;
    const apply = Array.from({ length: n }, () => rng.bernoulli(prob));
    // Field [n, h, w, 2] (dy, dx): uniform noise, smoothed with zero borders, scaled by alpha.
    const noise = new Float32Array(n * h * w * 2);
    for (let k = 0; k < noise.length; k++) noise[k] = rng.uniform(-1, 1);
    const field = blurHost({ data: noise, n, h, w, c: 2 }, gaussianTaps(sigma), 'zero');
    for (let i = 0; i < n; i++) {
      const scale = apply[i] ? alpha : 0;
      for (let k = i * h * w * 2; k < (i + 1) * h * w * 2; k++) field[k]! *= scale;
    }
    const move = (t: tf.Tensor4D, interp: Interpolation): tf.Tensor4D => {
      const src = toHost(t);
      return fromHost(sampleField(src, field, interp), src.n, src.h, src.w, src.c);
    };
    return { x: move(s.x, interpolation), mask: s.mask === undefined ? undefined : move(s.mask, 'nearest') };
  },
);

/**
 * @internal Read every pixel at its displaced source (y + dy, x + dx), clamped to the image,
 * with bilinear or nearest interpolation.
 */
export function sampleField(src: HostBatch, field: Float32Array, interpolation: Interpolation): Float32Array {
  const { data, n, h, w, c } = src;
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    const off = i * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = off + y * w + x;
        let sy = y + (field[2 * p] as number);
        let sx = x + (field[2 * p + 1] as number);
        sy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
        sx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
        const o = p * c;
        if (interpolation === 'nearest') {
          const q = (off + Math.round(sy) * w + Math.round(sx)) * c;
          for (let ch = 0; ch < c; ch++) out[o + ch] = data[q + ch] as number;
          continue;
        }
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const y1 = Math.min(y0 + 1, h - 1);
        const x1 = Math.min(x0 + 1, w - 1);
        const fy = sy - y0;
        const fx = sx - x0;
        const a = (off + y0 * w + x0) * c;
        const b = (off + y0 * w + x1) * c;
        const d = (off + y1 * w + x0) * c;
        const e = (off + y1 * w + x1) * c;
        for (let ch = 0; ch < c; ch++) {
          const top = (data[a + ch] as number) + ((data[b + ch] as number) - (data[a + ch] as number)) * fx;
          const bottom =
            (data[d + ch] as number) + ((data[e + ch] as number) - (data[d + ch] as number)) * fx;
          out[o + ch] = top + (bottom - top) * fy;
        }
      }
    }
  }
  return out;
}
