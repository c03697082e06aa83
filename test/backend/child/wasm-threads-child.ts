// Run by test/backend/wasm-threads.test.ts in a fresh process: the wasm backend can be made
// threaded only before it first initialises. Prints one JSON line.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../../../src/backend';

const threads = Number(process.argv[2] ?? '2');
const report = await setupBackend({ prefer: 'wasm', threads });
// A convolution and a matrix product big enough for XNNPACK to split over the pool.
const x = tf.randomUniform([2, 24, 24, 16], -1, 1, 'float32', 1);
const w = tf.randomUniform([3, 3, 16, 32], -1, 1, 'float32', 2);
const a = tf.randomUniform([96, 80], -1, 1, 'float32', 3);
const b = tf.randomUniform([80, 64], -1, 1, 'float32', 4);
const run = (): Float32Array[] =>
  tf.tidy(() => [
    tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').dataSync() as Float32Array,
    tf.matMul(a, b).dataSync() as Float32Array,
  ]);
// Filter gradients by both of Conv2DBackpropFilter's wasm paths (im2col: few channels, few
// output pixels; batch as channels: the rest), hashed bit for bit across thread counts.
const dwDigest = (): string =>
  tf.tidy(() => {
    let h = 0;
    for (const [xs, fs] of [
      [
        [4, 12, 12, 3],
        [3, 3, 3, 16],
      ],
      [
        [4, 6, 6, 32],
        [3, 3, 32, 16],
      ],
      [
        [2, 24, 24, 16],
        [3, 3, 16, 32],
      ],
    ] as [number[], number[]][]) {
      const xi = tf.randomUniform(xs, -1, 1, 'float32', 5);
      const dy = tf.randomUniform([...xs.slice(0, 3), fs[3] as number], -1, 1, 'float32', 6);
      const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: fs };
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xi, dy }, attrs as never) as tf.Tensor;
      for (const v of new Uint32Array((dw.dataSync() as Float32Array).slice().buffer))
        h = (Math.imul(h, 31) + v) >>> 0;
    }
    return h.toString(16);
  });
const dwBits = dwDigest();
const onWasm = run();
const before = tf.memory().numTensors;
await tf.setBackend('cpu');
const onCpu = run();
let maxErr = 0;
onWasm.forEach((v, i) => {
  const r = onCpu[i] as Float32Array;
  for (let k = 0; k < v.length; k++) maxErr = Math.max(maxErr, Math.abs((v[k] as number) - (r[k] as number)));
});
console.log(
  JSON.stringify({ backend: report.backend, threads: report.threads, maxErr, numTensors: before, dwBits }),
);
