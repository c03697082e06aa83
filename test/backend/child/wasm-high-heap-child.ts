// Run by test/backend/wasm-high-heap.test.ts in a child process (its 2 GiB wasm heap is given
// back when it exits): the wasm backend's own convolution gradients (addon off) on tensors
// placed above 2 GiB in the heap, against the cpu backend. Prints one JSON line.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { disableNativeKernels } from '../../../src/backend';

type Grads = { dx: Float32Array; dw: Float32Array; offset: number };

// stride 2: the sub-pixel phases of Conv2DBackpropInput; 3 channels: dW as im2col (its rows
// moved by copyWithin at stride 1)
function grads(): Grads {
  return tf.tidy(() => {
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const r = tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', 3);
    const r1 = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 4);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
      tf.add(
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), r)),
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), r1)),
      );
    const [dx, dw] = tf.grads(f)([x, w]) as [tf.Tensor, tf.Tensor];
    const be = tf.backend() as unknown as { getMemoryOffset?(id: object): number };
    return {
      dx: dx.dataSync() as Float32Array,
      dw: dw.dataSync() as Float32Array,
      offset: be.getMemoryOffset?.(x.dataId) ?? 0,
    };
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

disableNativeKernels();
await tf.setBackend('cpu');
const ref = grads();
await tf.setBackend('wasm');
// one tensor of 2100 MiB first in the heap: everything allocated after it lies above 2 GiB
const filler = tf.zeros([(2100 * 2 ** 20) / 4]);
const high = grads();
const heapMiB = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20;
filler.dispose();
console.log(
  JSON.stringify({
    heapMiB,
    offset: high.offset,
    dx: maxDiff(high.dx, ref.dx),
    dw: maxDiff(high.dw, ref.dw),
    tensors: tf.memory().numTensors,
  }),
);
