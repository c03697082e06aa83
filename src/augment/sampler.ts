/**
 * A backend-independent projective sampler with the semantics of TensorFlow's
 * `ImageProjectiveTransformV3` (the kernel behind `tf.image.transform`): each output pixel's
 * source coordinate is folded into the image by the fill mode, then read with nearest or
 * bilinear interpolation, neighbours outside the image reading `fillValue`. Used where a
 * backend's kernel is missing or wrong (tfjs-backend-wasm 4.x mis-handles `'reflect'`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Affine, FillMode, Interpolation } from './warp';

/** Fold coordinates `v` into [0, len - 1] as the kernel's fill modes do. */
function mapCoord(v: tf.Tensor, len: number, mode: FillMode): tf.Tensor {
  if (mode === 'constant') return v;
  if (len <= 1) return tf.zerosLike(v);
  if (mode === 'nearest') return tf.clipByValue(v, 0, len - 1);
  let out: tf.Tensor;
  if (mode === 'reflect') {
    // [abcd] -> [dcba|abcd|dcba]
    const sz2 = 2 * len;
    const negT = tf.add(tf.mul(tf.floor(tf.div(tf.neg(v), sz2)), sz2), v);
    const neg = tf.where(tf.less(negT, -len), tf.add(negT, sz2), tf.sub(tf.neg(negT), 1));
    const posT = tf.sub(v, tf.mul(tf.floor(tf.div(v, sz2)), sz2));
    const pos = tf.where(tf.greaterEqual(posT, len), tf.sub(sz2 - 1, posT), posT);
    out = tf.where(tf.less(v, 0), neg, tf.where(tf.greater(v, len - 1), pos, v));
  } else {
    // [abcd] -> [abcd|abcd|abcd], with the kernel's (len - 1) period quirk kept for parity.
    const sz = len - 1;
    const neg = tf.add(v, tf.mul(tf.add(tf.floor(tf.div(tf.neg(v), sz)), 1), len));
    const pos = tf.sub(v, tf.mul(tf.floor(tf.div(v, sz)), len));
    out = tf.where(tf.less(v, 0), neg, tf.where(tf.greater(v, len - 1), pos, v));
  }
  return tf.clipByValue(out, 0, len - 1);
}

/**
 * @internal Apply one output->input affine map per image, `[n, h, w, c]` -> `[n, oh, ow, c]`,
 * with gathers only (every backend has them).
 */
export function sampleAffine(
  img: tf.Tensor4D,
  maps: Affine[],
  interpolation: Interpolation,
  fillMode: FillMode,
  fillValue: number,
  outputShape?: [number, number],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = img.shape;
    const [oh, ow] = outputShape ?? [h, w];
    if (n * h * w >= 2 ** 24)
      throw new Error(`transform: batch too large (${n * h * w} pixels); split it below 2^24 pixels`);
    const coef = (k: number): tf.Tensor =>
      tf.tensor4d(
        maps.map((m) => m[k] as number),
        [n, 1, 1, 1],
      );
    const xs = tf.reshape(tf.range(0, ow, 1, 'float32'), [1, 1, ow, 1]);
    const ys = tf.reshape(tf.range(0, oh, 1, 'float32'), [1, oh, 1, 1]);
    const inX = tf.add(tf.add(tf.mul(coef(0), xs), tf.mul(coef(1), ys)), coef(2));
    const inY = tf.add(tf.add(tf.mul(coef(3), xs), tf.mul(coef(4), ys)), coef(5));
    const mx = mapCoord(inX, w, fillMode);
    const my = mapCoord(inY, h, fillMode);
    const flat = tf.reshape(img, [n * h * w, c]);
    const base = tf.reshape(tf.mul(tf.range(0, n, 1, 'float32'), h * w), [n, 1, 1, 1]);
    const fill = tf.fill([n, oh, ow, c], fillValue);
    // Index arithmetic stays in float32 (exact below 2^24), cast once for the gather.
    const read = (yi: tf.Tensor, xi: tf.Tensor): tf.Tensor => {
      const valid = tf.logicalAnd(
        tf.logicalAnd(tf.greaterEqual(yi, 0), tf.less(yi, h)),
        tf.logicalAnd(tf.greaterEqual(xi, 0), tf.less(xi, w)),
      );
      const idx = tf.add(tf.add(tf.mul(tf.clipByValue(yi, 0, h - 1), w), tf.clipByValue(xi, 0, w - 1)), base);
      const got = tf.reshape(tf.gather(flat, tf.reshape(tf.cast(idx, 'int32'), [-1])), [n, oh, ow, c]);
      return tf.where(tf.broadcastTo(valid, [n, oh, ow, c]), got, fill);
    };
    if (interpolation === 'nearest') return read(tf.round(my), tf.round(mx)) as tf.Tensor4D;
    const x0 = tf.floor(mx);
    const y0 = tf.floor(my);
    const x1 = tf.add(x0, 1);
    const y1 = tf.add(y0, 1);
    const wx0 = tf.sub(x1, mx);
    const wx1 = tf.sub(mx, x0);
    const top = tf.add(tf.mul(wx0, read(y0, x0)), tf.mul(wx1, read(y0, x1)));
    const bottom = tf.add(tf.mul(wx0, read(y1, x0)), tf.mul(wx1, read(y1, x1)));
    return tf.add(tf.mul(tf.sub(y1, my), top), tf.mul(tf.sub(my, y0), bottom)) as tf.Tensor4D;
  });
}
