// Parity with torchvision's functional transforms; fixture from make_torchvision.py beside it.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { colorJitter, equalize, gaussianBlur, grayscale, resize } from '../../src/augment';
import { maxDiff } from './helpers';

interface Fixture {
  shape: [number, number, number];
  image: number[][][];
  low: number[][][];
  [key: string]: unknown;
}
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/augment/torchvision.json', import.meta.url), 'utf8'),
) as Fixture;
const [H, W] = fx.shape;
const asBatch = (v: unknown, scale = 1): tf.Tensor4D =>
  tf.mul(tf.tensor4d([v as number[][][]]), scale) as tf.Tensor4D;
const img = asBatch(fx.image, 1 / 255);
const low = asBatch(fx.low, 1 / 255);
const ref = (k: string): tf.Tensor4D => asBatch(fx[k]);

afterAll(() => tf.dispose([img, low]));

describe('parity with torchvision', () => {
  it('equalize matches F.equalize level for level', () => {
    for (const [input, key] of [
      [img, 'equalize_image'],
      [low, 'equalize_low'],
    ] as const) {
      const out = equalize(input);
      const r = ref(key);
      expect(
        maxDiff(
          tf.tidy(() => tf.round(tf.mul(out, 255))),
          r,
        ),
      ).toBe(0);
      tf.dispose([out, r]);
    }
  });

  it('grayscale matches F.rgb_to_grayscale', () => {
    const out = grayscale(img);
    const r = ref('grayscale');
    expect(maxDiff(out, r)).toBeLessThan(1e-6);
    tf.dispose([out, r]);
  });

  it('gaussianBlur(sigma 1) matches F.gaussian_blur with kernel 7', () => {
    const out = gaussianBlur(img, { sigma: 1 });
    const r = ref('blur_sigma1_k7');
    expect(maxDiff(out, r)).toBeLessThan(1e-5);
    tf.dispose([out, r]);
  });

  it('colorJitter factors match F.adjust_brightness / contrast / saturation / hue', () => {
    const cases: [string, Parameters<typeof colorJitter>[1], number][] = [
      ['brightness_1_3', { brightness: [1.3, 1.3] }, 1e-6],
      ['contrast_0_6', { contrast: [0.6, 0.6] }, 1e-5],
      ['saturation_1_7', { saturation: [1.7, 1.7] }, 1e-5],
      ['hue_0_2', { hue: [0.2, 0.2] }, 1e-5],
    ];
    for (const [key, opts, tol] of cases) {
      const out = colorJitter(img, { ...opts, seed: 1 });
      const r = ref(key);
      expect(maxDiff(out, r), key).toBeLessThan(tol);
      tf.dispose([out, r]);
    }
  });

  it('resize (bilinear, half-pixel) matches F.resize without antialias', () => {
    for (const [key, size] of [
      ['resize_5x7', [5, 7]],
      ['resize_14x17', [14, 17]],
    ] as const) {
      const out = resize(img, { size: [size[0], size[1]] });
      const r = ref(key);
      expect(out.shape).toEqual([1, size[0], size[1], 3]);
      expect(maxDiff(out, r), key).toBeLessThan(1e-5);
      tf.dispose([out, r]);
    }
    expect([H, W]).toEqual([9, 11]);
  });
});
