/**
 * Colour-space augmentations: HSV shift (albumentations `HueSaturationValue`, source 003) and
 * colour jitter (torchvision `ColorJitter`, source 002), plus the RGB <-> HSV conversions they use.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/random';
import { gated, intensityCommon, type IntensityOptions, luma, perImage } from './intensity';
import { type RangeLike, type Sample, toRange } from './sample';

/**
 * RGB -> HSV, all channels in [0, 1] (hue as a fraction of a turn).
 * @param rgb `[batch, height, width, 3]` with values in [0, 1].
 * @returns `[batch, height, width, 3]` holding (h, s, v).
 */
export function rgbToHsv(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(rgb, 3, 3);
    const mx = tf.maximum(tf.maximum(r!, g!), b!);
    const mn = tf.minimum(tf.minimum(r!, g!), b!);
    const delta = tf.sub(mx, mn);
    const zero = tf.zerosLike(mx);
    const safeDelta = tf.where(tf.greater(delta, 0), delta, tf.onesLike(delta));
    const safeMax = tf.where(tf.greater(mx, 0), mx, tf.onesLike(mx));
    const s = tf.where(tf.greater(mx, 0), tf.div(delta, safeMax), zero);
    const hr = tf.div(tf.sub(g!, b!), safeDelta);
    const hg = tf.add(tf.div(tf.sub(b!, r!), safeDelta), 2);
    const hb = tf.add(tf.div(tf.sub(r!, g!), safeDelta), 4);
    let h = tf.where(tf.equal(mx, r!), hr, tf.where(tf.equal(mx, g!), hg, hb));
    h = tf.where(tf.greater(delta, 0), h, zero);
    h = tf.div(tf.mod(tf.add(h, 6), 6), 6);
    return tf.concat([h, s, mx], 3) as tf.Tensor4D;
  });
}

/**
 * HSV -> RGB, the inverse of {@link rgbToHsv}: channel n in (5, 3, 1) is
 * v - v s max(0, min(k, 4 - k, 1)) with k = (n + 6 h) mod 6.
 * @param hsv `[batch, height, width, 3]` holding (h, s, v) in [0, 1].
 * @returns `[batch, height, width, 3]` RGB in [0, 1].
 */
export function hsvToRgb(hsv: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [h, s, v] = tf.split(hsv, 3, 3);
    const vs = tf.mul(v!, s!);
    const chan = (n: number): tf.Tensor => {
      const k = tf.mod(tf.add(tf.mul(h!, 6), n), 6);
      const w = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
      return tf.sub(v!, tf.mul(vs, w));
    };
    return tf.concat([chan(5), chan(3), chan(1)], 3) as tf.Tensor4D;
  });
}

function toUnit(x: tf.Tensor4D, lo: number, hi: number): tf.Tensor4D {
  return tf.clipByValue(tf.div(tf.sub(x, lo), hi - lo), 0, 1) as tf.Tensor4D;
}
function fromUnit(x: tf.Tensor, lo: number, hi: number): tf.Tensor4D {
  return tf.add(tf.mul(x, hi - lo), lo) as tf.Tensor4D;
}

function checkRgb(x: tf.Tensor4D, fn: string): void {
  if (x.shape[3] !== 3) throw new Error(`${fn}: 'x' must have 3 channels (RGB); got ${x.shape[3]}`);
}

/** Options of {@link shiftHsv}. */
export interface ShiftHsvOptions extends IntensityOptions {
  /** Hue shift in degrees: `v` means `[-v, v]`, or a range. Default 20. */
  hue?: RangeLike;
  /** Additive saturation shift (saturation in [0, 1]). Default 0.12 (albumentations' 30/255). */
  saturation?: RangeLike;
  /** Additive value shift, as a fraction of the value range. Default 0.08 (albumentations' 20/255). */
  value?: RangeLike;
}

/**
 * Random HSV shift: hue rotated (wrapping), saturation and value shifted and clipped, per image.
 * @param input RGB images `[batch, height, width, 3]` or a {@link Sample}.
 */
export function shiftHsv(input: tf.Tensor4D, options?: ShiftHsvOptions): tf.Tensor4D;
export function shiftHsv(input: Sample, options?: ShiftHsvOptions): Sample;
export function shiftHsv(input: tf.Tensor4D | Sample, options: ShiftHsvOptions = {}): tf.Tensor4D | Sample {
  const fn = 'shiftHsv';
  const c = intensityCommon(options, fn);
  const rh = toRange(options.hue ?? 20, 'hue', fn);
  const rs = toRange(options.saturation ?? 0.12, 'saturation', fn);
  const rv = toRange(options.value ?? 0.08, 'value', fn);
  return gated(input, fn, c.prob, c.rng, (x) => {
    checkRgb(x, fn);
    const n = x.shape[0];
    const vals: number[] = [];
    for (let i = 0; i < n; i++) {
      vals.push(c.rng.uniform(rh[0], rh[1]) / 360, c.rng.uniform(rs[0], rs[1]), c.rng.uniform(rv[0], rv[1]));
    }
    const [h, s, v] = tf.split(tf.add(rgbToHsv(toUnit(x, c.lo, c.hi)), perImage(vals, n, 3)), 3, 3);
    const hsv = tf.concat([tf.mod(tf.add(h!, 1), 1), tf.clipByValue(s!, 0, 1), tf.clipByValue(v!, 0, 1)], 3);
    return fromUnit(hsvToRgb(hsv as tf.Tensor4D), c.lo, c.hi);
  });
}

/** Options of {@link colorJitter}. */
export interface ColorJitterOptions extends IntensityOptions {
  /** Brightness factor: `v` means `[max(0, 1 - v), 1 + v]`, or a range. Default 0 (off). */
  brightness?: RangeLike;
  /** Contrast factor, like `brightness`. Default 0 (off). */
  contrast?: RangeLike;
  /** Saturation factor, like `brightness` (RGB only). Default 0 (off). */
  saturation?: RangeLike;
  /** Hue shift as a fraction of a turn: `v` in [0, 0.5] means `[-v, v]` (RGB only). Default 0 (off). */
  hue?: RangeLike;
}

function factorRange(v: RangeLike, arg: string, fn: string): [number, number] | null {
  if (v === 0) return null;
  if (typeof v === 'number') {
    const r = toRange(v, arg, fn);
    return [Math.max(0, 1 - r[1]), 1 + r[1]];
  }
  return toRange(v, arg, fn, { lo: 0 });
}

/**
 * torchvision `ColorJitter` on a batch (source 002: brightness and contrast): the four
 * adjustments are applied in one random order per call, each with a factor drawn per image:
 * brightness x * f; contrast blends with the mean gray level; saturation blends with the
 * grayscale image; hue rotates the HSV hue. Clipped to the value range after each step.
 * @param input images `[batch, height, width, channels]` (saturation / hue need 3) or a {@link Sample}.
 */
export function colorJitter(input: tf.Tensor4D, options?: ColorJitterOptions): tf.Tensor4D;
export function colorJitter(input: Sample, options?: ColorJitterOptions): Sample;
export function colorJitter(
  input: tf.Tensor4D | Sample,
  options: ColorJitterOptions = {},
): tf.Tensor4D | Sample {
  const fn = 'colorJitter';
  const c = intensityCommon(options, fn);
  const rb = factorRange(options.brightness ?? 0, 'brightness', fn);
  const rc = factorRange(options.contrast ?? 0, 'contrast', fn);
  const rs = factorRange(options.saturation ?? 0, 'saturation', fn);
  const rh =
    options.hue === undefined || options.hue === 0
      ? null
      : toRange(options.hue, 'hue', fn, { lo: -0.5, hi: 0.5 });
  const order = c.rng.shuffle([0, 1, 2, 3]);
  return gated(input, fn, c.prob, c.rng, (x0) => {
    const n = x0.shape[0];
    const rgb = x0.shape[3] === 3;
    if ((rs || rh) && !rgb)
      throw new Error(`${fn}: 'saturation' and 'hue' need 3-channel images; got ${x0.shape[3]}`);
    const f = (r: [number, number], rng: Rng): tf.Tensor4D =>
      perImage(
        Array.from({ length: n }, () => rng.uniform(r[0], r[1])),
        n,
      );
    let x = toUnit(x0, c.lo, c.hi);
    const blend = (a: tf.Tensor, b: tf.Tensor, k: tf.Tensor): tf.Tensor4D =>
      tf.clipByValue(tf.add(b, tf.mul(k, tf.sub(a, b))), 0, 1) as tf.Tensor4D;
    for (const step of order) {
      if (step === 0 && rb) x = tf.clipByValue(tf.mul(x, f(rb, c.rng)), 0, 1) as tf.Tensor4D;
      if (step === 1 && rc) {
        const gray = rgb ? luma(x) : x;
        x = blend(x, tf.mean(gray, [1, 2, 3], true), f(rc, c.rng));
      }
      if (step === 2 && rs) x = blend(x, luma(x), f(rs, c.rng));
      if (step === 3 && rh) {
        const [h, s, v] = tf.split(rgbToHsv(x), 3, 3);
        const hs = tf.mod(tf.add(tf.add(h!, f(rh, c.rng)), 1), 1);
        x = hsvToRgb(tf.concat([hs, s!, v!], 3) as tf.Tensor4D);
      }
    }
    return fromUnit(x, c.lo, c.hi);
  });
}
