/**
 * Mosaic (Bochkovskiy et al. 2020, YOLOv4; source 001): four images tiled in a 2x2 grid
 * around a random centre, each resized into its cell, labels mixed by cell area.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fromHost, toHost } from './host';
import { toOneHot } from './labels';
import type { MixResult, MixedSample } from './mix';
import { parseMixArgs } from './mix';
import { type RandomOptions, rngOf, type Sample } from './sample';

/** Options of {@link mosaic}. */
export interface MosaicOptions extends Pick<RandomOptions, 'seed'> {
  /** Range of the grid centre as a fraction of height and width. Default `[0.25, 0.75]`. */
  offset?: [number, number];
  /** Number of classes, required when `y` holds class indices `[batch]`. */
  classes?: number;
  /** Segmentation mask `[batch, height, width, channels]`, tiled like the images (nearest). */
  mask?: tf.Tensor4D;
}

/** What {@link mosaic} returns: a {@link MixResult} plus each output's four sources and weights. */
export interface MosaicResult extends MixResult {
  /** Source images of each output: top-left (the image itself), top-right, bottom-left, bottom-right. */
  sources: number[][];
  /** Area share of each source cell; each row sums to 1 and `lambda[i] = weights[i][0]`. */
  weights: number[][];
}

/**
 * Mosaic: output i tiles image i (top-left) and three images drawn from the batch around a
 * centre (cy, cx), each uniform within `offset` of the side and rounded to whole pixels; each
 * source is resized (bilinear, half-pixel centres) into its cell, and the labels are the
 * cell-area-weighted sum of the four one-hot labels. A mask is tiled with nearest neighbour.
 * @param x images `[batch, height, width, channels]`, height and width at least 2.
 * @param y labels `[batch, classes]` one-hot, or `[batch]` class indices with `options.classes`.
 */
export function mosaic(x: tf.Tensor4D, y: tf.Tensor, options?: MosaicOptions): MosaicResult;
/** The pipeline form: labels from `sample.y` (optional), mask from `sample.mask`. */
export function mosaic(
  sample: Sample,
  options?: MosaicOptions,
): MixedSample & Pick<MosaicResult, 'sources' | 'weights'>;
export function mosaic(
  a: tf.Tensor4D | Sample,
  b?: tf.Tensor | MosaicOptions,
  c?: MosaicOptions,
): MosaicResult | (MixedSample & Pick<MosaicResult, 'sources' | 'weights'>) {
  const fn = 'mosaic';
  const p = parseMixArgs(a, b, c, fn);
  const opts = p.opts as MosaicOptions;
  const offset = opts.offset ?? [0.25, 0.75];
  if (
    !Array.isArray(offset) ||
    offset.length !== 2 ||
    !(offset[0] >= 0 && offset[0] <= offset[1] && offset[1] <= 1)
  ) {
    throw new Error(
      `${fn}: 'offset' must be [min, max] with 0 <= min <= max <= 1; got ${JSON.stringify(offset)}`,
    );
  }
  const [n, h, w] = p.x.shape;
  if (h < 2 || w < 2) throw new Error(`${fn}: images must be at least 2x2; got ${h}x${w}`);
  const rng = rngOf(opts.seed);
  const sources: number[][] = [];
  const weights: number[][] = [];
  const centres: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const cy = Math.min(h - 1, Math.max(1, Math.round(h * rng.uniform(offset[0], offset[1]))));
    const cx = Math.min(w - 1, Math.max(1, Math.round(w * rng.uniform(offset[0], offset[1]))));
    centres.push([cy, cx]);
    sources.push([i, rng.int(n), rng.int(n), rng.int(n)]);
    const hs = [cy, cy, h - cy, h - cy];
    const ws = [cx, w - cx, cx, w - cx];
    weights.push(hs.map((hh, q) => (hh * (ws[q] as number)) / (h * w)));
  }
  // Cell q of output i spans rows [r0, r0 + ch) and columns [c0, c0 + cw).
  const cell = (i: number, q: number): [number, number, number, number] => {
    const [cy, cx] = centres[i] as [number, number];
    const r0 = q < 2 ? 0 : cy;
    const c0 = q % 2 === 0 ? 0 : cx;
    return [r0, q < 2 ? cy : h - cy, c0, q % 2 === 0 ? cx : w - cx];
  };
  const tile = (t: tf.Tensor4D, nearest: boolean): tf.Tensor4D => {
    const src = toHost(t);
    const c = src.c;
    const out = new Float32Array(src.data.length);
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < 4; q++) {
        const [r0, ch, c0, cw] = cell(i, q);
        const base = (sources[i]![q] as number) * h * w;
        // Output pixel centre (o + 0.5) in the cell maps to (o - origin + 0.5) * scale - 0.5 in the source.
        for (let oy = 0; oy < ch; oy++) {
          const sy = Math.min(Math.max((oy + 0.5) * (h / ch) - 0.5, 0), h - 1);
          const y0 = nearest ? Math.round(sy) : Math.floor(sy);
          const y1 = Math.min(y0 + 1, h - 1);
          const fy = sy - y0;
          for (let ox = 0; ox < cw; ox++) {
            const sx = Math.min(Math.max((ox + 0.5) * (w / cw) - 0.5, 0), w - 1);
            const o = ((i * h + r0 + oy) * w + c0 + ox) * c;
            if (nearest) {
              const pIdx = (base + y0 * w + Math.round(sx)) * c;
              for (let k = 0; k < c; k++) out[o + k] = src.data[pIdx + k] as number;
              continue;
            }
            const x0 = Math.floor(sx);
            const x1 = Math.min(x0 + 1, w - 1);
            const fx = sx - x0;
            const a00 = (base + y0 * w + x0) * c;
            const a01 = (base + y0 * w + x1) * c;
            const a10 = (base + y1 * w + x0) * c;
            const a11 = (base + y1 * w + x1) * c;
            for (let k = 0; k < c; k++) {
              const top = (src.data[a00 + k] as number) * (1 - fx) + (src.data[a01 + k] as number) * fx;
              const bot = (src.data[a10 + k] as number) * (1 - fx) + (src.data[a11 + k] as number) * fx;
              out[o + k] = top * (1 - fy) + bot * fy;
            }
          }
        }
      }
    }
    return fromHost(out, n, h, w, c);
  };
  // Labels first: their validation may throw, and no image tensor exists yet.
  const out = {
    y:
      p.y === undefined
        ? undefined
        : tf.tidy(() => {
            const oh = toOneHot(p.y!, opts.classes, fn);
            const rows = sources.map((src, i) => {
              const r = new Array<number>(n).fill(0);
              src.forEach((j, q) => (r[j]! += weights[i]![q]!));
              return r;
            });
            return tf.matMul(tf.tensor2d(rows, [n, n]), oh) as tf.Tensor2D;
          }),
    x: undefined as unknown as tf.Tensor4D,
    mask: undefined as tf.Tensor4D | undefined,
  };
  out.x = tile(p.x, false);
  if (p.mask !== undefined) out.mask = tile(p.mask, true);
  const res = {
    x: out.x,
    lambda: weights.map((w4) => w4[0] as number),
    index: sources.map((s) => s[1] as number),
    sources,
    weights,
  } as MosaicResult;
  if (out.y !== undefined) res.y = out.y;
  if (out.mask !== undefined) res.mask = out.mask;
  return res;
}
