// The work of the thread-safety test: convolutions (stride 1 and 2) and a matrix product,
// forward and backward, through tfjs' cpu backend with medinets' native kernels, at sizes
// that use the addon's thread pool. Returns every output as raw bits.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { enableNativeKernels } from '../../../src/backend';

export async function setup(threads: number): Promise<void> {
  const r = enableNativeKernels({ threads });
  if (!r.active) throw new Error(`native addon inactive: ${r.reason}`);
  await tf.setBackend('cpu');
  await tf.ready();
}

export function work(): Uint32Array[] {
  const bits: Uint32Array[] = [];
  tf.tidy(() => {
    const out: tf.Tensor[] = [];
    const convs: [[number, number, number, number], [number, number, number, number], number][] = [
      [[4, 24, 24, 16], [3, 3, 16, 32], 1],
      [[2, 24, 24, 24], [3, 3, 24, 32], 2],
    ];
    convs.forEach(([xs, ws, s], i) => {
      const x = tf.randomNormal(xs, 0, 1, 'float32', 10 + i) as tf.Tensor4D;
      const w = tf.randomNormal(ws, 0, 0.2, 'float32', 20 + i) as tf.Tensor4D;
      const y = tf.conv2d(x, w, s, 'same');
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 30 + i);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, 'same'), r)),
      )([x, w]);
      out.push(y, dx as tf.Tensor, dw as tf.Tensor);
    });
    const a = tf.randomNormal([192, 160], 0, 1, 'float32', 40);
    const b = tf.randomNormal([160, 128], 0, 1, 'float32', 41);
    const r = tf.randomNormal([192, 128], 0, 1, 'float32', 42);
    const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q), r)))([a, b]);
    out.push(tf.matMul(a, b), da as tf.Tensor, db as tf.Tensor);
    for (const t of out) bits.push(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
  });
  return bits;
}
