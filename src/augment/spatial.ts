/**
 * Geometric augmentations (flip, rotation, zoom, shear, translation, crops, resize) on NHWC
 * batches, each drawing its parameters per image from a seeded generator and moving an
 * optional segmentation mask with the image (nearest neighbour for the mask).
 * Sources: the flip / rotation / crop / shear / zoom sets of the five source documents;
 * Keras preprocessing layers (rotation "factor", fill modes); torchvision RandomResizedCrop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import type { Rng } from '../util/random';
import {
  type RangeLike,
  type Sample,
  type SeedLike,
  checkProb,
  finish,
  rngOf,
  toRange,
  toSample,
} from './sample';
import { cropHost, flipHost, fromHost, toHost } from './host';
import { type Affine, type FillMode, IDENTITY, type Interpolation, inverseAbout, warp } from './warp';

/** Options shared by every random transform. */
export interface RandomOptions {
  /** Seed or generator; equal seeds give equal outputs. Random when omitted. */
  seed?: SeedLike;
  /** Probability that each image is transformed (per image). */
  prob?: number;
}

/** Options of transforms that resample the image. */
export interface ResampleOptions {
  /** Image interpolation; masks always use nearest neighbour. Default `'bilinear'`. */
  interpolation?: Interpolation;
  /** How points outside the input are filled. Default `'reflect'` (as Keras). */
  fillMode?: FillMode;
  /** Image value for `fillMode: 'constant'` (masks are filled with 0). Default 0. */
  fillValue?: number;
}

const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest'];
const FILL_MODES: readonly FillMode[] = ['constant', 'reflect', 'wrap', 'nearest'];

function checkResample(o: ResampleOptions, fn: string): Required<ResampleOptions> {
  const { interpolation = 'bilinear', fillMode = 'reflect', fillValue = 0 } = o;
  checkOneOf(interpolation, INTERPOLATIONS, 'interpolation', fn);
  checkOneOf(fillMode, FILL_MODES, 'fillMode', fn);
  if (!Number.isFinite(fillValue))
    throw new Error(`${fn}: 'fillValue' must be a finite number; got ${fillValue}`);
  return { interpolation, fillMode, fillValue };
}

/** Which axes {@link flip} may flip. */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

/** Options of {@link flip}. */
export interface FlipOptions extends RandomOptions {
  /** Axes to flip; with both, each axis is decided independently. Default `'horizontal'`. */
  mode?: FlipMode;
}

/**
 * Random horizontal and/or vertical flip, each image and axis flipped with probability
 * `prob` (default 0.5; source 002 uses 0.7). Exact: pixels are moved, never interpolated.
 * @param input images `[batch, height, width, channels]` or a {@link Sample} (mask flipped alike).
 * @returns a new tensor or sample of the same shape.
 */
export function flip(input: tf.Tensor4D, options?: FlipOptions): tf.Tensor4D;
export function flip(input: Sample, options?: FlipOptions): Sample;
export function flip(input: tf.Tensor4D | Sample, options: FlipOptions = {}): tf.Tensor4D | Sample {
  const fn = 'flip';
  const s = toSample(input, fn);
  const { mode = 'horizontal', prob = 0.5, seed } = options;
  checkOneOf(mode, ['horizontal', 'vertical', 'horizontal_and_vertical'] as const, 'mode', fn);
  checkProb(prob, 'prob', fn);
  const rng = rngOf(seed);
  const n = s.x.shape[0];
  const draw = (): boolean[] => Array.from({ length: n }, () => rng.bernoulli(prob));
  const none = new Array<boolean>(n).fill(false);
  const horizontal = mode === 'vertical' ? none : draw();
  const vertical = mode === 'horizontal' ? none : draw();
  const move = (t: tf.Tensor4D): tf.Tensor4D => {
    const hb = toHost(t);
    return fromHost(flipHost(hb, horizontal, vertical), hb.n, hb.h, hb.w, hb.c);
  };
  return finish(input, move(s.x), s.mask === undefined ? undefined : move(s.mask));
}

/** Options of {@link affine}: every part defaults to the identity. */
export interface AffineOptions extends RandomOptions, ResampleOptions {
  /** Rotation in degrees: a range, or `v` meaning `[-v, v]`. Positive is counter-clockwise. */
  degrees?: RangeLike;
  /**
   * Rotation as a fraction of a full turn (the Keras `RandomRotation(factor)` form; source
   * 000 uses 0.2, i.e. up to +-72 degrees). Give `degrees` or `factor`, not both.
   */
  factor?: RangeLike;
  /** Zoom: a `[min, max]` range of scale factors (> 1 magnifies). Default `[1, 1]`. */
  scale?: RangeLike;
  /** Draw the vertical scale independently of the horizontal one. Default `false`. */
  anisotropic?: boolean;
  /** Horizontal shear angle in degrees: a range, or `v` meaning `[-v, v]`. */
  shear?: RangeLike;
  /** Vertical shear angle in degrees, like `shear`. */
  shearY?: RangeLike;
  /** Vertical shift as a fraction of the height: a range, or `v` meaning `[-v, v]`. */
  translateY?: RangeLike;
  /** Horizontal shift as a fraction of the width: a range, or `v` meaning `[-v, v]`. */
  translateX?: RangeLike;
}

interface AffineRanges {
  rot: [number, number];
  scale: [number, number];
  shear: [number, number];
  shearY: [number, number];
  ty: [number, number];
  tx: [number, number];
}

function affineRanges(o: AffineOptions, fn: string): AffineRanges {
  if (o.degrees !== undefined && o.factor !== undefined) {
    throw new Error(`${fn}: give either 'degrees' or 'factor', not both`);
  }
  const rot: [number, number] =
    o.factor !== undefined
      ? (toRange(o.factor, 'factor', fn).map((f) => f * 360) as [number, number])
      : toRange(o.degrees ?? 0, 'degrees', fn);
  const scale = toRange(o.scale ?? [1, 1], 'scale', fn);
  if (scale[0] <= 0) throw new Error(`${fn}: 'scale' must be > 0; got [${scale[0]}, ${scale[1]}]`);
  const shear = toRange(o.shear ?? 0, 'shear', fn, { lo: -89, hi: 89 });
  const shearY = toRange(o.shearY ?? 0, 'shearY', fn, { lo: -89, hi: 89 });
  const ty = toRange(o.translateY ?? 0, 'translateY', fn);
  const tx = toRange(o.translateX ?? 0, 'translateX', fn);
  return { rot, scale, shear, shearY, ty, tx };
}

function drawAffine(r: AffineRanges, anisotropic: boolean, h: number, w: number, rng: Rng): Affine {
  const rad = (deg: number): number => (deg * Math.PI) / 180;
  const theta = rad(rng.uniform(r.rot[0], r.rot[1]));
  const zx = rng.uniform(r.scale[0], r.scale[1]);
  const zy = anisotropic ? rng.uniform(r.scale[0], r.scale[1]) : zx;
  const kx = Math.tan(rad(rng.uniform(r.shear[0], r.shear[1])));
  const ky = Math.tan(rad(rng.uniform(r.shearY[0], r.shearY[1])));
  const ty = rng.uniform(r.ty[0], r.ty[1]) * h;
  const tx = rng.uniform(r.tx[0], r.tx[1]) * w;
  // Forward linear part R * Sh * Z; R chosen so its inverse is Keras's rotation matrix.
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const sh = [1, kx, ky, 1];
  const rs = [
    c * sh[0]! + s * sh[2]!,
    c * sh[1]! + s * sh[3]!,
    -s * sh[0]! + c * sh[2]!,
    -s * sh[1]! + c * sh[3]!,
  ];
  const m: [number, number, number, number] = [rs[0]! * zx, rs[1]! * zy, rs[2]! * zx, rs[3]! * zy];
  return inverseAbout(m, tx, ty, h, w);
}

/**
 * Random affine transform about the image centre: rotation, zoom, shear and translation,
 * drawn per image, composed as translate * rotate * shear * scale and applied in a single
 * resampling (so chained geometric changes cost one interpolation).
 * @param input images `[batch, height, width, channels]` or a {@link Sample} (mask warped alike, nearest).
 * @returns a new tensor or sample of the same shape.
 */
export function affine(input: tf.Tensor4D, options?: AffineOptions): tf.Tensor4D;
export function affine(input: Sample, options?: AffineOptions): Sample;
export function affine(input: tf.Tensor4D | Sample, options: AffineOptions = {}): tf.Tensor4D | Sample {
  return affineImpl(input, options, 'affine');
}

function affineImpl(input: tf.Tensor4D | Sample, options: AffineOptions, fn: string): tf.Tensor4D | Sample {
  const s = toSample(input, fn);
  const { prob = 1, seed, anisotropic = false } = options;
  checkProb(prob, 'prob', fn);
  const res = checkResample(options, fn);
  const ranges = affineRanges(options, fn);
  const rng = rngOf(seed);
  const [n, h, w] = s.x.shape;
  const maps = Array.from({ length: n }, () => {
    const m = drawAffine(ranges, anisotropic, h, w, rng);
    return rng.bernoulli(prob) ? m : IDENTITY;
  });
  const out = warp(s, maps, res);
  return finish(input, out.x, out.mask);
}

/** Options of {@link rotate}. */
export interface RotateOptions extends RandomOptions, ResampleOptions {
  /** Angle in degrees: a range, or `v` meaning `[-v, v]`. Positive is counter-clockwise. */
  degrees?: RangeLike;
  /** Angle as a fraction of a full turn, the Keras `RandomRotation(factor)` form (000 uses 0.2). */
  factor?: RangeLike;
}

/**
 * Random rotation about the image centre (Keras `RandomRotation` semantics: `factor` f means an
 * angle uniform in [-f * 360, f * 360] degrees). One of `degrees` or `factor` is required.
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 */
export function rotate(input: tf.Tensor4D, options: RotateOptions): tf.Tensor4D;
export function rotate(input: Sample, options: RotateOptions): Sample;
export function rotate(input: tf.Tensor4D | Sample, options: RotateOptions): tf.Tensor4D | Sample {
  if (options?.degrees === undefined && options?.factor === undefined) {
    throw new Error(`rotate: give 'degrees' or 'factor'`);
  }
  return affineImpl(input, options, 'rotate');
}

/** Options of {@link zoom}. */
export interface ZoomOptions extends RandomOptions, ResampleOptions {
  /** Scale factors `[min, max]` (> 1 magnifies, < 1 shrinks). Default `[0.8, 1.2]`. */
  scale?: RangeLike;
  /** Draw the vertical scale independently. Default `false`. */
  anisotropic?: boolean;
}

/**
 * Random zoom about the centre: outward (> 1) crops and enlarges, inward (< 1) shrinks and
 * fills the border by `fillMode` (source 001's "outward / inward scaling").
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 */
export function zoom(input: tf.Tensor4D, options?: ZoomOptions): tf.Tensor4D;
export function zoom(input: Sample, options?: ZoomOptions): Sample;
export function zoom(input: tf.Tensor4D | Sample, options: ZoomOptions = {}): tf.Tensor4D | Sample {
  return affineImpl(input, { ...options, scale: options.scale ?? [0.8, 1.2] }, 'zoom');
}

/** Options of {@link shear}. */
export interface ShearOptions extends RandomOptions, ResampleOptions {
  /** Horizontal shear angle in degrees: a range, or `v` meaning `[-v, v]`. Default 10. */
  degrees?: RangeLike;
  /** Vertical shear angle in degrees. Default 0. */
  degreesY?: RangeLike;
}

/**
 * Random shear about the centre (imgaug `Affine(shear)` as used by source 003):
 * x' = x + tan(angle) * y.
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 */
export function shear(input: tf.Tensor4D, options?: ShearOptions): tf.Tensor4D;
export function shear(input: Sample, options?: ShearOptions): Sample;
export function shear(input: tf.Tensor4D | Sample, options: ShearOptions = {}): tf.Tensor4D | Sample {
  const { degrees = 10, degreesY = 0, ...rest } = options;
  return affineImpl(input, { ...rest, shear: degrees, shearY: degreesY }, 'shear');
}

/** Options of {@link translate}. */
export interface TranslateOptions extends RandomOptions, ResampleOptions {
  /** Vertical shift as a fraction of the height: a range, or `v` meaning `[-v, v]`. Default 0.1. */
  height?: RangeLike;
  /** Horizontal shift as a fraction of the width. Default 0.1. */
  width?: RangeLike;
}

/**
 * Random shift (Keras `RandomTranslation(heightFactor, widthFactor)`; source 001's "shift").
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 */
export function translate(input: tf.Tensor4D, options?: TranslateOptions): tf.Tensor4D;
export function translate(input: Sample, options?: TranslateOptions): Sample;
export function translate(input: tf.Tensor4D | Sample, options: TranslateOptions = {}): tf.Tensor4D | Sample {
  const { height = 0.1, width = 0.1, ...rest } = options;
  return affineImpl(input, { ...rest, translateY: height, translateX: width }, 'translate');
}

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

function cropAt(
  s: Sample,
  tops: number[],
  lefts: number[],
  h: number,
  w: number,
): { x: tf.Tensor4D; mask?: tf.Tensor4D } {
  const take = (t: tf.Tensor4D): tf.Tensor4D => {
    const hb = toHost(t);
    return fromHost(cropHost(hb, tops, lefts, h, w), hb.n, h, w, hb.c);
  };
  const x = take(s.x);
  return s.mask === undefined ? { x } : { x, mask: take(s.mask) };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Output `[height, width]`, at most the input size. */
  size: [number, number];
  /** Seed or generator. */
  seed?: SeedLike;
}

/**
 * Random crop of a fixed size at a uniform position per image (no resampling).
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 * @returns `[batch, size[0], size[1], channels]`.
 */
export function randomCrop(input: tf.Tensor4D, options: RandomCropOptions): tf.Tensor4D;
export function randomCrop(input: Sample, options: RandomCropOptions): Sample;
export function randomCrop(input: tf.Tensor4D | Sample, options: RandomCropOptions): tf.Tensor4D | Sample {
  const fn = 'randomCrop';
  const s = toSample(input, fn);
  const [ch, cw] = checkSize(options?.size, fn);
  const [n, h, w] = s.x.shape;
  if (ch > h || cw > w) throw new Error(`${fn}: 'size' [${ch}, ${cw}] exceeds the image [${h}, ${w}]`);
  const rng = rngOf(options.seed);
  const tops: number[] = [];
  const lefts: number[] = [];
  for (let i = 0; i < n; i++) {
    tops.push(rng.int(h - ch + 1));
    lefts.push(rng.int(w - cw + 1));
  }
  const out = cropAt(s, tops, lefts, ch, cw);
  return finish(input, out.x, out.mask);
}

/**
 * Central crop of a fixed size (the deterministic counterpart of {@link randomCrop}).
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 * @returns `[batch, size[0], size[1], channels]`.
 */
export function centerCrop(input: tf.Tensor4D, options: { size: [number, number] }): tf.Tensor4D;
export function centerCrop(input: Sample, options: { size: [number, number] }): Sample;
export function centerCrop(
  input: tf.Tensor4D | Sample,
  options: { size: [number, number] },
): tf.Tensor4D | Sample {
  const fn = 'centerCrop';
  const s = toSample(input, fn);
  const [ch, cw] = checkSize(options?.size, fn);
  const [n, h, w] = s.x.shape;
  if (ch > h || cw > w) throw new Error(`${fn}: 'size' [${ch}, ${cw}] exceeds the image [${h}, ${w}]`);
  const top = Math.floor((h - ch) / 2);
  const left = Math.floor((w - cw) / 2);
  const out = cropAt(s, new Array<number>(n).fill(top), new Array<number>(n).fill(left), ch, cw);
  return finish(input, out.x, out.mask);
}

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Output `[height, width]`. */
  size: [number, number];
  /** Range of the crop's area as a fraction of the image's. Default `[0.08, 1]`. */
  scale?: [number, number];
  /** Range of the crop's aspect ratio width / height (drawn log-uniformly). Default `[3/4, 4/3]`. */
  ratio?: [number, number];
  /** Image interpolation (masks use nearest). Default `'bilinear'`. */
  interpolation?: Interpolation;
  /** Seed or generator. */
  seed?: SeedLike;
}

/**
 * torchvision `RandomResizedCrop` (source 002): per image, up to 10 tries draw an area
 * fraction from `scale` and a log-uniform aspect ratio from `ratio`, keep the first box that
 * fits at a uniform position, else fall back to the central crop with the ratio clamped;
 * the box is then resized to `size` (half-pixel centres).
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 * @returns `[batch, size[0], size[1], channels]`.
 */
export function randomResizedCrop(input: tf.Tensor4D, options: RandomResizedCropOptions): tf.Tensor4D;
export function randomResizedCrop(input: Sample, options: RandomResizedCropOptions): Sample;
export function randomResizedCrop(
  input: tf.Tensor4D | Sample,
  options: RandomResizedCropOptions,
): tf.Tensor4D | Sample {
  const fn = 'randomResizedCrop';
  const s = toSample(input, fn);
  const [oh, ow] = checkSize(options?.size, fn);
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
  const out = warp(s, maps, { interpolation, fillMode: 'nearest', fillValue: 0, outputShape: [oh, ow] });
  return finish(input, out.x, out.mask);
}

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
 * resized with nearest neighbour so its labels stay integral.
 * @param input images `[batch, height, width, channels]` or a {@link Sample}.
 * @returns `[batch, size[0], size[1], channels]`.
 */
export function resize(input: tf.Tensor4D, options: ResizeOptions): tf.Tensor4D;
export function resize(input: Sample, options: ResizeOptions): Sample;
export function resize(input: tf.Tensor4D | Sample, options: ResizeOptions): tf.Tensor4D | Sample {
  const fn = 'resize';
  const s = toSample(input, fn);
  const size = checkSize(options?.size, fn);
  const interpolation = options.interpolation ?? 'bilinear';
  checkOneOf(interpolation, INTERPOLATIONS, 'interpolation', fn);
  const out = tf.tidy(() => {
    const x =
      interpolation === 'bilinear'
        ? tf.image.resizeBilinear(s.x, size, false, true)
        : tf.image.resizeNearestNeighbor(s.x, size, false, true);
    const mask = s.mask === undefined ? undefined : tf.image.resizeNearestNeighbor(s.mask, size, false, true);
    return { x, mask };
  });
  return finish(input, out.x, out.mask);
}
