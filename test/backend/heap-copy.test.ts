// Slice and AvgPoolGrad on wasm (src/backend/kernels/heap-copy.ts) against the stock cpu
// kernels: the same bits, on pad-gradient-like slices, slices cut on several axes, and
// pooling windows that overlap, stride past each other or reach into the padding.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/backend';
import { randn, runKernel } from './kernel-helpers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('wasm Slice and AvgPoolGrad', () => {
  const slices: [number[], number[], number[]][] = [
    [
      [2, 9, 9, 6],
      [0, 0, 0, 0],
      [2, 8, 8, 6],
    ], // a ZeroPadding2D gradient
    [
      [2, 9, 9, 6],
      [1, 1, 2, 3],
      [1, 5, 4, 2],
    ],
    [
      [3, 4, 5, 6],
      [0, 1, 0, 0],
      [3, 2, 5, 6],
    ],
    [
      [3, 4, 5, 6],
      [0, 0, 0, 0],
      [3, 4, 5, 6],
    ], // the whole tensor
    [
      [7, 11],
      [2, 3],
      [4, -1],
    ],
    [[40], [5], [30]],
    [
      [2, 3, 4, 5, 6],
      [1, 0, 2, 1, 3],
      [1, 3, 2, 4, -1],
    ],
  ];
  for (const [shape, begin, size] of slices) {
    it(`Slice ${shape.join('x')} from [${begin.join(',')}] size [${size.join(',')}]`, async () => {
      const x = randn(shape, shape.length + begin[0]!);
      const ref = await runKernel('cpu', 'Slice', { x }, { begin, size }, true);
      const got = await runKernel('wasm', 'Slice', { x }, { begin, size });
      expect(got.shape).toEqual(ref.shape);
      expect(bits(got.values)).toEqual(bits(ref.values));
    });
  }

  const pools: [number[], [number, number], [number, number], 'same' | 'valid'][] = [
    [[2, 8, 8, 5], [2, 2], [2, 2], 'valid'], // DenseNet's transitions
    [[2, 9, 7, 3], [2, 2], [2, 2], 'valid'],
    [[1, 7, 9, 4], [3, 3], [1, 1], 'same'],
    [[2, 7, 8, 3], [3, 3], [2, 2], 'same'],
    [[1, 6, 6, 2], [3, 2], [1, 3], 'valid'],
  ];
  for (const [shape, filterSize, strides, pad] of pools) {
    it(`AvgPoolGrad ${shape.join('x')} window ${filterSize.join('x')} stride ${strides.join('')} ${pad}`, async () => {
      const input = randn(shape, 7);
      const info = tf.backend_util.computePool2DInfo(
        shape as [number, number, number, number],
        filterSize,
        strides,
        1,
        pad,
      );
      const dy = randn(info.outShape, 8);
      (dy.data as Float32Array)[0] = -0;
      const attrs = { filterSize, strides, pad };
      const ref = await runKernel('cpu', 'AvgPoolGrad', { dy, input }, attrs, true);
      const got = await runKernel('wasm', 'AvgPoolGrad', { dy, input }, attrs);
      expect(got.shape).toEqual(ref.shape);
      expect(bits(got.values)).toEqual(bits(ref.values));
    });
  }
});
