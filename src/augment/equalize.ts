/**
 * Histogram equalisation (source 003's "equalize"), the PIL / torchvision algorithm on 256
 * levels per image and channel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type RandomOptions, checkProb, rngOf, transform, type Transform } from './sample';

/** Options of {@link equalize}. */
export interface EqualizeOptions extends RandomOptions {
  /** The images' value range `[lo, hi]`, quantised to 256 levels. Default `[0, 1]`. */
  valueRange?: [number, number];
}

/**
 * Histogram equalisation per image and channel. Values are quantised to 256 levels of the
 * value range; with the histogram h and its last non-empty bin h_last,
 * step = floor((sum h - h_last) / 255) and level i maps to
 * min(255, floor((cdf(i - 1) + floor(step / 2)) / step)) (PIL `ImageOps.equalize`, as
 * torchvision). A channel with a single level is left unchanged. Computed on the CPU.
 * Input: images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const equalize: Transform<EqualizeOptions> = transform<EqualizeOptions>('equalize', (s, options) => {
  const fn = 'equalize';
  const { valueRange = [0, 1], prob = 1 } = options;
  checkProb(prob, 'prob', fn);
  const [lo, hi] = valueRange;
  if (!(hi > lo))
    throw new Error(`${fn}: 'valueRange' must be [lo, hi] with lo < hi; got ${JSON.stringify(valueRange)}`);
  const rng = rngOf(options.seed);
  const [n, h, w, c] = s.x.shape;
  const src = s.x.dataSync();
  const out = new Float32Array(src.length);
  const plane = h * w;
  const scale = 255 / (hi - lo);
  const levels = new Uint8Array(plane);
  const hist = new Float64Array(256);
  const lut = new Float32Array(256);
  for (let b = 0; b < n; b++) {
    const apply = rng.bernoulli(prob);
    const off = b * plane * c;
    for (let ch = 0; ch < c; ch++) {
      if (!apply) {
        for (let p = 0; p < plane; p++) out[off + p * c + ch] = src[off + p * c + ch] as number;
        continue;
      }
      hist.fill(0);
      for (let p = 0; p < plane; p++) {
        const v = Math.round(((src[off + p * c + ch] as number) - lo) * scale);
        const q = v < 0 ? 0 : v > 255 ? 255 : v;
        levels[p] = q;
        hist[q]! += 1;
      }
      let last = 255;
      while (last > 0 && hist[last] === 0) last--;
      const step = Math.floor((plane - (hist[last] as number)) / 255);
      if (step === 0) {
        for (let p = 0; p < plane; p++) out[off + p * c + ch] = lo + (levels[p] as number) / scale;
        continue;
      }
      let cdf = Math.floor(step / 2);
      for (let i = 0; i < 256; i++) {
        lut[i] = lo + Math.min(255, Math.floor(cdf / step)) / scale;
        cdf += hist[i] as number;
      }
      for (let p = 0; p < plane; p++) out[off + p * c + ch] = lut[levels[p] as number] as number;
    }
  }
  return { x: tf.tensor4d(out, [n, h, w, c]) };
});
