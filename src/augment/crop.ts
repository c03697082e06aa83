/**
 * Crops and resizing on NHWC batches (random, central, torchvision `RandomResizedCrop`, fixed
 * resize); an optional segmentation mask is cut and resized with the image (nearest neighbour).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import type { Rng } from '../util/random';
import {
  type Moved,
  type RandomOptions,
  type Sample,
  rngOf,
  toRange,
  transform,
  type Transform,
} from './sample';
import { cropHost, fromHost, toHost } from './host';
import { type Affine, INTERPOLATIONS, type Interpolation, warp } from './warp';

function checkSize(size: unknown, fn: string): [number, number] {
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => Number.isInteger(v) && (v as number) > 0)
  ) {
    throw new Error(
      `${fn}: 'size' must be [height, width] with positive integers; got ${JSON.stringify(size)}`,
    );
  }
  return [size[0] as number, size[1] as number];
}

function cropAt(s: Sample, tops: number[], lefts: number[], h: number, w: number): Moved {
  const take = (t: tf.Tensor4D): tf.Tensor4D => {
    const hb = toHost(t);
    return fromHost(cropHost(hb, tops, lefts, h, w), hb.n, h, w, hb.c);
  };
  const x = take(s.x);
  return s.mask === undefined ? { x } : { x, mask: take(s.mask) };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions extends Pick<RandomOptions, 'seed'> {
  /** Output `[height, width]`, at most the input size. */
  size: [number, number];
}

/**
 * Random crop of a fixed size at a uniform position per image (no resampling). Takes images
 * `[batch, height, width, channels]` or a {@link Sample}; returns `[batch, size[0], size[1], channels]`.
 */
export const randomCrop: Transform<RandomCropOptions> = transform<RandomCropOptions>(
  'randomCrop',
  (s, options) => {
    const fn = 'randomCrop';
    const [ch, cw] = checkSize(options.size, fn);
    const [n, h, w] = s.x.shape;
    if (ch > h || cw > w) throw new Error(`${fn}: 'size' [${ch}, ${cw}] exceeds the image [${h}, ${w}]`);
    const rng = rngOf(options.seed);
    const tops: number[] = [];
    const lefts: number[] = [];
    for (let i = 0; i < n; i++) {
      tops.push(rng.int(h - ch + 1));
      lefts.push(rng.int(w - cw + 1));
    }
    return cropAt(s, tops, lefts, ch, cw);
  },
);

/** Options of {@link centerCrop}. */
export interface CenterCropOptions {
  /** Output `[height, width]`, at most the input size. */
  size: [number, number];
}

/**
 * Central crop of a fixed size (the deterministic counterpart of {@link randomCrop}). Takes
 * images `[batch, height, width, channels]` or a {@link Sample}; returns `[batch, size[0], size[1], channels]`.
 */
export const centerCrop: Transform<CenterCropOptions> = transform<CenterCropOptions>(
  'centerCrop',
  (s, options) => {
    const fn = 'centerCrop';
    const [ch, cw] = checkSize(options.size, fn);
    const [n, h, w] = s.x.shape;
    if (ch > h || cw > w) throw new Error(`${fn}: 'size' [${ch}, ${cw}] exceeds the image [${h}, ${w}]`);
    const top = Math.floor((h - ch) / 2);
    const left = Math.floor((w - cw) / 2);
    return cropAt(s, new Array<number>(n).fill(top), new Array<number>(n).fill(left), ch, cw);
  },
);

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions extends Pick<RandomOptions, 'seed'> {
  /** Output `[height, width]`. */
  size: [number, number];
  /** Range of the crop's area as a fraction of the image's. Default `[0.08, 1]`. */
  scale?: [number, number];
  /** Range of the crop's aspect ratio width / height (drawn log-uniformly). Default `[3/4, 4/3]`. */
  ratio?: [number, number];
  /** Image interpolation (masks use nearest). Default `'bilinear'`. */
  interpolation?: Interpolation;
}

/**
 * torchvision `RandomResizedCrop` (source 002): per image, up to 10 tries draw an area
 * fraction from `scale` and a log-uniform aspect ratio from `ratio`, keep the first box that
 * fits at a uniform position, else fall back to the central crop with the ratio clamped;
 * the box is then resized to `size` (half-pixel centres). Takes images
 * `[batch, height, width, channels]` or a {@link Sample}; returns `[batch, size[0], size[1], channels]`.
 */
export const randomResizedCrop: Transform<RandomResizedCropOptions> = transform<RandomResizedCropOptions>(
  'randomResizedCrop',
  (s, options) => {
    const fn = 'randomResizedCrop';
    const [oh, ow] = checkSize(options.size, fn);
    const scale = toRange(options.scale ?? [0.08, 1], 'scale', fn, { lo: 0 });
    const ratio = toRange(options.ratio ?? [3 / 4, 4 / 3], 'ratio', fn, { lo: 0 });
    if (scale[1] <= 0 || ratio[0] <= 0) throw new Error(`${fn}: 'scale' and 'ratio' must be > 0`);
    const interpolation = options.interpolation ?? 'bilinear';
    checkOneOf(interpolation, INTERPOLATIONS, 'interpolation', fn);
    const rng = rngOf(options.seed);
    const [n, h, w] = s.x.shape;
    const maps: Affine[] = [];
    for (let i = 0; i < n; i++) {
      const [top, left, ch, cw] = drawCropBox(h, w, scale, ratio, rng);
      const sy = ch / oh;
      const sx = cw / ow;
      // Half-pixel centres: output pixel centre (o + 0.5) maps to left + (o + 0.5) * sx.
      maps.push([sx, 0, left + 0.5 * sx - 0.5, 0, sy, top + 0.5 * sy - 0.5]);
    }
    return warp(s, maps, { interpolation, fillMode: 'nearest', fillValue: 0, outputShape: [oh, ow] });
  },
);

/** @internal torchvision's box sampler: returns `[top, left, height, width]`. */
export function drawCropBox(
  h: number,
  w: number,
  scale: [number, number],
  ratio: [number, number],
  rng: Rng,
): [number, number, number, number] {
  const area = h * w;
  const logR = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let t = 0; t < 10; t++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const ar = Math.exp(rng.uniform(logR[0], logR[1]));
    const cw = Math.round(Math.sqrt(target * ar));
    const ch = Math.round(Math.sqrt(target / ar));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      return [rng.int(h - ch + 1), rng.int(w - cw + 1), ch, cw];
    }
  }
  const inRatio = w / h;
  let cw: number;
  let ch: number;
  if (inRatio < ratio[0]) {
    cw = w;
    ch = Math.round(cw / ratio[0]);
  } else if (inRatio > ratio[1]) {
    ch = h;
    cw = Math.round(ch * ratio[1]);
  } else {
    cw = w;
    ch = h;
  }
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** Options of {@link resize}. */
export interface ResizeOptions {
  /** Output `[height, width]`. */
  size: [number, number];
  /** Image interpolation (masks use nearest). Default `'bilinear'`. */
  interpolation?: Interpolation;
}

/**
 * Resize to a fixed size with half-pixel centres (as torchvision / OpenCV); the mask is
 * resized with nearest neighbour so its labels stay integral. Takes images
 * `[batch, height, width, channels]` or a {@link Sample}; returns `[batch, size[0], size[1], channels]`.
 */
export const resize: Transform<ResizeOptions> = transform<ResizeOptions>('resize', (s, options) => {
  const fn = 'resize';
  const size = checkSize(options.size, fn);
  const interpolation = options.interpolation ?? 'bilinear';
  checkOneOf(interpolation, INTERPOLATIONS, 'interpolation', fn);
  return tf.tidy(() => {
    const x =
      interpolation === 'bilinear'
        ? tf.image.resizeBilinear(s.x, size, false, true)
        : tf.image.resizeNearestNeighbor(s.x, size, false, true);
    const mask = s.mask === undefined ? undefined : tf.image.resizeNearestNeighbor(s.mask, size, false, true);
    return { x, mask };
  });
});
