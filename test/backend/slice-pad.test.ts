import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../src/backend';
import { stockKernel } from '../../src/backend/kernels/registry';
import { copyBox, fillPadding } from '../../src/backend/kernels/slice-pad';
import { randn, runKernel, type Input } from './kernel-helpers';

it('medinets replaced the stock cpu Slice and PadV2', async () => {
  await tf.setBackend('cpu');
  for (const name of ['Slice', 'PadV2']) {
    expect(stockKernel(name, 'cpu')).toBeDefined();
    expect(tf.getKernel(name, 'cpu')).not.toBe(stockKernel(name, 'cpu'));
  }
  await tf.setBackend('wasm');
  expect(stockKernel('PadV2', 'wasm')).toBeDefined();
  expect(tf.getKernel('PadV2', 'wasm')).not.toBe(stockKernel('PadV2', 'wasm'));
  await tf.setBackend('cpu');
});

// medinets' cpu Slice / PadV2 are block copies: the same values as the stock element loops, bit for bit.
const ints = (shape: number[]): Input => {
  const data = new Int32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 1001;
  return { shape, data, dtype: 'int32' };
};

describe('cpu Slice by block copies', () => {
  const cases: [string, number[], number[], number[]][] = [
    ['ZeroPadding2D gradient (H and W sliced)', [2, 7, 6, 3], [0, 3, 3, 0], [2, 1, 3, 3]],
    ['channels sliced (runs of one pixel)', [2, 3, 4, 5], [1, 0, 1, 2], [1, 3, 2, 2]],
    ['size -1 to the end', [3, 4, 5], [1, 1, 2], [-1, -1, -1]],
    ['rank 1', [10], [2], [5]],
    ['rank 6', [2, 2, 3, 2, 2, 3], [1, 0, 1, 0, 1, 1], [1, 2, 2, 1, 1, 2]],
  ];
  for (const [what, shape, begin, size] of cases) {
    it(`${what}: float32 and int32 equal the stock kernel`, async () => {
      for (const x of [randn(shape, 5), ints(shape)]) {
        const mine = await runKernel('cpu', 'Slice', { x }, { begin, size });
        const stock = await runKernel('cpu', 'Slice', { x }, { begin, size }, true);
        expect(mine.shape).toEqual(stock.shape);
        expect(mine.values).toEqual(stock.values);
        expect(mine.values.length).toBeGreaterThan(0);
      }
    });
  }

  it('a contiguous slice (a view in the stock kernel) and an empty one keep working', async () => {
    const x = randn([4, 3, 2], 6);
    const whole = await runKernel('cpu', 'Slice', { x }, { begin: [1, 0, 0], size: [2, 3, 2] });
    expect(Array.from(whole.values)).toEqual(Array.from(x.data.subarray(6, 18)));
    const empty = await runKernel('cpu', 'Slice', { x }, { begin: [1, 0, 0], size: [0, 3, 2] });
    expect(empty.shape).toEqual([0, 3, 2]);
  });

  it('the gradient of tf.pad through a model-like chain matches the stock kernels', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor(randn([2, 5, 4, 3], 7).data, [2, 5, 4, 3]);
    const f = (t: tf.Tensor): tf.Tensor =>
      tf.sum(
        tf.mul(
          tf.pad(t, [
            [0, 0],
            [3, 3],
            [2, 1],
            [0, 0],
          ]),
          1.5,
        ),
      );
    const g = tf.grad(f)(x);
    expect(Array.from(g.dataSync())).toEqual(new Array<number>(2 * 5 * 4 * 3).fill(1.5));
    tf.dispose([x, g]);
  });
});

describe('cpu and wasm PadV2 by block copies', () => {
  const cases: [string, number[], [number, number][], number][] = [
    [
      'ZeroPadding2D (3, 3)',
      [2, 5, 4, 3],
      [
        [0, 0],
        [3, 3],
        [3, 3],
        [0, 0],
      ],
      0,
    ],
    [
      'asymmetric with a constant',
      [2, 3, 4, 5],
      [
        [1, 0],
        [0, 2],
        [1, 1],
        [2, 3],
      ],
      -2.5,
    ],
    ['rank 1', [6], [[2, 3]], 7],
    [
      'no padding',
      [3, 2],
      [
        [0, 0],
        [0, 0],
      ],
      0,
    ],
  ];
  for (const [what, shape, paddings, constantValue] of cases) {
    it(`${what}: float32 and int32 equal the stock kernel`, async () => {
      for (const backend of ['cpu', 'wasm'] as const)
        for (const x of [randn(shape, 8), ints(shape)]) {
          const attrs = { paddings, constantValue };
          const mine = await runKernel(backend, 'PadV2', { x }, attrs);
          const stock = await runKernel(backend, 'PadV2', { x }, attrs, true);
          expect(mine.shape, backend).toEqual(stock.shape);
          expect(mine.values, backend).toEqual(stock.values);
        }
    });
  }
});

it('fillPadding writes exactly the padding: with copyBox it gives tf.pad on a NaN-filled buffer', () => {
  const shape = [2, 3, 4, 5];
  const paddings: [number, number][] = [
    [0, 1],
    [2, 0],
    [1, 1],
    [0, 0],
  ];
  const x = randn(shape, 21);
  const outShape = shape.map(
    (d, i) => d + (paddings[i] as [number, number])[0] + (paddings[i] as [number, number])[1],
  );
  const out = new Float32Array(tf.util.sizeFromShape(outShape)).fill(Number.NaN); // an unzeroed heap
  fillPadding(out, outShape, paddings, -1.5);
  copyBox(
    x.data as Float32Array,
    shape,
    [0, 0, 0, 0],
    shape,
    out,
    outShape,
    paddings.map((p) => p[0]),
  );
  const want = tf.tidy(() => tf.pad(tf.tensor(x.data, shape), paddings, -1.5).dataSync());
  expect(Array.from(out)).toEqual(Array.from(want));
});
