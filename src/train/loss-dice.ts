import * as tf from '@tensorflow/tfjs-core';
import { checkRange } from '../util/checks';
import type { LossFn } from './loss-types';

/** Options of {@link diceLoss}. */
export interface DiceLossOptions {
  /** Added to numerator and denominator so empty masks give a defined loss. Default 1e-5 (MONAI). */
  smooth?: number;
  /** Apply a sigmoid to `yPred` first (logits). Default false. */
  fromLogits?: boolean;
  /** Sum over the batch too (one Dice per channel for the whole batch) instead of per image. Default false. */
  batch?: boolean;
  /** Use `sum p^2` and `sum y^2` in the denominator (Milletari's V-Net form). Default false. */
  squared?: boolean;
}

/**
 * Soft Dice loss for segmentation (Milletari et al., V-Net, 2016):
 * `1 - (2 sum(y p) + s) / (sum y + sum p + s)`, computed per image and channel over the
 * spatial axes, then averaged. `yTrue` masks and `yPred` probabilities are both
 * `[batch, height, width, channels]` (any rank >= 2 works: axis 0 is the batch, the
 * last axis the channel).
 */
export function diceLoss(opts: DiceLossOptions = {}): LossFn {
  const fn = 'diceLoss';
  const { smooth = 1e-5, fromLogits = false, batch = false, squared = false } = opts;
  checkRange(smooth, 'smooth', fn, { lo: 0 });
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      if (yPred.rank < 2)
        throw new Error(`${fn}: 'yPred' must have rank >= 2; got shape [${yPred.shape.join(', ')}]`);
      const p = fromLogits ? tf.sigmoid(yPred) : yPred;
      const y = tf.reshape(tf.cast(yTrue, 'float32'), p.shape);
      const axes: number[] = [];
      for (let a = batch ? 0 : 1; a < p.rank - 1; a++) axes.push(a);
      const inter = tf.sum(tf.mul(y, p), axes);
      const denom = squared
        ? tf.add(tf.sum(tf.square(y), axes), tf.sum(tf.square(p), axes))
        : tf.add(tf.sum(y, axes), tf.sum(p, axes));
      const dice = tf.div(tf.add(tf.mul(inter, 2), smooth), tf.add(denom, smooth));
      return tf.mean(tf.sub(1, dice)) as tf.Scalar;
    });
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}
