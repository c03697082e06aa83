/**
 * Document 003's augmentation list, every item, on RGB batches in [0, 1]: rotate, shear, zoom,
 * horizontal and vertical flip, contrast, shiftRGB, shiftHSV, grayscale, equalize, resize,
 * multiply, brightness. Each transform is applied to an image with its own probability (as
 * imgaug's `Sometimes` / albumentations' `p`), seeded from the batch seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  brightness,
  contrast,
  equalize,
  flip,
  grayscale,
  multiply,
  resize,
  rotate,
  shear,
  shiftHsv,
  shiftRgb,
  zoom,
} from 'medinets/augment';
import type { BatchMixer } from 'medinets/train';

/** The augmentations as the report lists them. */
export const AUGMENTATIONS =
  'rotate 10 deg, shear 8 deg, zoom 0.9-1.1, horizontal flip, vertical flip (p 0.5 each); resize (down to 75-100% and back, p 0.3); ' +
  'contrast 0.2, brightness 0.1, multiply 0.9-1.1, shiftRGB 10/255, shiftHSV (hue 10 deg, sat 0.05, value 0.05) (p 0.5 each); grayscale (p 0.3); equalize (p 0.2)';

/** Down-and-up resampling to a random 75-100% resolution (one factor per batch). */
function resizeJitter(x: tf.Tensor4D, seed: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  // A seeded uniform draw from the batch seed (Knuth's multiplicative hash).
  const u = ((Math.imul(seed, 2654435761) >>> 0) % 10007) / 10007;
  if (u < 0.7) return tf.clone(x);
  const f = 0.75 + 0.25 * ((u - 0.7) / 0.3);
  const small = resize(x, { size: [Math.max(8, Math.round(h * f)), Math.max(8, Math.round(w * f))] });
  const back = resize(small, { size: [h, w] });
  small.dispose();
  return back;
}

/** 003's augmentation as a per-batch mixer: `x` RGB `[batch, h, w, 3]` in [0, 1], labels pass through. */
export const xrayAugment: BatchMixer = (x, y, seed) =>
  tf.tidy(() => {
    let a = rotate(x as tf.Tensor4D, { degrees: 10, prob: 0.5, seed });
    a = shear(a, { shear: 8, prob: 0.5, seed: seed + 1 });
    a = zoom(a, { scale: [0.9, 1.1], prob: 0.5, seed: seed + 2 });
    a = flip(a, { mode: 'horizontal', prob: 0.5, seed: seed + 3 });
    a = flip(a, { mode: 'vertical', prob: 0.5, seed: seed + 4 });
    a = resizeJitter(a, seed + 5);
    a = contrast(a, { factor: 0.2, prob: 0.5, seed: seed + 6 });
    a = brightness(a, { delta: 0.1, prob: 0.5, seed: seed + 7 });
    a = multiply(a, { factor: [0.9, 1.1], prob: 0.5, seed: seed + 8 });
    a = shiftRgb(a, { limit: 10 / 255, prob: 0.5, seed: seed + 9 });
    a = shiftHsv(a, { hue: 10, saturation: 0.05, value: 0.05, prob: 0.5, seed: seed + 10 });
    a = grayscale(a, { prob: 0.3, seed: seed + 11 });
    a = equalize(a, { prob: 0.2, seed: seed + 12 });
    return { x: a, y: tf.clone(y) };
  });
