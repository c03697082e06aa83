/**
 * The gates shared by the squeeze-excitation family, ECA, scSE and ECAsE, as plain tensor
 * functions on the layers' weights. Each returns the gate, not the gated input, so combined
 * blocks (scSE, ECAsE) can mix several gates.
 */
import * as tf from '@tensorflow/tfjs-core';

/** How ECA squeezes the spatial dimensions: average, max, or both through the same conv, summed. */
export type EcaPooling = 'avg' | 'max' | 'avgmax';

/** How a two-branch block (scSE, ECAsE) merges its two gated copies of the input. */
export type AttentionCombine = 'add' | 'max';

/**
 * Channel gate of SE / cSE: `sigmoid(W2 · relu(W1 · gap(x) + b1) + b2)`.
 * `x [N,H,W,C]`, `w1 [C,Cr]`, `w2 [Cr,C]`; returns `[N,1,1,C]`.
 */
export function channelGate(
  x: tf.Tensor4D,
  w1: tf.Tensor2D,
  b1: tf.Tensor1D | null,
  w2: tf.Tensor2D,
  b2: tf.Tensor1D | null,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    let h: tf.Tensor2D = tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, w1);
    if (b1) h = tf.add(h, b1);
    h = tf.relu(h);
    let g: tf.Tensor2D = tf.matMul(h, w2);
    if (b2) g = tf.add(g, b2);
    return tf.reshape(tf.sigmoid(g), [n, 1, 1, c]);
  });
}

/**
 * Spatial gate of sSE: `sigmoid(x · w + b)`, a 1×1 convolution to one channel.
 * `x [N,H,W,C]`, `w [C,1]`; returns `[N,H,W,1]`.
 */
export function spatialGate(x: tf.Tensor4D, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, wd, c] = x.shape;
    let s: tf.Tensor2D = tf.matMul(tf.reshape(x, [n * h * wd, c]), w);
    if (b) s = tf.add(s, b);
    return tf.reshape(tf.sigmoid(s), [n, h, wd, 1]);
  });
}

/**
 * ECA gate: `sigmoid(conv1d_k(pool(x)))` across channels with zero padding `(k-1)/2`; for
 * `'avgmax'`, `sigmoid(conv1d_k(avg(x)) + conv1d_k(max(x)))`.
 * `x [N,H,W,C]`, `w [k,1,1]` (a Conv1D kernel); returns `[N,1,1,C]`.
 */
export function ecaGate(x: tf.Tensor4D, w: tf.Tensor3D, pooling: EcaPooling): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const conv = (p: tf.Tensor): tf.Tensor =>
      tf.conv1d(tf.reshape(p, [n, c, 1]) as tf.Tensor3D, w, 1, 'same');
    let z: tf.Tensor;
    if (pooling === 'avg') z = conv(tf.mean(x, [1, 2]));
    else if (pooling === 'max') z = conv(tf.max(x, [1, 2]));
    else z = tf.add(conv(tf.mean(x, [1, 2])), conv(tf.max(x, [1, 2])));
    return tf.reshape(tf.sigmoid(z), [n, 1, 1, c]);
  });
}

/** Merges two gated copies of the input: their sum (scSE) or their element-wise maximum. */
export function combineGated(a: tf.Tensor, b: tf.Tensor, combine: AttentionCombine): tf.Tensor {
  return combine === 'add' ? tf.add(a, b) : tf.maximum(a, b);
}
