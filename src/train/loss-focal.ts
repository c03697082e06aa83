import * as tf from '@tensorflow/tfjs-core';
import { checkRange } from '../util/checks';
import type { LossFn } from './loss-types';

/** Options of {@link binaryFocalLoss}. */
export interface BinaryFocalLossOptions {
  /** Weight of the positive class, `alpha_t = alpha y + (1 - alpha)(1 - y)`; `null` disables it. Default 0.25. */
  alpha?: number | null;
  /** Focusing parameter: easy examples are down-weighted by `(1 - p_t)^gamma`. Default 2. */
  gamma?: number;
  /** `yPred` holds logits. Default false (probabilities). */
  fromLogits?: boolean;
  /** Probability clip for the log when not from logits. Default 1e-7. */
  epsilon?: number;
}

/**
 * Binary focal loss (Lin et al., "Focal Loss for Dense Object Detection", 2017):
 * `FL = -alpha_t (1 - p_t)^gamma log(p_t)`, `p_t = p y + (1 - p)(1 - y)`, averaged over
 * every element. Same shapes as binary cross-entropy; equals torchvision's
 * `sigmoid_focal_loss(..., reduction='mean')` when `fromLogits` is set.
 */
export function binaryFocalLoss(opts: BinaryFocalLossOptions = {}): LossFn {
  const fn = 'binaryFocalLoss';
  const { alpha = 0.25, gamma = 2, fromLogits = false, epsilon = 1e-7 } = opts;
  if (alpha !== null) checkRange(alpha, 'alpha', fn, { lo: 0, hi: 1 });
  checkRange(gamma, 'gamma', fn, { lo: 0 });
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const y = tf.reshape(tf.cast(yTrue, 'float32'), yPred.shape);
      let p: tf.Tensor;
      let ce: tf.Tensor;
      if (fromLogits) {
        p = tf.sigmoid(yPred);
        ce = tf.add(tf.sub(tf.relu(yPred), tf.mul(yPred, y)), tf.log1p(tf.exp(tf.neg(tf.abs(yPred)))));
      } else {
        p = tf.clipByValue(yPred, epsilon, 1 - epsilon);
        ce = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
      }
      const pt = tf.add(tf.mul(p, y), tf.mul(tf.sub(1, p), tf.sub(1, y)));
      let l = tf.mul(ce, tf.pow(tf.sub(1, pt), gamma));
      if (alpha !== null) l = tf.mul(l, tf.add(tf.mul(y, alpha), tf.mul(tf.sub(1, y), 1 - alpha)));
      return tf.mean(l) as tf.Scalar;
    });
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}

/** Options of {@link categoricalFocalLoss}. */
export interface CategoricalFocalLossOptions {
  /** Per-class weights `alpha_c`; default all ones. */
  alpha?: number[];
  /** Focusing parameter. Default 2. */
  gamma?: number;
  /** `yPred` holds logits (softmax applied inside). Default false. */
  fromLogits?: boolean;
  /** Probability clip for the log. Default 1e-7. */
  epsilon?: number;
}

/**
 * Multi-class focal loss: `-sum_c alpha_c y_c (1 - p_c)^gamma log p_c` over the last axis,
 * averaged over the remaining positions. `yTrue` one-hot or soft `[batch, classes]` (or
 * `[batch, height, width, classes]`), `yPred` softmax probabilities or logits.
 */
export function categoricalFocalLoss(opts: CategoricalFocalLossOptions = {}): LossFn {
  const fn = 'categoricalFocalLoss';
  const { alpha, gamma = 2, fromLogits = false, epsilon = 1e-7 } = opts;
  checkRange(gamma, 'gamma', fn, { lo: 0 });
  if (alpha !== undefined && (!Array.isArray(alpha) || alpha.some((a) => !(a >= 0)))) {
    throw new Error(`${fn}: 'alpha' must be an array of non-negative numbers`);
  }
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const k = yPred.shape[yPred.rank - 1] as number;
      if (alpha !== undefined && alpha.length !== k) {
        throw new Error(`${fn}: 'alpha' has ${alpha.length} entries but yPred has ${k} classes`);
      }
      const y = tf.reshape(tf.cast(yTrue, 'float32'), yPred.shape);
      const logp = fromLogits
        ? tf.logSoftmax(yPred, -1)
        : tf.log(tf.clipByValue(yPred, epsilon, 1 - epsilon));
      const p = tf.exp(logp);
      let t = tf.mul(tf.mul(y, tf.pow(tf.sub(1, p), gamma)), logp);
      if (alpha !== undefined) t = tf.mul(t, tf.tensor1d(alpha, 'float32'));
      return tf.mean(tf.neg(tf.sum(t, -1))) as tf.Scalar;
    });
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}
