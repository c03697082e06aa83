/**
 * Mosaic (Bochkovskiy et al. 2020, YOLOv4; source 001): four images tiled in a 2x2 grid
 * around a random centre, each resized into its cell, labels mixed by cell area.
 */
import * as tf from '@tensorflow/tfjs-core';
import { toOneHot } from './labels';
import type { MixResult, MixedSample } from './mix';
import { parseMixArgs } from './mix';
import { rngOf, type Sample, type SeedLike } from './sample';
import { type Affine, warp } from './warp';

/** Options of {@link mosaic}. */
export interface MosaicOptions {
  /** Range of the grid centre as a fraction of height and width. Default `[0.25, 0.75]`. */
  offset?: [number, number];
  /** Seed or generator. */
  seed?: SeedLike;
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
  const out = tf.tidy(() => {
    const tiles: { x: tf.Tensor4D; mask?: tf.Tensor4D }[] = [];
    for (let q = 0; q < 4; q++) {
      const idx = tf.tensor1d(
        sources.map((s) => s[q] as number),
        'int32',
      );
      const src: Sample = { x: tf.gather(p.x, idx) };
      if (p.mask !== undefined) src.mask = tf.gather(p.mask, idx);
      const maps: Affine[] = [];
      for (let i = 0; i < n; i++) {
        const [r0, ch, c0, cw] = cell(i, q);
        const sy = h / ch;
        const sx = w / cw;
        // Output pixel centre (o + 0.5) in the cell maps to (o - origin + 0.5) * scale in the source.
        maps.push([sx, 0, (0.5 - c0) * sx - 0.5, 0, sy, (0.5 - r0) * sy - 0.5]);
      }
      tiles.push(warp(src, maps, { interpolation: 'bilinear', fillMode: 'nearest', fillValue: 0 }));
    }
    const cy = tf.tensor4d(
      centres.map((c) => c[0]),
      [n, 1, 1, 1],
    );
    const cx = tf.tensor4d(
      centres.map((c) => c[1]),
      [n, 1, 1, 1],
    );
    const top = tf.less(tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1, 1]), cy);
    const left = tf.less(tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w, 1]), cx);
    const pick = (k: 'x' | 'mask', chans: number): tf.Tensor4D => {
      const shape = [n, h, w, chans];
      const t = tf.broadcastTo(top, shape);
      const l = tf.broadcastTo(left, shape);
      const get = (q: number): tf.Tensor4D => tiles[q]![k] as tf.Tensor4D;
      return tf.where(t, tf.where(l, get(0), get(1)), tf.where(l, get(2), get(3))) as tf.Tensor4D;
    };
    const x = pick('x', p.x.shape[3]);
    const mask = p.mask === undefined ? undefined : pick('mask', p.mask.shape[3]);
    let yMixed: tf.Tensor2D | undefined;
    if (p.y !== undefined) {
      const oh = toOneHot(p.y, opts.classes, fn);
      const rows = sources.map((src, i) => {
        const r = new Array<number>(n).fill(0);
        src.forEach((j, q) => (r[j]! += weights[i]![q]!));
        return r;
      });
      yMixed = tf.matMul(tf.tensor2d(rows, [n, n]), oh) as tf.Tensor2D;
    }
    return { x, mask, y: yMixed };
  });
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
