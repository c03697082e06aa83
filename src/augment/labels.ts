/**
 * Label handling shared by the mixes: class indices become one-hot float rows, and label
 * smoothing spreads a fraction of the mass uniformly.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * @internal `[batch]` class indices (with `classes`) or `[batch, classes]` one-hot / soft
 * labels -> float32 `[batch, classes]`.
 */
export function toOneHot(y: tf.Tensor, classes: number | undefined, fn: string): tf.Tensor2D {
  if (classes !== undefined && !(Number.isInteger(classes) && classes > 1)) {
    throw new Error(`${fn}: 'classes' must be an integer > 1; got ${classes}`);
  }
  if (y.rank === 1) {
    if (classes === undefined) {
      throw new Error(`${fn}: 'y' holds class indices [batch]; pass 'classes' to convert them to one-hot`);
    }
    return tf.tidy(() => {
      const idx = tf.cast(y, 'int32') as tf.Tensor1D;
      const bad = tf.any(tf.logicalOr(tf.less(idx, 0), tf.greaterEqual(idx, classes))).dataSync()[0];
      if (bad) throw new Error(`${fn}: 'y' has class indices outside [0, ${classes})`);
      return tf.cast(tf.oneHot(idx, classes), 'float32') as tf.Tensor2D;
    });
  }
  if (y.rank === 2) {
    if (classes !== undefined && y.shape[1] !== classes) {
      throw new Error(`${fn}: 'y' has ${y.shape[1]} columns but 'classes' is ${classes}`);
    }
    return tf.cast(y, 'float32') as tf.Tensor2D;
  }
  throw new Error(
    `${fn}: 'y' must be [batch] class indices or [batch, classes] one-hot; got shape [${y.shape.join(', ')}]`,
  );
}

/**
 * Label smoothing: y * (1 - eps) + eps / classes, so each row still sums to 1
 * (Szegedy et al. 2016; timm's `mixup_target` off / on values).
 * @param y `[batch, classes]` one-hot or soft labels.
 * @param eps smoothing in [0, 1).
 */
export function smoothLabels(y: tf.Tensor2D, eps: number): tf.Tensor2D {
  if (!(eps >= 0 && eps < 1)) throw new Error(`smoothLabels: 'eps' must be in [0, 1); got ${eps}`);
  return tf.tidy(() => tf.add(tf.mul(y, 1 - eps), eps / y.shape[1]) as tf.Tensor2D);
}
