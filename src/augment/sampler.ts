/**
 * A host-side (typed-array) projective sampler with the semantics of TensorFlow's
 * `ImageProjectiveTransformV3`, the kernel behind `tf.image.transform`: each output pixel's
 * source coordinate is folded into the image by the fill mode, then read with nearest or
 * bilinear interpolation, neighbours outside the image reading `fillValue`. Used on cpu
 * (whose 4.x kernel processes only the first image of a batch) and wasm (whose kernel folds
 * `'reflect'` coordinates wrongly); both keep their tensors in host memory anyway.
 */
import type { HostBatch } from './host';

/** How pixels between grid points are read. */
export type Interpolation = 'bilinear' | 'nearest';
/** How points outside the image are filled (the modes of `tf.image.transform` and Keras). */
export type FillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';

/** @internal A 2x3 affine map `[a, b, c, d, e, f]`: (x, y) -> (a x + b y + c, d x + e y + f). */
export type Affine = [number, number, number, number, number, number];

/** Fold coordinate `v` into [0, len - 1] as the kernel's fill modes do (TF image_ops.h). */
export function mapCoord(v: number, len: number, mode: FillMode): number {
  if (mode === 'constant') return v;
  if (len <= 1) return 0;
  let out = v;
  if (mode === 'reflect') {
    // [abcd] -> [dcba|abcd|dcba]
    const sz2 = 2 * len;
    if (out < 0) {
      out = sz2 * Math.trunc(-out / sz2) + out;
      out = out < -len ? out + sz2 : -out - 1;
    } else if (out > len - 1) {
      out -= sz2 * Math.trunc(out / sz2);
      if (out >= len) out = sz2 - out - 1;
    }
  } else if (mode === 'wrap') {
    // [abcd] -> [abcd|abcd|abcd], with the kernel's (len - 1) period quirk kept for parity.
    const sz = len - 1;
    if (out < 0) out += len * (Math.trunc(-out / sz) + 1);
    else if (out > len - 1) out -= len * Math.trunc(out / sz);
  }
  return out < 0 ? 0 : out > len - 1 ? len - 1 : out;
}

/**
 * @internal Apply one output->input affine map per image: `[n, h, w, c]` -> `[n, oh, ow, c]`.
 */
export function transformHost(
  src: HostBatch,
  maps: Affine[],
  interpolation: Interpolation,
  fillMode: FillMode,
  fillValue: number,
  outputShape?: [number, number],
): Float32Array {
  const { data, n, h, w, c } = src;
  const [oh, ow] = outputShape ?? [h, w];
  const out = new Float32Array(n * oh * ow * c);
  const read = (base: number, y: number, x: number, ch: number): number =>
    y >= 0 && y < h && x >= 0 && x < w ? (data[base + (y * w + x) * c + ch] as number) : fillValue;
  for (let i = 0; i < n; i++) {
    const [a, b, cc, d, e, f] = maps[i] as Affine;
    const base = i * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const x = mapCoord(a * ox + b * oy + cc, w, fillMode);
        const y = mapCoord(d * ox + e * oy + f, h, fillMode);
        const o = ((i * oh + oy) * ow + ox) * c;
        if (interpolation === 'nearest') {
          const ry = Math.round(y);
          const rx = Math.round(x);
          if (ry >= 0 && ry < h && rx >= 0 && rx < w) {
            const p = base + (ry * w + rx) * c;
            for (let ch = 0; ch < c; ch++) out[o + ch] = data[p + ch] as number;
          } else {
            for (let ch = 0; ch < c; ch++) out[o + ch] = fillValue;
          }
          continue;
        }
        const y0 = Math.floor(y);
        const x0 = Math.floor(x);
        const y1 = y0 + 1;
        const x1 = x0 + 1;
        const inside = y0 >= 0 && y1 < h && x0 >= 0 && x1 < w;
        for (let ch = 0; ch < c; ch++) {
          let top: number;
          let bottom: number;
          if (inside) {
            const p00 = base + (y0 * w + x0) * c + ch;
            const p10 = p00 + w * c;
            top = (x1 - x) * (data[p00] as number) + (x - x0) * (data[p00 + c] as number);
            bottom = (x1 - x) * (data[p10] as number) + (x - x0) * (data[p10 + c] as number);
          } else {
            top = (x1 - x) * read(base, y0, x0, ch) + (x - x0) * read(base, y0, x1, ch);
            bottom = (x1 - x) * read(base, y1, x0, ch) + (x - x0) * read(base, y1, x1, ch);
          }
          out[o + ch] = (y1 - y) * top + (y - y0) * bottom;
        }
      }
    }
  }
  return out;
}
