/**
 * mixup and CutMix on NHWC batches, with per-batch, per-pair or per-element mixing weights
 * (timm's `Mixup` modes).
 * - mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization"):
 *   x = lambda x_i + (1 - lambda) x_j, y = lambda y_i + (1 - lambda) y_j, lambda ~ Beta(alpha, alpha).
 * - CutMix (Yun et al. 2019): a box of side sqrt(1 - lambda) times the image side, centred
 *   uniformly and clipped, is pasted from x_j into x_i; labels mixed with the box's area share.
 * Segmentation masks are cut and pasted (CutMix) or blended (mixup) with the pixels, never
 * mixed into the class labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import type { Rng } from '../util/random';
import { smoothLabels, toOneHot } from './labels';
import {
  MIX_MODES,
  type MixMode,
  type MixPlan,
  checkAlpha,
  checkMinMax,
  mixLabels,
  mixPixels,
  planCutmix,
  planMixup,
} from './mix-plan';
import { type RandomOptions, type Sample, isTensor, rngOf, toSample } from './sample';

/** What {@link mixup} / {@link cutmix} return for tensor arguments. */
export interface MixResult {
  /** Mixed images `[batch, height, width, channels]`. */
  x: tf.Tensor4D;
  /** Mixed labels `[batch, classes]`, float32, each row summing to 1. */
  y: tf.Tensor2D;
  /** The weight of each image's own content and label (after box correction), per image. */
  lambda: number[];
  /** The partner of each image: `x[i]` was mixed with `x[index[i]]`. */
  index: number[];
  /** The mask, pasted (CutMix) or blended (mixup) like the pixels, when one was given. */
  mask?: tf.Tensor4D;
}

/** What the mixes return for a {@link Sample} argument: the sample plus the weights used. */
export interface MixedSample extends Sample {
  /** The weight of each image's own content and label, per image. */
  lambda: number[];
  /** The partner of each image. */
  index: number[];
}

/** Options shared by the mixes. */
export interface MixOptions extends Pick<RandomOptions, 'seed'> {
  /** Share weights per `'batch'` (default), per `'pair'` of images, or per `'elem'`ent. */
  mode?: MixMode;
  /** Number of classes, required when `y` holds class indices `[batch]`. */
  classes?: number;
  /** Segmentation mask `[batch, height, width, channels]` to move with the pixels. */
  mask?: tf.Tensor4D;
}

/** Options of {@link mixup}. */
export interface MixupOptions extends MixOptions {
  /** Beta(alpha, alpha) concentration, > 0. Default 0.4 (source 001's recommendation). */
  alpha?: number;
}

/** Options of {@link cutmix}. */
export interface CutmixOptions extends MixOptions {
  /** Beta(alpha, alpha) concentration, > 0. Default 1 (Yun et al.). */
  alpha?: number;
  /**
   * Draw the box sides uniformly in [min, max] times the image sides instead of from lambda
   * (timm's `cutmix_minmax`); lambda then always comes from the box.
   */
  minMax?: [number, number];
  /** Recompute lambda from the box after clipping it to the image. Default `true`. */
  correctLam?: boolean;
}

interface Parsed {
  x: tf.Tensor4D;
  y?: tf.Tensor;
  mask?: tf.Tensor4D;
  opts: MixupOptions & CutmixOptions;
  sampleForm: boolean;
}

/** @internal Resolve the (x, y, options) or (sample, options) call forms and validate shapes. */
export function parseMixArgs(a: unknown, b: unknown, c: unknown, fn: string): Parsed {
  if (isTensor(a)) {
    if (!isTensor(b)) throw new Error(`${fn}: 'y' must be a tensor of labels`);
    const opts = (c ?? {}) as MixupOptions & CutmixOptions;
    const s = toSample({ x: a as tf.Tensor4D, y: b, mask: opts.mask }, fn);
    return { x: s.x, y: s.y, mask: s.mask, opts, sampleForm: false };
  }
  const s = toSample(a as Sample, fn);
  return { x: s.x, y: s.y, mask: s.mask, opts: (b ?? {}) as MixupOptions & CutmixOptions, sampleForm: true };
}

/** @internal Apply a plan to images, labels and mask. */
export function applyPlan(p: Parsed, plan: MixPlan, fn: string, smoothing = 0): MixResult | MixedSample {
  const out = tf.tidy(() => {
    const x = mixPixels(p.x, plan);
    const mask = p.mask === undefined ? undefined : mixPixels(p.mask, plan);
    let y: tf.Tensor2D | undefined;
    if (p.y !== undefined) {
      let oh = toOneHot(p.y, p.opts.classes, fn);
      if (smoothing > 0) oh = smoothLabels(oh, smoothing);
      y = mixLabels(oh, plan.lambda, plan.index);
    }
    return { x, y, mask };
  });
  const res: MixResult | MixedSample = { x: out.x, lambda: plan.lambda, index: plan.index } as MixResult;
  if (out.y !== undefined) res.y = out.y;
  if (out.mask !== undefined) res.mask = out.mask;
  return res;
}

/** @internal Validate the options shared by the mixes; the generator to draw from. */
export function commonOpts(o: MixOptions, fn: string): { mode: MixMode; rng: Rng } {
  const mode = o.mode ?? 'batch';
  checkOneOf(mode, MIX_MODES, 'mode', fn);
  return { mode, rng: rngOf(o.seed) };
}

/**
 * mixup: each image and its one-hot label are blended with a partner's,
 * x = lambda x_i + (1 - lambda) x_j and y = lambda y_i + (1 - lambda) y_j, lambda ~ Beta(alpha, alpha)
 * (Zhang et al. 2018; source 001 with alpha 0.4).
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch, classes]` one-hot, or `[batch]` class indices with `options.classes`.
 * @returns mixed images, mixed float labels (rows sum to 1), the lambdas and partners used.
 */
export function mixup(x: tf.Tensor4D, y: tf.Tensor, options?: MixupOptions): MixResult;
/** The pipeline form: labels from `sample.y`, mask from `sample.mask`. */
export function mixup(sample: Sample, options?: MixupOptions): MixedSample;
export function mixup(
  a: tf.Tensor4D | Sample,
  b?: tf.Tensor | MixupOptions,
  c?: MixupOptions,
): MixResult | MixedSample {
  const fn = 'mixup';
  const p = parseMixArgs(a, b, c, fn);
  const { alpha = 0.4 } = p.opts;
  checkAlpha(alpha, 'alpha', fn);
  const { mode, rng } = commonOpts(p.opts, fn);
  return applyPlan(p, planMixup(p.x.shape[0], mode, alpha, rng), fn);
}

/**
 * CutMix: a box of image side times sqrt(1 - lambda), lambda ~ Beta(alpha, alpha), centred
 * uniformly and clipped, is cut from the partner and pasted; labels are mixed by the kept
 * area share, recomputed from the clipped box when `correctLam` (Yun et al. 2019; timm).
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch, classes]` one-hot, or `[batch]` class indices with `options.classes`.
 * @returns mixed images, mixed float labels (rows sum to 1), the lambdas and partners used.
 */
export function cutmix(x: tf.Tensor4D, y: tf.Tensor, options?: CutmixOptions): MixResult;
/** The pipeline form: labels from `sample.y` (optional for segmentation), mask from `sample.mask`. */
export function cutmix(sample: Sample, options?: CutmixOptions): MixedSample;
export function cutmix(
  a: tf.Tensor4D | Sample,
  b?: tf.Tensor | CutmixOptions,
  c?: CutmixOptions,
): MixResult | MixedSample {
  const fn = 'cutmix';
  const p = parseMixArgs(a, b, c, fn);
  const { alpha = 1, correctLam = true, minMax } = p.opts;
  checkAlpha(alpha, 'alpha', fn);
  checkMinMax(minMax, fn);
  const { mode, rng } = commonOpts(p.opts, fn);
  const [n, h, w] = p.x.shape;
  return applyPlan(p, planCutmix(n, h, w, mode, alpha, rng, minMax, correctLam), fn);
}
