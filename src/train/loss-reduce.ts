import * as tf from '@tensorflow/tfjs-core';
import type { LossReduction } from './loss-types';

/**
 * Reduce per-element losses `l` with per-element weights `w` (same shape, or null for
 * all ones) as {@link LossReduction} describes. Internal to the loss files.
 */
export function reduceLoss(l: tf.Tensor, w: tf.Tensor | null, reduction: LossReduction): tf.Scalar {
  return tf.tidy(() => {
    const wl = w === null ? l : tf.mul(l, w);
    const total = tf.sum(wl);
    if (reduction === 'sum') return total as tf.Scalar;
    if (reduction === 'mean' || w === null) return tf.div(total, Math.max(l.size, 1)) as tf.Scalar;
    // Guard the all-zero-weight batch: 0 / eps = 0 rather than NaN.
    return tf.div(total, tf.maximum(tf.sum(tf.mul(w, tf.onesLike(l))), 1e-12)) as tf.Scalar;
  });
}
