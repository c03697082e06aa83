/**
 * Affine augmentations (rotation, zoom, shear, translation, and all four at once) on NHWC
 * batches, drawn per image from a seeded generator, applied in one resampling about the image
 * centre; an optional segmentation mask moves with the image (nearest neighbour).
 * One vocabulary: every option of {@link rotate}, {@link zoom}, {@link shear} and
 * {@link translate} is also an option of {@link affine}, with the same name and meaning.
 * Sources: Keras preprocessing layers (rotation "factor", fill modes), imgaug `Affine(shear)`.
 */
import type { Rng } from '../util/random';
import {
  type Moved,
  type RandomOptions,
  type RangeLike,
  type Sample,
  checkProb,
  rngOf,
  toRange,
  transform,
  type Transform,
} from './sample';
import { type Affine, IDENTITY, type ResampleOptions, checkResample, inverseAbout, warp } from './warp';

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

/** The one affine sampler behind every transform of this file. */
function affineBody(s: Sample, options: AffineOptions, fn: string): Moved {
  const { prob = 1, seed, anisotropic = false } = options;
  checkProb(prob, 'prob', fn);
  const res = checkResample(options, fn);
  const ranges = affineRanges(options, fn);
  const rng = rngOf(seed);
  const [n, h, w] = s.x.shape;
  const maps = Array.from({ length: n }, (): Affine => {
    const m = drawAffine(ranges, anisotropic, h, w, rng);
    return rng.bernoulli(prob) ? m : IDENTITY;
  });
  return warp(s, maps, res);
}

/**
 * Random affine transform about the image centre: rotation, zoom, shear and translation,
 * drawn per image, composed as translate * rotate * shear * scale and applied in a single
 * resampling (so chained geometric changes cost one interpolation). Takes images
 * `[batch, height, width, channels]` or a {@link Sample} (mask warped alike, nearest) and
 * returns a new tensor or sample of the same shape.
 */
export const affine: Transform<AffineOptions> = transform<AffineOptions>('affine', (s, o) =>
  affineBody(s, o, 'affine'),
);

/** Options of {@link rotate}: the rotation options of {@link AffineOptions}. One is required. */
export interface RotateOptions extends RandomOptions, ResampleOptions {
  /** Angle in degrees: a range, or `v` meaning `[-v, v]`. Positive is counter-clockwise. */
  degrees?: RangeLike;
  /** Angle as a fraction of a full turn, the Keras `RandomRotation(factor)` form (000 uses 0.2). */
  factor?: RangeLike;
}

/**
 * Random rotation about the image centre (Keras `RandomRotation` semantics: `factor` f means an
 * angle uniform in [-f * 360, f * 360] degrees). One of `degrees` or `factor` is required.
 * Takes images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const rotate: Transform<RotateOptions> = transform<RotateOptions>('rotate', (s, o) => {
  if (o.degrees === undefined && o.factor === undefined) {
    throw new Error(`rotate: give 'degrees' or 'factor'`);
  }
  return affineBody(s, o, 'rotate');
});

/** Options of {@link zoom}: the zoom options of {@link AffineOptions}. */
export interface ZoomOptions extends RandomOptions, ResampleOptions {
  /** Scale factors `[min, max]` (> 1 magnifies, < 1 shrinks). Default `[0.8, 1.2]`. */
  scale?: RangeLike;
  /** Draw the vertical scale independently. Default `false`. */
  anisotropic?: boolean;
}

/**
 * Random zoom about the centre: outward (> 1) crops and enlarges, inward (< 1) shrinks and
 * fills the border by `fillMode` (source 001's "outward / inward scaling").
 * Takes images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const zoom: Transform<ZoomOptions> = transform<ZoomOptions>('zoom', (s, o) =>
  affineBody(s, { ...o, scale: o.scale ?? [0.8, 1.2] }, 'zoom'),
);

/** Options of {@link shear}: the shear options of {@link AffineOptions}. */
export interface ShearOptions extends RandomOptions, ResampleOptions {
  /** Horizontal shear angle in degrees: a range, or `v` meaning `[-v, v]`. Default 10. */
  shear?: RangeLike;
  /** Vertical shear angle in degrees, like `shear`. Default 0. */
  shearY?: RangeLike;
  /**
   * @deprecated Renamed `shear` (the name {@link affine} uses, where `degrees` is the
   * rotation); kept for one release.
   */
  degrees?: RangeLike;
  /** @deprecated Renamed `shearY`; kept for one release. */
  degreesY?: RangeLike;
}

/** Resolve a deprecated option name: either may be given, both is an error. */
function renamed<T>(o: object, now: string, old: string, fn: string): T | undefined {
  const rec = o as Record<string, unknown>;
  if (rec[old] !== undefined && rec[now] !== undefined) {
    throw new Error(`${fn}: give '${now}' or its deprecated alias '${old}', not both`);
  }
  return (rec[now] ?? rec[old]) as T | undefined;
}

/**
 * Random shear about the centre (imgaug `Affine(shear)` as used by source 003):
 * x' = x + tan(angle) * y. Takes images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const shear: Transform<ShearOptions> = transform<ShearOptions>('shear', (s, o) => {
  const fn = 'shear';
  const sx = renamed<RangeLike>(o, 'shear', 'degrees', fn) ?? 10;
  const sy = renamed<RangeLike>(o, 'shearY', 'degreesY', fn) ?? 0;
  // `degrees` is the rotation in AffineOptions: never pass the old alias through.
  return affineBody(
    s,
    { ...o, degrees: undefined, degreesY: undefined, shear: sx, shearY: sy } as AffineOptions,
    fn,
  );
});

/** Options of {@link translate}: the translation options of {@link AffineOptions}. */
export interface TranslateOptions extends RandomOptions, ResampleOptions {
  /** Vertical shift as a fraction of the height: a range, or `v` meaning `[-v, v]`. Default 0.1. */
  translateY?: RangeLike;
  /** Horizontal shift as a fraction of the width, like `translateY`. Default 0.1. */
  translateX?: RangeLike;
  /** @deprecated Renamed `translateY` (the name {@link affine} uses); kept for one release. */
  height?: RangeLike;
  /** @deprecated Renamed `translateX`; kept for one release. */
  width?: RangeLike;
}

/**
 * Random shift (Keras `RandomTranslation(heightFactor, widthFactor)`; source 001's "shift").
 * Takes images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const translate: Transform<TranslateOptions> = transform<TranslateOptions>('translate', (s, o) => {
  const fn = 'translate';
  const ty = renamed<RangeLike>(o, 'translateY', 'height', fn) ?? 0.1;
  const tx = renamed<RangeLike>(o, 'translateX', 'width', fn) ?? 0.1;
  return affineBody(s, { ...o, translateY: ty, translateX: tx }, fn);
});
