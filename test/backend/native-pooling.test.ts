// Max pooling on the cpu and wasm backends in the native addon (the ResNet stem's 3x3 / 2 pooling):
// the stock tfjs cpu kernel's bits (NaN ignored, -Infinity for an empty window, the first of
// equal values so -0 / +0 as stock), on 1 and 2 threads, with nothing leaked; and the
// addon-off path is the stock kernel itself.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelsInUse,
  setupBackend,
} from '../../src/backend';
import { randn, runKernel, type Input } from './kernel-helpers';

const available = nativeKernelsInUse().active;

beforeAll(async () => {
  await setupBackend({ prefer: 'wasm' });
  await tf.setBackend('cpu');
});
afterAll(() => {
  enableNativeKernels();
});

/** Whether two arrays hold the same values bit for bit (-0 apart from +0; any NaN as NaN). */
function sameBits(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length || x.length === 0) return false;
  for (let i = 0; i < x.length; i++) {
    const u = x[i] as number;
    const v = y[i] as number;
    if (!Object.is(u, v) && !(Number.isNaN(u) && Number.isNaN(v))) return false;
  }
  return true;
}

/** Values with the edge cases the comparison must keep: NaN, +-0 in both orders, +-Infinity, ties. */
function awkward(shape: number[], seed: number): Input {
  const x = randn(shape, seed);
  const d = x.data as Float32Array;
  const c = shape[3] as number;
  for (let i = 0; i < d.length; i += 7) d[i] = Math.round(d[i] as number); // ties, and -0 / +0
  for (let i = 3; i < d.length; i += 53) d[i] = Number.NaN;
  for (let i = 0; i < c; i++) d[i] = Number.NaN; // a window of NaNs only (corner)
  d[c + 1] = -0;
  d[2 * c + 1] = 0;
  d[5 * c + 2] = Number.POSITIVE_INFINITY;
  d[9 * c + 3] = Number.NEGATIVE_INFINITY;
  return x;
}

const CASES: {
  shape: number[];
  k: number | [number, number];
  s: number | [number, number];
  pad: 'valid' | 'same' | number;
  round?: 'floor' | 'round' | 'ceil';
}[] = [
  { shape: [2, 13, 12, 64], k: 3, s: 2, pad: 'valid' },
  { shape: [2, 13, 12, 64], k: 3, s: 2, pad: 'same' },
  { shape: [3, 9, 11, 70], k: 2, s: 2, pad: 'valid' },
  { shape: [1, 10, 7, 3], k: [3, 2], s: [1, 2], pad: 'same' },
  { shape: [2, 8, 8, 5], k: 3, s: 1, pad: 1 },
  { shape: [1, 7, 7, 130], k: 4, s: 3, pad: 2, round: 'ceil' },
  { shape: [16, 23, 23, 64], k: 3, s: 2, pad: 'valid' }, // big enough for the pool's split
];

describe('MaxPool (cpu and wasm, native addon)', () => {
  it.runIf(available)('gives the stock kernel bits on 1 and 2 threads, edge values included', async () => {
    for (const [i, cs] of CASES.entries()) {
      const x = awkward(cs.shape, 40 + i);
      const attrs: NamedAttrMap = { filterSize: cs.k, strides: cs.s, pad: cs.pad };
      if (cs.round != null) attrs.dimRoundingMode = cs.round;
      const stock = await runKernel('cpu', 'MaxPool', { x }, attrs, true);
      for (const threads of [1, 2])
        for (const be of ['cpu', 'wasm'] as const) {
          enableNativeKernels({ threads });
          const got = await runKernel(be, 'MaxPool', { x }, attrs);
          const what = `${JSON.stringify(cs)} on ${be}, ${threads} threads`;
          expect(got.shape, what).toEqual(stock.shape);
          expect(sameBits(got.values, stock.values), what).toBe(true);
        }
    }
    enableNativeKernels();
  });

  it.runIf(available)(
    'keeps -Infinity for windows wholly in the padding and NaN-only windows at -Infinity',
    async () => {
      // pad 2 with a 2x2 window at stride 3: the first window lies wholly in the padding
      const x = { shape: [1, 2, 2, 1], data: Float32Array.from([Number.NaN, Number.NaN, Number.NaN, 1]) };
      const attrs = { filterSize: 2, strides: 3, pad: 2 };
      const stock = await runKernel('cpu', 'MaxPool', { x }, attrs, true);
      const got = await runKernel('cpu', 'MaxPool', { x }, attrs);
      // output (0, 0) covers only padding, (0, 1) only NaNs, (1, 1) the 1
      expect(Array.from(stock.values)).toEqual([-Infinity, -Infinity, -Infinity, 1]);
      expect(sameBits(got.values, stock.values)).toBe(true);
      const y = await runKernel('cpu', 'MaxPool', { x }, { filterSize: 1, strides: 2, pad: 'valid' });
      expect(Array.from(y.values)).toEqual([Number.NEGATIVE_INFINITY]);
    },
  );

  it('falls back to the stock kernel without the addon and for int32 input', async () => {
    const x = awkward([2, 9, 9, 4], 60);
    const attrs = { filterSize: 3, strides: 2, pad: 'same' };
    const stock = await runKernel('cpu', 'MaxPool', { x }, attrs, true);
    disableNativeKernels();
    const js = await runKernel('cpu', 'MaxPool', { x }, attrs);
    enableNativeKernels();
    expect(sameBits(js.values, stock.values)).toBe(true);
    const xi: Input = {
      shape: [1, 4, 4, 1],
      data: Int32Array.from({ length: 16 }, (_, i) => i),
      dtype: 'int32',
    };
    const yi = await runKernel('cpu', 'MaxPool', { x: xi }, { filterSize: 2, strides: 2, pad: 'valid' });
    expect(Array.from(yi.values)).toEqual([5, 7, 13, 15]);
  });

  it.runIf(available)(
    'trains through tf.maxPool: the JS kernel gradient bits on 1 and 2 threads, no leak',
    async () => {
      const x = tf.tensor4d(awkward([4, 31, 31, 16], 70).data as Float32Array, [4, 31, 31, 16]);
      const grad = (): Float32Array => {
        const before = tf.memory().numTensors;
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 3, 2, 'same')))(x);
        const v = Float32Array.from(g.dataSync());
        g.dispose();
        expect(tf.memory().numTensors).toBe(before);
        return v;
      };
      disableNativeKernels();
      const ref = grad();
      for (const threads of [1, 2]) {
        enableNativeKernels({ threads });
        expect(sameBits(grad(), ref), `${threads} threads`).toBe(true);
      }
      enableNativeKernels();
      x.dispose();
    },
  );
});
