/**
 * mixup and CutMix in the two-target form of source 001 (`mixup_data` / `mixup_loss_fn`):
 * mixed images with both label sets kept apart, and the loss that weighs them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type MixPlan, checkAlpha, checkMinMax, mixPixels, planCutmix, planMixup } from './mix-plan';
import { type CutmixOptions, type MixupOptions, commonOpts } from './mix';
import { toSample } from './sample';

/** The two-target form of source 001: loss = lambda L(yA) + (1 - lambda) L(yB). */
export interface TwoTargetResult {
  /** Mixed images `[batch, height, width, channels]`. */
  x: tf.Tensor4D;
  /** The labels of each image, as given (indices or one-hot). */
  yA: tf.Tensor;
  /** The labels of each image's partner, `y[index]`. */
  yB: tf.Tensor;
  /** Weight of `yA` per image. */
  lambda: number[];
  /** The partner of each image. */
  index: number[];
  /** The mask, mixed like the pixels, when one was given. */
  mask?: tf.Tensor4D;
}

function twoTarget(
  x: tf.Tensor4D,
  y: tf.Tensor,
  plan: MixPlan,
  mask: tf.Tensor4D | undefined,
): TwoTargetResult {
  const t = tf.tidy(() => {
    const idx = tf.tensor1d(plan.index, 'int32');
    return {
      x: mixPixels(x, plan),
      yA: tf.clone(y),
      yB: tf.gather(y, idx),
      mask: mask === undefined ? undefined : mixPixels(mask, plan),
    };
  });
  const res: TwoTargetResult = { x: t.x, yA: t.yA, yB: t.yB, lambda: plan.lambda, index: plan.index };
  if (t.mask !== undefined) res.mask = t.mask;
  return res;
}

/**
 * mixup in the two-target form of source 001 (`mixup_data`): returns the mixed images with
 * both label sets unmixed, for a loss lambda L(pred, yA) + (1 - lambda) L(pred, yB)
 * (see {@link mixupLoss}). Labels keep their format (indices stay indices).
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch]` or `[batch, classes]`.
 */
export function mixupPairs(x: tf.Tensor4D, y: tf.Tensor, options: MixupOptions = {}): TwoTargetResult {
  const fn = 'mixupPairs';
  const s = toSample({ x, y, mask: options.mask }, fn);
  const { alpha = 0.4 } = options;
  checkAlpha(alpha, 'alpha', fn);
  const { mode, rng } = commonOpts(options, fn);
  return twoTarget(s.x, y, planMixup(x.shape[0], mode, alpha, rng), s.mask);
}

/**
 * CutMix in the two-target form: mixed images, labels `yA` and partner labels `yB` unmixed,
 * `lambda` the kept area share. See {@link mixupPairs} and {@link mixupLoss}.
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch]` or `[batch, classes]`.
 */
export function cutmixPairs(x: tf.Tensor4D, y: tf.Tensor, options: CutmixOptions = {}): TwoTargetResult {
  const fn = 'cutmixPairs';
  const s = toSample({ x, y, mask: options.mask }, fn);
  const { alpha = 1, correctLam = true, minMax } = options;
  checkAlpha(alpha, 'alpha', fn);
  checkMinMax(minMax, fn);
  const { mode, rng } = commonOpts(options, fn);
  const [n, h, w] = x.shape;
  return twoTarget(s.x, y, planCutmix(n, h, w, mode, alpha, rng, minMax, correctLam), s.mask);
}

/** A loss `(yTrue, yPred) -> loss`: a scalar, or per-sample losses `[batch]`. */
export type MixLossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * The mixup loss of source 001 (`mixup_loss_fn`): lambda L(yA, pred) + (1 - lambda) L(yB, pred).
 * With one lambda for the batch any loss works; with per-image lambdas (`mode` 'pair' /
 * 'elem') the loss must return per-sample values `[batch]`, which are weighted then averaged.
 * @param lossFn the loss, called as `lossFn(yTrue, yPred)` (the tf.losses argument order).
 * @returns `(pred, yA, yB, lambda) -> scalar loss`.
 */
export function mixupLoss(
  lossFn: MixLossFn,
): (pred: tf.Tensor, yA: tf.Tensor, yB: tf.Tensor, lambda: number | number[]) => tf.Scalar {
  if (typeof lossFn !== 'function') throw new Error(`mixupLoss: 'lossFn' must be a function`);
  return (pred, yA, yB, lambda) =>
    tf.tidy(() => {
      const lams = typeof lambda === 'number' ? [lambda] : lambda;
      if (lams.length === 0 || !lams.every((l) => Number.isFinite(l))) {
        throw new Error(`mixupLoss: 'lambda' must be a number or a non-empty array of numbers`);
      }
      const la = lossFn(yA, pred);
      const lb = lossFn(yB, pred);
      const first = lams[0] as number;
      if (lams.every((l) => l === first)) {
        return tf.mean(tf.add(tf.mul(la, first), tf.mul(lb, 1 - first))) as tf.Scalar;
      }
      if (la.rank !== 1 || la.shape[0] !== lams.length) {
        throw new Error(
          `mixupLoss: per-image lambdas need a loss returning per-sample values [${lams.length}]; got shape [${la.shape.join(', ')}]`,
        );
      }
      const lam = tf.tensor1d(lams);
      return tf.mean(tf.add(tf.mul(la, lam), tf.mul(lb, tf.sub(1, lam)))) as tf.Scalar;
    });
}
