/**
 * Projective warps shared by every geometric transform: per-image 2-D affine matrices
 * (output pixel -> input pixel, the convention of `tf.image.transform`) applied to the
 * image with its interpolation and to the mask with nearest neighbour, so both move together.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Sample } from './sample';
import { fromHost, toHost } from './host';
import { type Affine, type FillMode, type Interpolation, transformHost } from './sampler';
import { checkOneOf } from '../util/checks';

export type { Affine, FillMode, Interpolation };

/** Options of transforms that resample the image. */
export interface ResampleOptions {
  /** Image interpolation; masks always use nearest neighbour. Default `'bilinear'`. */
  interpolation?: Interpolation;
  /** How points outside the input are filled. Default `'reflect'` (as Keras). */
  fillMode?: FillMode;
  /** Image value for `fillMode: 'constant'` (masks are filled with 0). Default 0. */
  fillValue?: number;
}

/** @internal The interpolations every resampling transform accepts. */
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest'];
const FILL_MODES: readonly FillMode[] = ['constant', 'reflect', 'wrap', 'nearest'];

/** @internal Validate {@link ResampleOptions} and fill in their defaults. */
export function checkResample(o: ResampleOptions, fn: string): Required<ResampleOptions> {
  const { interpolation = 'bilinear', fillMode = 'reflect', fillValue = 0 } = o;
  checkOneOf(interpolation, INTERPOLATIONS, 'interpolation', fn);
  checkOneOf(fillMode, FILL_MODES, 'fillMode', fn);
  if (!Number.isFinite(fillValue))
    throw new Error(`${fn}: 'fillValue' must be a finite number; got ${fillValue}`);
  return { interpolation, fillMode, fillValue };
}

/** @internal The identity map. */
export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/**
 * @internal The output->input map of a forward affine made of a linear part `m` (2x2, row
 * major) about the image centre followed by a translation `(tx, ty)` in pixels.
 */
export function inverseAbout(
  m: [number, number, number, number],
  tx: number,
  ty: number,
  h: number,
  w: number,
): Affine {
  const [a, b, c, d] = m;
  const det = a * d - b * c;
  if (Math.abs(det) < 1e-12) throw new Error('affine: the transform is singular (zero scale?)');
  // in = C + M^-1 (out - C - T)
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const ox = cx + tx;
  const oy = cy + ty;
  return [ia, ib, cx - ia * ox - ib * oy, ic, id, cy - ic * ox - id * oy];
}

/** @internal Options of {@link warp}. */
export interface WarpOptions {
  interpolation: Interpolation;
  fillMode: FillMode;
  fillValue: number;
  /** Output `[height, width]`; the input size when omitted. */
  outputShape?: [number, number];
}

/**
 * @internal Apply one output->input affine per image to `x` (with `interpolation`) and to
 * `mask` (nearest, filled with 0 where `fillMode` is constant).
 */
export function warp(s: Sample, maps: Affine[], opts: WarpOptions): { x: tf.Tensor4D; mask?: tf.Tensor4D } {
  return tf.tidy(() => {
    const x = transformBatch(s.x, maps, opts.interpolation, opts.fillMode, opts.fillValue, opts.outputShape);
    if (s.mask === undefined) return { x };
    const mask = transformBatch(s.mask, maps, 'nearest', opts.fillMode, 0, opts.outputShape);
    return { x, mask };
  });
}

/**
 * @internal `tf.image.transform` where the backend's kernel is right, the host sampler where
 * the data lives on the host anyway and the kernel is not: tfjs-backend-cpu 4.x returns after
 * the first image of a batch (a `return` inside its batch loop) and tfjs-backend-wasm 4.x
 * folds `'reflect'` coordinates wrongly, so cpu and wasm use {@link transformHost}.
 */
export function transformBatch(
  x: tf.Tensor4D,
  maps: Affine[],
  interpolation: Interpolation,
  fillMode: FillMode,
  fillValue: number,
  outputShape?: [number, number],
): tf.Tensor4D {
  const backend = tf.getBackend();
  if (backend === 'cpu' || backend === 'wasm') {
    const src = toHost(x);
    const [oh, ow] = outputShape ?? [src.h, src.w];
    return fromHost(
      transformHost(src, maps, interpolation, fillMode, fillValue, outputShape),
      src.n,
      oh,
      ow,
      src.c,
    );
  }
  return tf.tidy(() => {
    const rows = maps.map(([a, b, c, d, e, f]) => [a, b, c, d, e, f, 0, 0]);
    return tf.image.transform(
      x,
      tf.tensor2d(rows, [maps.length, 8], 'float32'),
      interpolation,
      fillMode,
      fillValue,
      outputShape,
    );
  });
}
