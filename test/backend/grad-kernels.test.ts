// Pooling, resize, gather, tile and matmul kernels against references, and the stock
// kernels medinets replaces because they are wrong shown failing the same check.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from '../../src/backend';
// The wasm / JS kernels themselves: the native addon (tested in native-kernels.test.ts) is off here.

import { stockKernel } from '../../src/backend/kernels/registry';
import { randn, relErr, runKernel, type Input } from './kernel-helpers';

const TOL = 1e-4;

beforeAll(async () => {
  disableNativeKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(async () => {
  enableNativeKernels();
  await tf.setBackend('cpu');
});

describe('MaxPoolGrad (wasm)', () => {
  const cases = [
    { x: [2, 8, 7, 3], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [1, 9, 9, 2], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [2, 6, 5, 1], filterSize: [3, 2], strides: [1, 1], pad: 'same' },
  ];
  cases.forEach((c, i) => {
    it(`matches cpu with negative windows ${c.x} k${c.filterSize} s${c.strides} ${c.pad}`, async () => {
      const x = randn(c.x, 100 + i);
      for (let j = 0; j < x.data.length; j++) x.data[j] = -Math.abs(x.data[j] as number) - 0.1; // every maximum < 0
      const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      const y = await runKernel('cpu', 'MaxPool', { x }, attrs);
      const output = { shape: y.shape, data: y.values };
      const dy = randn(y.shape, 200 + i);
      const inputs = { dy, input: x, output };
      const ref = await runKernel('cpu', 'MaxPoolGrad', inputs, attrs, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'MaxPoolGrad', inputs, attrs);
        expect(relErr(got.values, ref.values), be).toBeLessThan(TOL);
      }
      const stock = await runKernel('wasm', 'MaxPoolGrad', inputs, attrs, true);
      expect(relErr(stock.values, ref.values)).toBeGreaterThan(1e-2);
    });
  });
});

describe('MaxPoolWithArgmax (wasm)', () => {
  it('matches cpu on negative windows, with and without the batch in the index', async () => {
    const x = randn([2, 7, 6, 3], 150);
    for (let j = 0; j < x.data.length; j++) x.data[j] = -Math.abs(x.data[j] as number) - 0.1;
    for (const includeBatchInIndex of [false, true]) {
      const run = async (be: 'cpu' | 'wasm'): Promise<[Float32Array, Float32Array]> => {
        await tf.setBackend(be);
        const xt = tf.tensor4d(x.data, x.shape as [number, number, number, number]);
        const { result, indexes } = tf.maxPoolWithArgmax(xt, 3, 2, 'same', includeBatchInIndex);
        const r: [Float32Array, Float32Array] = [
          Float32Array.from(result.dataSync()),
          Float32Array.from(indexes.dataSync()),
        ];
        tf.dispose([xt, result, indexes]);
        return r;
      };
      const [rv, ri] = await run('cpu');
      const [gv, gi] = await run('wasm');
      expect(relErr(gv, rv)).toBeLessThan(TOL);
      expect(Array.from(gi)).toEqual(Array.from(ri));
    }
    // The stock wasm kernel gets the indices wrong on the same input.
    await tf.setBackend('wasm');
    const stock = stockKernel('MaxPoolWithArgmax', 'wasm');
    expect(stock).toBeDefined();
    const xt = tf.tensor(x.data, x.shape);
    const attrs = { filterSize: 3, strides: 2, pad: 'same', includeBatchInIndex: false };
    const outs = stock?.kernelFunc({ inputs: { x: xt }, attrs, backend: tf.backend() }) as tf.TensorInfo[];
    const [sv, si] = outs.map((o) => tf.engine().makeTensorFromTensorInfo(o)) as [tf.Tensor, tf.Tensor];
    const mine = tf.maxPoolWithArgmax(xt as tf.Tensor4D, 3, 2, 'same', false);
    const differs =
      relErr(Float32Array.from(si.dataSync()), Float32Array.from(mine.indexes.dataSync())) > 0 ||
      relErr(Float32Array.from(sv.dataSync()), Float32Array.from(mine.result.dataSync())) > 1e-2;
    expect(differs).toBe(true);
    tf.dispose([xt, sv, si, mine.result, mine.indexes]);
  });
});

/** The exact adjoint of the cpu forward resize: column i is <dy, resize(e_i)>. */
async function adjointReference(
  kernel: string,
  images: Input,
  dy: Input,
  attrs: tf.NamedAttrMap,
): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const n = images.data.length;
  const g = new Float32Array(n);
  const dyT = tf.tensor(dy.data, dy.shape);
  for (let i = 0; i < n; i++) {
    const s = tf.tidy(() => {
      const e = tf.buffer(images.shape, 'float32');
      e.values[i] = 1;
      const y = tf.engine().runKernel(kernel, { images: e.toTensor() }, attrs) as tf.Tensor;
      return tf.sum(tf.mul(y, dyT)).dataSync()[0] as number;
    });
    g[i] = s;
  }
  dyT.dispose();
  return g;
}

describe('resize gradients are the exact adjoint of the forward resize', () => {
  const cases = [
    { images: [2, 3, 4, 2], size: [6, 8], alignCorners: false, halfPixelCenters: true },
    { images: [2, 4, 3, 1], size: [7, 5], alignCorners: false, halfPixelCenters: false },
    { images: [1, 3, 3, 2], size: [5, 6], alignCorners: true, halfPixelCenters: false },
  ];
  for (const [fwd, grad] of [
    ['ResizeBilinear', 'ResizeBilinearGrad'],
    ['ResizeNearestNeighbor', 'ResizeNearestNeighborGrad'],
  ] as const) {
    cases.forEach((c, i) => {
      it(`${grad} ${c.images} -> ${c.size} align=${c.alignCorners} half=${c.halfPixelCenters}`, async () => {
        const images = randn(c.images, 300 + i);
        const dy = randn(
          [c.images[0] as number, c.size[0] as number, c.size[1] as number, c.images[3] as number],
          400 + i,
        );
        const attrs = { alignCorners: c.alignCorners, halfPixelCenters: c.halfPixelCenters, size: c.size };
        const ref = await adjointReference(fwd, images, dy, attrs);
        for (const be of ['cpu', 'wasm'] as const) {
          const got = await runKernel(be, grad, { images, dy }, attrs);
          expect(relErr(got.values, ref), be).toBeLessThan(TOL);
        }
      });
    });
  }

  it('the stock kernels fail the same check (halfPixelCenters; cpu nearest with batch > 1)', async () => {
    const c = cases[0] as (typeof cases)[number];
    const images = randn(c.images, 300);
    const dy = randn([2, 6, 8, 2], 400);
    const attrs = { alignCorners: false, halfPixelCenters: true, size: c.size };
    const ref = await adjointReference('ResizeBilinear', images, dy, attrs);
    for (const be of ['cpu', 'wasm'] as const) {
      const stock = await runKernel(be, 'ResizeBilinearGrad', { images, dy }, attrs, true);
      expect(relErr(stock.values, ref), be).toBeGreaterThan(1e-2);
    }
    const attrsN = { alignCorners: false, halfPixelCenters: false, size: [6, 8] };
    const refN = await adjointReference('ResizeNearestNeighbor', images, dy, attrsN);
    const stockN = await runKernel('cpu', 'ResizeNearestNeighborGrad', { images, dy }, attrsN, true);
    expect(relErr(stockN.values, refN)).toBeGreaterThan(1e-2);
  });
});

describe('gather, segment sum, tile, matmul and reductions on wasm match cpu', () => {
  it('GatherV2 on several axes, with repeated indices', async () => {
    const x = randn([3, 5, 4], 500);
    const indices: Input = { shape: [2, 3], data: new Int32Array([3, 0, 2, 2, 1, 3]), dtype: 'int32' };
    for (const axis of [1, 2]) {
      const attrs = { axis, batchDims: 0 };
      const ref = await runKernel('cpu', 'GatherV2', { x, indices }, attrs);
      const got = await runKernel('wasm', 'GatherV2', { x, indices }, attrs);
      expect(got.shape).toEqual(ref.shape);
      expect(relErr(got.values, ref.values)).toBe(0);
    }
    const i0: Input = { shape: [4], data: new Int32Array([2, 0, 2, 1]), dtype: 'int32' };
    const ref = await runKernel('cpu', 'GatherV2', { x, indices: i0 }, { axis: 0, batchDims: 0 });
    const got = await runKernel('wasm', 'GatherV2', { x, indices: i0 }, { axis: 0, batchDims: 0 });
    expect(relErr(got.values, ref.values)).toBe(0);
  });

  it('UnsortedSegmentSum (the gradient of tf.gather), ids out of range dropped', async () => {
    const x = randn([6, 3, 2], 501);
    const segmentIds: Input = { shape: [6], data: new Int32Array([0, 3, 3, 1, 0, 5]), dtype: 'int32' };
    const attrs = { numSegments: 5 };
    const ref = await runKernel('cpu', 'UnsortedSegmentSum', { x, segmentIds }, attrs);
    const got = await runKernel('wasm', 'UnsortedSegmentSum', { x, segmentIds }, attrs);
    expect(got.shape).toEqual([5, 3, 2]);
    expect(relErr(got.values, ref.values)).toBeLessThan(TOL);
  });

  it('Tile for ranks 1-4, including reps of 1 and 17-wide rows', async () => {
    const cases: [number[], number[]][] = [
      [[5], [3]],
      [
        [2, 3],
        [2, 4],
      ],
      [
        [1, 1, 1, 17],
        [2, 3, 2, 1],
      ],
      [
        [2, 1, 3, 4],
        [1, 5, 1, 2],
      ],
    ];
    for (const [shape, reps] of cases) {
      const x = randn(shape, 502);
      const ref = await runKernel('cpu', 'Tile', { x }, { reps }, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'Tile', { x }, { reps });
        expect(got.shape).toEqual(ref.shape);
        expect(relErr(got.values, ref.values)).toBe(0);
      }
    }
  });

  it('BatchMatMul with every transpose combination and batch broadcasting', async () => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const a = randn(ta ? [2, 5, 3] : [2, 3, 5], 503);
      const b = randn(tb ? [1, 4, 5] : [1, 5, 4], 504);
      const attrs = { transposeA: ta, transposeB: tb };
      const ref = await runKernel('cpu', 'BatchMatMul', { a, b }, attrs);
      const got = await runKernel('wasm', 'BatchMatMul', { a, b }, attrs);
      expect(got.shape).toEqual([2, 3, 4]);
      expect(relErr(got.values, ref.values)).toBeLessThan(TOL);
    }
  });

  it('Sum and Mean over leading axes (and other axes, via the stock kernel), keepDims', async () => {
    const x = randn([3, 4, 5, 6], 505);
    for (const name of ['Sum', 'Mean']) {
      for (const axis of [[0], [0, 1, 2], [2, 1, 0], [1, 2], [3], [0, 3]]) {
        for (const keepDims of [false, true]) {
          const ref = await runKernel('cpu', name, { x }, { axis, keepDims }, true);
          for (const be of ['wasm', 'cpu'] as const) {
            const got = await runKernel(be, name, { x }, { axis, keepDims });
            expect(got.shape).toEqual(ref.shape);
            expect(relErr(got.values, ref.values)).toBeLessThan(TOL);
          }
        }
      }
    }
  });

  it('cpu Multiply / Add / Sub / RealDiv on every broadcast shape match the stock kernels', async () => {
    const shapes: [number[], number[]][] = [
      [
        [2, 3, 4, 5],
        [2, 3, 4, 5],
      ],
      [[2, 3, 4, 5], []],
      [[], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [5]],
      [
        [1, 1, 1, 5],
        [2, 3, 4, 5],
      ],
      [
        [2, 3, 4, 5],
        [4, 5],
      ],
      [
        [2, 3, 4, 5],
        [2, 1, 1, 5],
      ], // not a trailing broadcast: stock path
      [
        [3, 1],
        [1, 4],
      ],
    ];
    for (const name of ['Multiply', 'Add', 'Sub', 'RealDiv']) {
      for (const [sa, sb] of shapes) {
        const a = randn(sa, 506);
        const b = randn(sb, 507);
        const ref = await runKernel('cpu', name, { a, b }, {}, true);
        const got = await runKernel('cpu', name, { a, b }, {});
        expect(got.shape).toEqual(ref.shape);
        expect(relErr(got.values, ref.values), `${name} ${sa} ${sb}`).toBeLessThan(TOL);
      }
    }
  });

  it('tf.gatherND has a gradient (scatter of dy, repeats summed)', async () => {
    await tf.setBackend('wasm');
    const g = tf.tidy(() =>
      tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.gatherND(t, tf.tensor2d([[0], [2], [2]], [3, 1], 'int32')),
            tf.tensor2d([
              [1, 2],
              [3, 4],
              [5, 6],
            ]),
          ),
        ),
      )(tf.ones([3, 2])),
    );
    expect(Array.from(await g.data())).toEqual([1, 2, 0, 0, 8, 10]);
    g.dispose();
  });
});

describe('Identity on wasm shares the buffer', () => {
  it('clones without a copy, keeps values when either tensor is disposed, and frees with the last', async () => {
    await tf.setBackend('wasm');
    const buffers = tf.backend().numDataIds();
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, -6],
    ]);
    const y = tf.clone(x);
    // the stock kernel allocates a second buffer here
    expect(tf.backend().numDataIds()).toBe(buffers + 1);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, -6]);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, -6]);
    const z = tf.tidy(() => tf.add(tf.clone(y), 1));
    expect(Array.from(z.dataSync())).toEqual([2, 3, 4, 5, 6, -5]);
    tf.dispose([y, z]);
    expect(tf.backend().numDataIds()).toBe(buffers);
    await tf.setBackend('cpu');
  });
});
