/**
 * Colour-space augmentations: HSV shift (albumentations `HueSaturationValue`, source 003) and
 * colour jitter (torchvision `ColorJitter`, source 002), plus the RGB <-> HSV conversions they use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hsvToRgbPixel, keepUnselected, rgbToHsvPixel } from './host';
import { gated, intensityCommon, type IntensityOptions, lumaOf } from './intensity';
import { type RangeLike, toRange, transform, type Transform } from './sample';

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

function unit(v: number | undefined, lo: number, span: number): number {
  return clip01(((v as number) - lo) / span);
}
function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function checkRgb(channels: number, fn: string): void {
  if (channels !== 3) throw new Error(`${fn}: 'x' must have 3 channels (RGB); got ${channels}`);
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
 * Input: RGB images `[batch, height, width, 3]` or a {@link Sample}.
 */
export const shiftHsv: Transform<ShiftHsvOptions> = transform<ShiftHsvOptions>('shiftHsv', (s, options) => {
  const fn = 'shiftHsv';
  const c = intensityCommon(options, fn);
  const rh = toRange(options.hue ?? 20, 'hue', fn);
  const rs = toRange(options.saturation ?? 0.12, 'saturation', fn);
  const rv = toRange(options.value ?? 0.08, 'value', fn);
  return gated(s, c.prob, c.rng, (src, apply) => {
    checkRgb(src.c, fn);
    const span = c.hi - c.lo;
    const out = new Float32Array(src.data.length);
    keepUnselected(src, out, apply);
    const hsv = new Float64Array(3);
    const rgb = new Float64Array(3);
    const size = src.h * src.w * 3;
    for (let i = 0; i < src.n; i++) {
      const dh = c.rng.uniform(rh[0], rh[1]) / 360;
      const ds = c.rng.uniform(rs[0], rs[1]);
      const dv = c.rng.uniform(rv[0], rv[1]);
      if (!apply[i]) continue;
      for (let k = i * size; k < (i + 1) * size; k += 3) {
        rgbToHsvPixel(
          unit(src.data[k], c.lo, span),
          unit(src.data[k + 1], c.lo, span),
          unit(src.data[k + 2], c.lo, span),
          hsv,
        );
        const hh = ((((hsv[0] as number) + dh) % 1) + 1) % 1;
        hsvToRgbPixel(hh, clip01((hsv[1] as number) + ds), clip01((hsv[2] as number) + dv), rgb);
        for (let q = 0; q < 3; q++) out[k + q] = (rgb[q] as number) * span + c.lo;
      }
    }
    return out;
  });
});

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
 * Input: images `[batch, height, width, channels]` (saturation / hue need 3) or a {@link Sample}.
 */
export const colorJitter: Transform<ColorJitterOptions> = transform<ColorJitterOptions>(
  'colorJitter',
  (s, options) => {
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
    return gated(s, c.prob, c.rng, (src, apply) => {
      const { n, c: ch } = src;
      const rgb = ch === 3;
      if ((rs || rh) && !rgb)
        throw new Error(`${fn}: 'saturation' and 'hue' need 3-channel images; got ${ch}`);
      const span = c.hi - c.lo;
      const size = src.h * src.w * ch;
      const x = new Float64Array(src.data.length);
      for (let k = 0; k < x.length; k++) x[k] = unit(src.data[k], c.lo, span);
      const factors = (r: [number, number]): number[] =>
        Array.from({ length: n }, () => c.rng.uniform(r[0], r[1]));
      // torchvision's _blend: ratio * a + (1 - ratio) * b, clamped to [0, 1].
      const blend = (a: number, b: number, k: number): number => clip01(k * a + (1 - k) * b);
      const hsv = new Float64Array(3);
      const px = new Float64Array(3);
      for (const step of order) {
        if (step === 0 && rb) {
          const f = factors(rb);
          for (let i = 0; i < n; i++)
            for (let k = i * size; k < (i + 1) * size; k++) x[k] = blend(x[k] as number, 0, f[i] as number);
        }
        if (step === 1 && rc) {
          const f = factors(rc);
          for (let i = 0; i < n; i++) {
            let m = 0;
            if (rgb)
              for (let k = i * size; k < (i + 1) * size; k += 3)
                m += lumaOf(x[k] as number, x[k + 1] as number, x[k + 2] as number);
            else for (let k = i * size; k < (i + 1) * size; k++) m += x[k] as number;
            m /= src.h * src.w * (rgb ? 1 : ch);
            for (let k = i * size; k < (i + 1) * size; k++) x[k] = blend(x[k] as number, m, f[i] as number);
          }
        }
        if (step === 2 && rs) {
          const f = factors(rs);
          for (let i = 0; i < n; i++) {
            for (let k = i * size; k < (i + 1) * size; k += 3) {
              const g = lumaOf(x[k] as number, x[k + 1] as number, x[k + 2] as number);
              for (let q = 0; q < 3; q++) x[k + q] = blend(x[k + q] as number, g, f[i] as number);
            }
          }
        }
        if (step === 3 && rh) {
          const f = factors(rh);
          for (let i = 0; i < n; i++) {
            for (let k = i * size; k < (i + 1) * size; k += 3) {
              rgbToHsvPixel(x[k] as number, x[k + 1] as number, x[k + 2] as number, hsv);
              hsvToRgbPixel(
                ((((hsv[0] as number) + (f[i] as number)) % 1) + 1) % 1,
                hsv[1] as number,
                hsv[2] as number,
                px,
              );
              for (let q = 0; q < 3; q++) x[k + q] = px[q] as number;
            }
          }
        }
      }
      const out = new Float32Array(src.data.length);
      keepUnselected(src, out, apply);
      for (let i = 0; i < n; i++) {
        if (!apply[i]) continue;
        for (let k = i * size; k < (i + 1) * size; k++) out[k] = (x[k] as number) * span + c.lo;
      }
      return out;
    });
  },
);
