/**
 * Host-side (typed-array) kernels for the per-pixel augmentations. tfjs-backend-cpu runs
 * broadcasting binary ops, `reverse`, `slice` and axis reductions through a generic
 * per-element index path that is 30-150 times slower than a plain loop (a 16x256x256x3
 * flip took 14 s), so these transforms read the batch once, loop over a Float32Array and
 * upload the result: the same cost on every backend, and fast where augmentation runs.
 */
import * as tf from '@tensorflow/tfjs-core';

/** @internal A batch on the host: values in NHWC order with its dimensions. */
export interface HostBatch {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** @internal Read a `[n, h, w, c]` tensor (the returned array must not be written). */
export function toHost(x: tf.Tensor4D): HostBatch {
  const [n, h, w, c] = x.shape;
  const d = x.dataSync();
  const data = d instanceof Float32Array ? d : Float32Array.from(d);
  return { data, n, h, w, c };
}

/** @internal Upload an NHWC array as a float32 tensor. */
export function fromHost(data: Float32Array, n: number, h: number, w: number, c: number): tf.Tensor4D {
  return tf.tensor4d(data, [n, h, w, c], 'float32');
}

/** @internal Copy the images not in `apply` from `src` into `out` (both the same size). */
export function keepUnselected(src: HostBatch, out: Float32Array, apply: boolean[]): void {
  const size = src.h * src.w * src.c;
  apply.forEach((a, i) => {
    if (!a) out.set(src.data.subarray(i * size, (i + 1) * size), i * size);
  });
}

/**
 * @internal out = clip(x * scale + shift) with `scale` / `shift` given per image and channel
 * (`n * c` values), for the images in `apply`; the others are copied.
 */
export function linearPerImage(
  src: HostBatch,
  scale: Float64Array,
  shift: Float64Array,
  lo: number,
  hi: number,
  apply: boolean[],
): Float32Array {
  const { data, n, h, w, c } = src;
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const off = i * plane * c;
    if (!apply[i]) {
      out.set(data.subarray(off, off + plane * c), off);
      continue;
    }
    for (let p = 0; p < plane; p++) {
      const base = off + p * c;
      for (let ch = 0; ch < c; ch++) {
        const v = (data[base + ch] as number) * (scale[i * c + ch] as number) + (shift[i * c + ch] as number);
        out[base + ch] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  }
  return out;
}

/** @internal Mean of each image and channel, `n * c` values. */
export function channelMeans(src: HostBatch): Float64Array {
  const { data, n, h, w, c } = src;
  const plane = h * w;
  const m = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const off = i * plane * c;
    for (let p = 0; p < plane; p++)
      for (let ch = 0; ch < c; ch++) m[i * c + ch]! += data[off + p * c + ch] as number;
  }
  for (let k = 0; k < m.length; k++) m[k]! /= plane;
  return m;
}

/** @internal Mirror images horizontally and / or vertically, per image. */
export function flipHost(src: HostBatch, horizontal: boolean[], vertical: boolean[]): Float32Array {
  const { data, n, h, w, c } = src;
  const out = new Float32Array(data.length);
  const row = w * c;
  for (let i = 0; i < n; i++) {
    const off = i * h * row;
    for (let y = 0; y < h; y++) {
      const sy = vertical[i] ? h - 1 - y : y;
      const so = off + sy * row;
      const oo = off + y * row;
      if (!horizontal[i]) {
        out.set(data.subarray(so, so + row), oo);
        continue;
      }
      for (let x = 0; x < w; x++) {
        const sx = so + (w - 1 - x) * c;
        for (let ch = 0; ch < c; ch++) out[oo + x * c + ch] = data[sx + ch] as number;
      }
    }
  }
  return out;
}

/** @internal Crop `[ch, cw]` windows at per-image offsets. */
export function cropHost(
  src: HostBatch,
  tops: number[],
  lefts: number[],
  ch: number,
  cw: number,
): Float32Array {
  const { data, n, h, w, c } = src;
  const out = new Float32Array(n * ch * cw * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < ch; y++) {
      const so = ((i * h + (tops[i] as number) + y) * w + (lefts[i] as number)) * c;
      out.set(data.subarray(so, so + cw * c), (i * ch + y) * cw * c);
    }
  }
  return out;
}

/**
 * @internal Separable Gaussian blur along height then width with normalised `taps`; borders
 * 'reflect' (mirror without repeating the edge; taps beyond one reflection read 0) or 'zero'.
 */
export function blurHost(src: HostBatch, taps: number[], border: 'reflect' | 'zero'): Float32Array {
  const { data, n, h, w, c } = src;
  const r = (taps.length - 1) / 2;
  const tmp = new Float32Array(data.length);
  const out = new Float32Array(data.length);
  const fold = (i: number, len: number): number => {
    if (i >= 0 && i < len) return i;
    if (border === 'zero') return -1;
    const j = i < 0 ? -i : 2 * (len - 1) - i;
    return j >= 0 && j < len ? j : -1;
  };
  const row = w * c;
  // Vertical pass: whole rows at a time (contiguous, so the inner loop is a plain axpy).
  for (let i = 0; i < n; i++) {
    const off = i * h * row;
    for (let y = 0; y < h; y++) {
      const o = off + y * row;
      for (let k = 0; k < taps.length; k++) {
        const yy = fold(y + k - r, h);
        if (yy < 0) continue;
        const t = taps[k] as number;
        const s0 = off + yy * row;
        for (let j = 0; j < row; j++) tmp[o + j]! += t * (data[s0 + j] as number);
      }
    }
  }
  // Horizontal pass: interior columns without bounds checks, borders folded.
  for (let i = 0; i < n * h; i++) {
    const o = i * row;
    for (let x = 0; x < w; x++) {
      const interior = x - r >= 0 && x + r < w;
      for (let k = 0; k < taps.length; k++) {
        const xx = interior ? x + k - r : fold(x + k - r, w);
        if (xx < 0) continue;
        const t = taps[k] as number;
        const s0 = o + xx * c;
        const d0 = o + x * c;
        for (let ch = 0; ch < c; ch++) out[d0 + ch]! += t * (tmp[s0 + ch] as number);
      }
    }
  }
  return out;
}

/** @internal RGB in [0, 1] -> HSV in [0, 1], written into `hsv` (3 values). */
export function rgbToHsvPixel(r: number, g: number, b: number, hsv: Float64Array): void {
  const mx = Math.max(r, g, b);
  const mn = Math.min(r, g, b);
  const d = mx - mn;
  let hh = 0;
  if (d > 0) {
    if (mx === r) hh = (g - b) / d;
    else if (mx === g) hh = (b - r) / d + 2;
    else hh = (r - g) / d + 4;
    hh = (((hh + 6) % 6) + 6) % 6;
  }
  hsv[0] = hh / 6;
  hsv[1] = mx > 0 ? d / mx : 0;
  hsv[2] = mx;
}

/** @internal HSV in [0, 1] -> RGB, written into `rgb`: channel n in (5, 3, 1) is v - v s max(0, min(k, 4 - k, 1)). */
export function hsvToRgbPixel(hh: number, s: number, v: number, rgb: Float64Array): void {
  const vs = v * s;
  for (let q = 0; q < 3; q++) {
    const k = (((hh * 6 + 5 - 2 * q) % 6) + 6) % 6;
    const m = Math.min(k, 4 - k);
    rgb[q] = v - vs * (m < 0 ? 0 : m > 1 ? 1 : m);
  }
}
