import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Run `f`, dispose what it returns, and assert no tensor outlived it. */
export function noLeak<T extends tf.TensorContainer>(f: () => T): void {
  const before = tf.memory().numTensors;
  const out = f();
  tf.dispose(out);
  expect(tf.memory().numTensors).toBe(before);
}

/** Flat values of a tensor. */
export function vals(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Largest absolute difference between two tensors' values. */
export function maxDiff(a: tf.Tensor, b: tf.Tensor | number[]): number {
  const av = a.dataSync();
  const bv = Array.isArray(b) ? b : b.dataSync();
  expect(av.length).toBe(bv.length);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs((av[i] as number) - (bv[i] as number)));
  return m;
}

/** A seeded uniform batch `[n, h, w, c]` in [0, 1). */
export function images(n: number, h: number, w: number, c: number, seed = 1): tf.Tensor4D {
  return tf.randomUniform([n, h, w, c], 0, 1, 'float32', seed) as tf.Tensor4D;
}

/** A seeded binary mask `[n, h, w, 1]`. */
export function binaryMask(n: number, h: number, w: number, seed = 2): tf.Tensor4D {
  return tf.tidy(() =>
    tf.cast(tf.greater(tf.randomUniform([n, h, w, 1], 0, 1, 'float32', seed), 0.5), 'float32'),
  ) as tf.Tensor4D;
}
