/**
 * The record every augmentation reads and returns, so spatial transforms can move a
 * segmentation mask with the image and mixes can carry labels: `{ x, y?, mask? }`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank } from '../util/checks';
import { Rng, makeRng } from '../util/random';

/**
 * A batch flowing through an augmentation pipeline.
 * Every transform returns fresh tensors (the input is never disposed nor returned as is),
 * so the caller owns and disposes both the input and the output.
 */
export interface Sample {
  /** Images, `[batch, height, width, channels]`, float32. */
  x: tf.Tensor4D;
  /** Labels: one-hot or soft `[batch, classes]`, or class indices `[batch]`. Optional. */
  y?: tf.Tensor;
  /** Segmentation mask `[batch, height, width, maskChannels]`, moved with `x` by spatial transforms. */
  mask?: tf.Tensor4D;
}

/** A seed, or a generator to draw from (so a pipeline can thread one generator through). */
export type SeedLike = number | Rng;

/** A scalar or a `[min, max]` range from which a value is drawn uniformly. */
export type RangeLike = number | readonly [number, number];

/**
 * Options shared by every random transform; each transform's options extend it (those that
 * have no per-image gate take `Pick<RandomOptions, 'seed'>`).
 */
export interface RandomOptions {
  /** Seed or generator; equal seeds give equal outputs. Random when omitted. */
  seed?: SeedLike;
  /**
   * Probability that the transform is applied, drawn per image (`Mixer`: per batch, pair
   * or element). The default is the transform's own (1 unless its TSDoc says otherwise).
   */
  prob?: number;
}

/**
 * An augmentation usable on images or on a {@link Sample}: images in, images out; a sample in,
 * a sample out (mask moved with the image by spatial transforms, labels passed through).
 * The options argument is optional when every option is.
 */
export interface Transform<O> {
  /**
   * @param input images `[batch, height, width, channels]`.
   * @param options the transform's options.
   * @returns new images (the input is neither disposed nor returned).
   */
  (input: tf.Tensor4D, ...options: Partial<O> extends O ? [options?: O] : [options: O]): tf.Tensor4D;
  /**
   * @param input a sample `{ x, y?, mask? }`.
   * @param options the transform's options.
   * @returns a new sample; every tensor in it is new, so input and output are disposed independently.
   */
  (input: Sample, ...options: Partial<O> extends O ? [options?: O] : [options: O]): Sample;
}

/** @internal What a transform's body returns: the new images and, when it moved it, the new mask. */
export interface Moved {
  x: tf.Tensor4D;
  mask?: tf.Tensor4D;
}

/**
 * @internal The one wrapper behind every transform: checks the tensor-or-sample argument,
 * runs `body` on the sample and returns a tensor or a sample as the input was.
 */
export function transform<O>(fn: string, body: (s: Sample, options: O) => Moved): Transform<O> {
  const run = (input: tf.Tensor4D | Sample, options?: O): tf.Tensor4D | Sample => {
    const s = toSample(input, fn);
    const out = body(s, options ?? ({} as O));
    return finish(input, out.x, out.mask);
  };
  Object.defineProperty(run, 'name', { value: fn });
  return run as Transform<O>;
}

/** @internal True when the argument is a tensor rather than a {@link Sample}. */
export function isTensor(v: unknown): v is tf.Tensor {
  return v instanceof tf.Tensor;
}

/** @internal Normalise a tensor-or-sample argument and validate its shapes. */
export function toSample(input: tf.Tensor | Sample, fn: string): Sample {
  const s: Sample = isTensor(input) ? { x: input as tf.Tensor4D } : input;
  if (s === null || typeof s !== 'object' || !isTensor(s.x)) {
    throw new Error(`${fn}: expected a 4-D tensor or a { x, y?, mask? } sample`);
  }
  checkRank(s.x, 4, 'x', fn);
  if (s.mask !== undefined) {
    checkRank(s.mask, 4, 'mask', fn);
    const [b, h, w] = s.x.shape;
    const [mb, mh, mw] = s.mask.shape;
    if (mb !== b || mh !== h || mw !== w) {
      throw new Error(
        `${fn}: 'mask' must match 'x' in batch, height and width; got [${s.mask.shape.join(', ')}] for x [${s.x.shape.join(', ')}]`,
      );
    }
  }
  if (s.y !== undefined && s.y.shape[0] !== s.x.shape[0]) {
    throw new Error(
      `${fn}: 'x' and 'y' must have the same batch size; got ${s.x.shape[0]} and ${s.y.shape[0]}`,
    );
  }
  return s;
}

/**
 * @internal Build the output of a transform that changed `x` (and maybe `mask`): labels are
 * passed through as new tensor handles so the caller may dispose input and output independently.
 */
export function finish(input: tf.Tensor | Sample, x: tf.Tensor4D, mask?: tf.Tensor4D): tf.Tensor4D | Sample {
  if (isTensor(input)) return x;
  const out: Sample = { x };
  if (input.y !== undefined) out.y = tf.clone(input.y);
  if (mask !== undefined) out.mask = mask;
  else if (input.mask !== undefined) out.mask = tf.clone(input.mask);
  return out;
}

/** @internal Turn a number or `[min, max]` into a checked range; a number `v` means `[center - v, center + v]`. */
export function toRange(
  v: RangeLike,
  arg: string,
  fn: string,
  { center = 0, lo = -Infinity, hi = Infinity }: { center?: number; lo?: number; hi?: number } = {},
): [number, number] {
  let r: [number, number];
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0)
      throw new Error(`${fn}: '${arg}' must be a finite number >= 0; got ${v}`);
    r = [center - v, center + v];
  } else if (Array.isArray(v) && v.length === 2 && v.every((e) => Number.isFinite(e))) {
    r = [v[0] as number, v[1] as number];
  } else {
    throw new Error(`${fn}: '${arg}' must be a number or a [min, max] pair; got ${JSON.stringify(v)}`);
  }
  if (r[0] > r[1]) throw new Error(`${fn}: '${arg}' must have min <= max; got [${r[0]}, ${r[1]}]`);
  if (r[0] < lo || r[1] > hi)
    throw new Error(`${fn}: '${arg}' must lie within [${lo}, ${hi}]; got [${r[0]}, ${r[1]}]`);
  return r;
}

/** @internal Check a probability option. */
export function checkProb(p: number, arg: string, fn: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new Error(`${fn}: '${arg}' must be a number in [0, 1]; got ${p}`);
}

/** @internal The generator for a call. */
export function rngOf(seed: SeedLike | undefined): Rng {
  return makeRng(seed);
}
