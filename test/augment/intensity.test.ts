import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  WINDOW_PRESETS,
  brightness,
  colorJitter,
  computeStats,
  contrast,
  ctWindow,
  equalize,
  gamma,
  gaussianBlur,
  gaussianNoise,
  grayscale,
  hsvToRgb,
  multiply,
  normalize,
  rescaleIntensity,
  rgbToHsv,
  shiftHsv,
  shiftRgb,
  window,
} from '../../src/augment';
import { binaryMask, images, maxDiff, noLeak, vals } from './helpers';

// Mid-range values so that moderate changes are not clipped.
const x = tf.tidy(() => tf.add(tf.mul(images(3, 7, 5, 3), 0.5), 0.25)) as tf.Tensor4D;
afterAll(() => x.dispose());

function perImageChannelMean(t: tf.Tensor4D): number[] {
  return tf.tidy(() => vals(tf.mean(t, [1, 2])));
}

describe('brightness, contrast, gamma, multiply, shiftRgb', () => {
  it('brightness adds delta * range, clipped', () => {
    const out = brightness(x, { delta: [0.1, 0.1] });
    const ref = tf.add(x, 0.1);
    expect(maxDiff(out, ref)).toBeLessThan(1e-6);
    const big = brightness(x, { delta: [2, 2] });
    expect(Math.min(...vals(big))).toBe(1);
    const r255 = brightness(x, { delta: [0.1, 0.1], valueRange: [0, 255] });
    const ref255 = tf.add(x, 25.5);
    expect(maxDiff(r255, ref255)).toBeLessThan(1e-4);
    tf.dispose([out, ref, big, r255, ref255]);
  });

  it('contrast keeps each channel mean and scales deviations', () => {
    const out = contrast(x, { factor: [0.5, 0.5] });
    const m0 = perImageChannelMean(x);
    const m1 = perImageChannelMean(out);
    m0.forEach((m, i) => expect(m1[i]).toBeCloseTo(m, 5));
    const dev0 = tf.tidy(() => vals(tf.sub(x, tf.mean(x, [1, 2], true))));
    const dev1 = tf.tidy(() => vals(tf.sub(out, tf.mean(out, [1, 2], true))));
    dev0.forEach((d, i) => expect(dev1[i]).toBeCloseTo(d * 0.5, 5));
    const id = contrast(x, { factor: 0 });
    expect(maxDiff(id, x)).toBeLessThan(1e-6);
    tf.dispose([out, id]);
  });

  it('gamma 1 is the identity and gamma 2 squares', () => {
    const id = gamma(x, { gamma: [1, 1] });
    const sq = gamma(x, { gamma: [2, 2] });
    const ref = tf.square(x);
    expect(maxDiff(id, x)).toBeLessThan(1e-6);
    expect(maxDiff(sq, ref)).toBeLessThan(1e-6);
    tf.dispose([id, sq, ref]);
  });

  it('multiply scales per image or per channel', () => {
    const out = multiply(x, { factor: [1.5, 1.5] });
    const ref = tf.clipByValue(tf.mul(x, 1.5), 0, 1);
    expect(maxDiff(out, ref)).toBeLessThan(1e-6);
    const pc = multiply(x, { factor: [0.5, 1.5], perChannel: true, seed: 4 });
    const ratio = tf.tidy(() =>
      vals(tf.div(tf.slice(pc, [0, 0, 0, 0], [1, -1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]))),
    );
    // One factor per channel: the ratio repeats every 3 values (up to clipping at 1).
    for (let i = 3; i < ratio.length; i++)
      if (ratio[i]! * 0.75 < 0.99) expect(ratio[i]).toBeCloseTo(ratio[i % 3]!, 4);
    tf.dispose([out, ref, pc]);
  });

  it('shiftRgb adds one offset per channel per image', () => {
    const out = shiftRgb(x, { limit: [0.1, 0, 0.05], seed: 3 });
    const d = tf.tidy(() => tf.sub(out, x).arraySync() as number[][][][]);
    for (let n = 0; n < 3; n++) {
      for (let c = 0; c < 3; c++) {
        const v = d[n]![0]![0]![c]!;
        expect(Math.abs(v)).toBeLessThanOrEqual([0.1, 0, 0.05][c]! + 1e-6);
        expect(d[n]![6]![4]![c]).toBeCloseTo(v, 5);
      }
    }
    out.dispose();
  });
});

describe('noise, grayscale, colour', () => {
  it('gaussianNoise has the requested spread and repeats with the seed', () => {
    const z = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
    const a = gaussianNoise(z, { std: 0.1, seed: 1 });
    const b = gaussianNoise(z, { std: 0.1, seed: 1 });
    const c = gaussianNoise(z, { std: 0.1, seed: 2 });
    const v = vals(a);
    const mean = v.reduce((s, e) => s + e, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, e) => s + (e - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(sd).toBeGreaterThan(0.09);
    expect(sd).toBeLessThan(0.11);
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeGreaterThan(0);
    tf.dispose([z, a, b, c]);
  });

  it('grayscale gives equal channels and leaves 1-channel images', () => {
    const g = grayscale(x);
    const [r, gg, b] = tf.split(g, 3, 3);
    expect(maxDiff(r!, gg!)).toBe(0);
    expect(maxDiff(r!, b!)).toBe(0);
    const one = images(2, 3, 3, 1);
    const g1 = grayscale(one);
    expect(maxDiff(g1, one)).toBe(0);
    tf.dispose([g, r!, gg!, b!, one, g1]);
  });

  it('rgbToHsv / hsvToRgb round-trip and hit known colours', () => {
    const hsv = rgbToHsv(x);
    const back = hsvToRgb(hsv);
    expect(maxDiff(back, x)).toBeLessThan(1e-5);
    const pure = tf.tensor4d([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0.5], [1, 2, 2, 3]);
    const h = rgbToHsv(pure);
    const expected = [0, 1, 1, 1 / 3, 1, 1, 2 / 3, 1, 1, 0, 0, 0.5];
    vals(h).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    tf.dispose([hsv, back, pure, h]);
  });

  it('shiftHsv with zero shifts is the identity; a hue shift keeps value', () => {
    const id = shiftHsv(x, { hue: 0, saturation: 0, value: 0 });
    expect(maxDiff(id, x)).toBeLessThan(1e-5);
    const shifted = shiftHsv(x, { hue: [60, 60], saturation: 0, value: 0 });
    const v0 = tf.tidy(() => vals(tf.max(x, 3)));
    const v1 = tf.tidy(() => vals(tf.max(shifted, 3)));
    v0.forEach((v, i) => expect(v1[i]).toBeCloseTo(v, 5));
    expect(maxDiff(shifted, x)).toBeGreaterThan(0.01);
    tf.dispose([id, shifted]);
  });

  it('colorJitter with nothing enabled is the identity and is seeded otherwise', () => {
    const id = colorJitter(x);
    expect(maxDiff(id, x)).toBeLessThan(1e-6);
    const o = { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1 };
    const a = colorJitter(x, { ...o, seed: 1 });
    const b = colorJitter(x, { ...o, seed: 1 });
    const c = colorJitter(x, { ...o, seed: 2 });
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeGreaterThan(0);
    tf.dispose([id, a, b, c]);
  });
});

describe('equalize and blur', () => {
  it('equalize spreads a narrow histogram over the full range', () => {
    const narrow = tf.tidy(() =>
      tf.add(tf.mul(tf.round(tf.mul(images(1, 32, 32, 1, 5), 20)), 1 / 255), 0.4),
    ) as tf.Tensor4D;
    const out = equalize(narrow);
    const v = vals(out);
    expect(Math.min(...v)).toBeLessThan(0.1);
    expect(Math.max(...v)).toBeGreaterThan(0.9);
    // Monotone: order of levels is kept.
    const a = vals(narrow);
    for (let i = 1; i < a.length; i++) if (a[i]! > a[0]!) expect(v[i]!).toBeGreaterThanOrEqual(v[0]!);
    const flat = tf.fill([1, 4, 4, 1], 0.5) as tf.Tensor4D;
    const same = equalize(flat);
    expect(maxDiff(same, flat)).toBeLessThan(1 / 255);
    tf.dispose([narrow, out, flat, same]);
  });

  it('gaussianBlur keeps a constant image and lowers the variance of noise', () => {
    const flat = tf.fill([2, 6, 5, 2], 0.3) as tf.Tensor4D;
    const b = gaussianBlur(flat, { sigma: 1.5 });
    expect(maxDiff(b, flat)).toBeLessThan(1e-6);
    const n = images(1, 16, 16, 1, 7);
    const bn = gaussianBlur(n, { sigma: 1 });
    const v = (t: tf.Tensor): number => tf.tidy(() => tf.moments(t).variance.dataSync()[0]!);
    expect(v(bn)).toBeLessThan(v(n) / 3);
    tf.dispose([flat, b, n, bn]);
  });
});

describe('normalize, rescaleIntensity, window', () => {
  it('normalize with computeStats gives zero mean and unit std per channel', () => {
    const stats = computeStats(x);
    const out = normalize(x, stats);
    const again = computeStats(out);
    again.mean.forEach((m) => expect(m).toBeCloseTo(0, 5));
    again.std.forEach((s) => expect(s).toBeCloseTo(1, 4));
    tf.dispose(out);
  });

  it('computeStats over streamed batches equals over their concatenation', () => {
    const a = images(2, 4, 4, 3, 11);
    const b = images(3, 4, 4, 3, 12);
    const both = tf.concat([a, b]) as tf.Tensor4D;
    const s1 = computeStats([a, b]);
    const s2 = computeStats(both);
    s1.mean.forEach((m, i) => expect(m).toBeCloseTo(s2.mean[i]!, 6));
    s1.std.forEach((s, i) => expect(s).toBeCloseTo(s2.std[i]!, 6));
    tf.dispose([a, b, both]);
  });

  it('rescaleIntensity maps [0, 255] to [-1, 1] (x / 127.5 - 1) and other ranges linearly', () => {
    const t = tf.tensor4d([0, 127.5, 255, 51], [1, 2, 2, 1]);
    const out = rescaleIntensity(t);
    vals(out).forEach((v, i) => expect(v).toBeCloseTo([-1, 0, 1, 51 / 127.5 - 1][i]!, 6));
    const unit = rescaleIntensity(t, { inRange: [0, 102], outRange: [0, 1], clip: true });
    vals(unit).forEach((v, i) => expect(v).toBeCloseTo([0, 1, 1, 0.5][i]!, 6));
    expect(() => rescaleIntensity(t, { inRange: [1, 1] })).toThrow(/'inRange' must be/);
    tf.dispose([t, out, unit]);
  });

  it('CT windows map HU linearly into [0, 1] with the presets', () => {
    const hu = tf.tensor4d([-2000, -1350, -600, 150, 1000, -160, 40, 240], [1, 2, 4, 1]);
    const lung = window(hu, 'lung');
    vals(lung)
      .slice(0, 5)
      .forEach((v, i) => expect(v).toBeCloseTo([0, 0, 0.5, 1, 1][i]!, 6));
    const med = ctWindow(hu, { preset: 'mediastinum' });
    vals(med)
      .slice(5)
      .forEach((v, i) => expect(v).toBeCloseTo([0, 0.5, 1][i]!, 6));
    const custom = ctWindow(hu, { center: 40, width: 400, outputRange: [-1, 1] });
    expect(vals(custom)[6]).toBeCloseTo(0, 6);
    expect(WINDOW_PRESETS.lung).toEqual({ center: -600, width: 1500 });
    tf.dispose([hu, lung, med, custom]);
  });
});

describe('probability, masks, leaks, errors', () => {
  it('prob 0 returns every image unchanged', () => {
    for (const f of [
      () => brightness(x, { prob: 0, seed: 1 }),
      () => contrast(x, { prob: 0, seed: 1 }),
      () => gaussianNoise(x, { prob: 0, seed: 1 }),
      () => colorJitter(x, { brightness: 0.5, prob: 0, seed: 1 }),
      () => equalize(x, { prob: 0 }),
    ]) {
      const out = f();
      expect(maxDiff(out, x)).toBe(0);
      out.dispose();
    }
  });

  it('masks pass through intensity transforms untouched', () => {
    const mask = binaryMask(3, 7, 5);
    const out = colorJitter({ x, mask }, { brightness: 0.5, seed: 1 });
    expect(maxDiff(out.mask!, mask)).toBe(0);
    tf.dispose([mask, out.x, out.mask!]);
  });

  it('batch 1, odd sizes, no leaks', () => {
    const one = images(1, 3, 5, 3, 2);
    for (const f of [
      () => brightness(one),
      () => contrast(one),
      () => gamma(one),
      () => multiply(one),
      () => shiftRgb(one),
      () => gaussianNoise(one),
      () => grayscale(one),
      () => shiftHsv(one),
      () => colorJitter(one, { brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1 }),
      () => equalize(one),
      () => gaussianBlur(one),
      () => normalize(one, { mean: 0.5, std: 0.25 }),
      () => rescaleIntensity(one),
      () => window(one, 'mediastinum'),
    ]) {
      noLeak(f);
    }
    one.dispose();
  });

  it('throws clear errors', () => {
    expect(() => brightness(tf.zeros([2, 2]) as unknown as tf.Tensor4D)).toThrow(
      /brightness: 'x' must be a 4-D tensor/,
    );
    expect(() => contrast(x, { valueRange: [1, 0] })).toThrow(/'valueRange'/);
    expect(() => gamma(x, { gamma: [0, 1] })).toThrow(/'gamma' must be > 0/);
    expect(() => normalize(x, { mean: [0, 0], std: 1 })).toThrow(/'mean' must be a number or 3/);
    expect(() => normalize(x, { mean: 0, std: 0 })).toThrow(/'std' must be > 0/);
    expect(() => ctWindow(x, {})).toThrow(/give 'center' and 'width'/);
    expect(() => ctWindow(x, 'brain' as never)).toThrow(/'preset' must be one of/);
    expect(() => shiftHsv(images(1, 2, 2, 1))).toThrow(/3 channels/);
    expect(() => shiftRgb(x, { limit: [0.1, 0.1] })).toThrow(/one value per channel/);
    expect(() => computeStats([])).toThrow(/empty/);
  });
});
