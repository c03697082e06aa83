// The wasm SIMD module's data-movement and gradient kernels (wasm/copy.c, conv.c, pool.c, gemm.c)
// on the wasm backend without the addon: Concat / SplitV, Relu / Relu6 and the filter gradient
// give the same bits as the kernels they replace, MaxPoolGrad the same bits as the JS
// kernel, the depthwise gradients and batch norm at inference match the stock cpu / wasm
// kernels; nothing leaks. Here the heap is not shared, so the module runs on one thread; its
// workers are tested in wasm-gemm.test.ts.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from '../../src/backend';
import { stockKernel } from '../../src/backend/kernels/registry';
import { asBatchedSwap } from '../../src/backend/kernels/transpose-wasm';
import { conv2DBackpropFilterIm2col } from '../../src/backend/kernels/wasm-filter-grad';
import { setGemmConvChoice } from '../../src/backend/kernels/wasm-gemm-conv';
import { useWasmSimd, useRelaxedSimd, wasmSimdStatus } from '../../src/backend/kernels/wasm-simd';
import { CONV_CASES, convInfo, label, randn, relErr, runKernel, type Input } from './kernel-helpers';

beforeAll(async () => {
  // the plain product (XNNPACK's bits) whatever the engine; the relaxed one: wasm-gemm.test.ts' child
  useRelaxedSimd(false);
  disableNativeKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  const s = wasmSimdStatus(tf.backend());
  expect(s.reason).toBeUndefined(); // fail loudly: every test below would test the JS path
});
afterAll(async () => {
  useWasmSimd(true);
  enableNativeKernels();
  await tf.setBackend('cpu');
});

const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** Kernel `name` on wasm with the SIMD module on and off (the JS / stock kernel then). */
async function simdAndNot(
  name: string,
  inputs: Record<string, Input>,
  attrs: tf.NamedAttrMap,
): Promise<[Float32Array, Float32Array]> {
  const on = await runKernel('wasm', name, inputs, attrs);
  useWasmSimd(false);
  try {
    const off = await runKernel('wasm', name, inputs, attrs);
    return [on.values, off.values];
  } finally {
    useWasmSimd(true);
  }
}

describe('wasm SIMD copies and activations', () => {
  it("Sum and Mean over leading axes: the JS loop's bits (float64 sums in row order)", async () => {
    for (const shape of [
      [3, 4, 5, 6],
      [2, 33, 17, 37],
      [8, 16, 16, 64],
    ]) {
      const x = randn(shape, 600 + shape[3]!);
      for (const name of ['Sum', 'Mean'])
        for (const axis of [[0, 1, 2], [1, 2], [0]]) {
          const [on, off] = await simdAndNot(name, { x }, { axis, keepDims: false });
          expect(bits(on)).toBe(bits(off));
        }
    }
  });

  it('asBatchedSwap finds the batched 2-D swaps among permutations, and only those', () => {
    expect(asBatchedSwap([8, 16, 16, 32], [3, 0, 1, 2])).toEqual([1, 2048, 32]); // NHWC -> CNHW
    expect(asBatchedSwap([32, 8, 16, 16], [1, 2, 3, 0])).toEqual([1, 32, 2048]); // and back
    expect(asBatchedSwap([2, 5, 7], [0, 2, 1])).toEqual([2, 5, 7]);
    expect(asBatchedSwap([5, 7], [1, 0])).toEqual([1, 5, 7]);
    expect(asBatchedSwap([2, 1, 5, 7], [0, 3, 1, 2])).toEqual([2, 5, 7]); // a size-1 axis dropped
    expect(asBatchedSwap([2, 5, 1, 7], [0, 3, 1, 2])).toEqual([2, 5, 7]);
    expect(asBatchedSwap([2, 3, 4, 5], [0, 1, 2, 3])).toBeNull(); // a copy
    expect(asBatchedSwap([2, 3, 4, 5], [2, 0, 3, 1])).toBeNull(); // four groups
    expect(asBatchedSwap([2, 3, 4], [1, 0, 2])).toBeNull(); // swaps the outer axes: rows move whole
    expect(asBatchedSwap([2, 3, 4], [2, 1, 0])).toBeNull();
  });

  for (const [shape, perm] of [
    [
      [8, 9, 7, 13],
      [3, 0, 1, 2],
    ],
    [
      [13, 8, 9, 7],
      [1, 2, 3, 0],
    ],
    [
      [3, 37, 41],
      [0, 2, 1],
    ],
    [
      [64, 33],
      [1, 0],
    ],
    [
      [2, 1, 33, 35],
      [0, 3, 2, 1],
    ],
    [
      [4, 6, 5, 7],
      [2, 0, 3, 1],
    ],
  ] as const) {
    it(`Transpose ${JSON.stringify(shape)} by ${JSON.stringify(perm)}: the stock kernel's bits`, async () => {
      const x = randn([...shape], 7);
      const [on, off] = await simdAndNot('Transpose', { x }, { perm: [...perm] });
      expect(on.length).toBe(x.data.length);
      expect(bits(on)).toBe(bits(off));
      // and the values are where a transpose puts them (the stock kernel is not the only judge)
      const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a: number, b: number) => a * b, 1));
      const outShape = perm.map((a) => shape[a] as number);
      const idx = new Array<number>(shape.length).fill(0);
      for (let o = 0; o < on.length; o++) {
        let rem = o;
        let src = 0;
        for (let d = outShape.length - 1; d >= 0; d--) {
          idx[d] = rem % (outShape[d] as number);
          rem = Math.floor(rem / (outShape[d] as number));
        }
        for (let d = 0; d < perm.length; d++)
          src += (idx[d] as number) * (strides[perm[d] as number] as number);
        if (on[o] !== x.data[src]) throw new Error(`value ${o}: ${on[o]} != x[${src}] = ${x.data[src]}`);
      }
    });
  }

  for (const shape of [
    [2, 5, 3, 7],
    [3, 33],
    [1, 4, 4, 130],
  ]) {
    it(`Concat and SplitV on every axis of ${JSON.stringify(shape)}: the stock kernels' bits`, () => {
      for (let axis = 0; axis < shape.length; axis++) {
        const before = tf.memory().numTensors;
        const buffers = tf.backend().numDataIds();
        const other = [...shape];
        other[axis] = 3;
        const a = tf.tensor(randn(shape, 1 + axis).data, shape);
        const b = tf.tensor(randn(other, 2 + axis).data, other);
        const cat = tf.concat([a, b, a], axis);
        const sizes = [shape[axis] as number, 3, shape[axis] as number];
        const parts = tf.split(cat, sizes, axis);
        const ts = { x: cat };
        const stock = (stockKernel('SplitV', 'wasm') as tf.KernelConfig).kernelFunc({
          inputs: ts,
          attrs: { numOrSizeSplits: sizes, axis },
          backend: tf.backend(),
        }) as TensorInfo[];
        const stockParts = stock.map((t) => tf.engine().makeTensorFromTensorInfo(t));
        const catStock = tf.engine().makeTensorFromTensorInfo(
          (stockKernel('Concat', 'wasm') as tf.KernelConfig).kernelFunc({
            inputs: [a, b, a] as unknown as tf.NamedTensorInfoMap,
            attrs: { axis },
            backend: tf.backend(),
          }) as TensorInfo,
        );
        expect(bits(cat.dataSync() as Float32Array)).toBe(bits(catStock.dataSync() as Float32Array));
        parts.forEach((p, i) => {
          const s = stockParts[i] as tf.Tensor;
          expect(p.shape).toEqual(s.shape);
          expect(bits(p.dataSync() as Float32Array)).toBe(bits(s.dataSync() as Float32Array));
        });
        tf.dispose([a, b, cat, catStock, ...parts, ...stockParts]);
        expect(tf.memory().numTensors).toBe(before);
        expect(tf.backend().numDataIds()).toBe(buffers);
      }
    });
  }

  it('Relu and Relu6: the stock kernels bits, over and under the cap, on lengths with tails', async () => {
    for (const n of [1, 7, 64, 1027]) {
      const x = randn([n], 10 + n);
      for (let i = 0; i < n; i++) x.data[i] = (x.data[i] as number) * 5;
      for (const name of ['Relu', 'Relu6']) {
        const [on, off] = await simdAndNot(name, { x }, {});
        expect(bits(on), `${name} ${n}`).toBe(bits(off));
      }
    }
  });

  it('FusedBatchNorm at inference matches the stock kernel, with and without scale / offset', async () => {
    for (const shape of [
      [2, 3, 5, 6],
      [4, 17],
      [3, 1],
    ]) {
      const c = shape[shape.length - 1] as number;
      const x = randn(shape, 20);
      const mean = randn([c], 21);
      const variance = randn([c], 22);
      variance.data.forEach((v, i) => (variance.data[i] = Math.abs(v) + 0.1));
      const scale = randn([c], 23);
      const offset = randn([c], 24);
      const sets: Record<string, Input>[] = [
        { x, mean, variance, scale, offset },
        { x, mean, variance },
      ];
      for (const inputs of sets) {
        const [on, off] = await simdAndNot('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 });
        expect(relErr(on, off), JSON.stringify(shape)).toBeLessThan(1e-5);
      }
    }
  });
});

describe('wasm SIMD gradients', () => {
  const pools = [
    { x: [2, 8, 7, 6], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [1, 9, 9, 9], filterSize: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [2, 6, 5, 4], filterSize: [3, 2], strides: [1, 1], pad: 'same' },
  ];
  pools.forEach((c, i) => {
    it(`MaxPoolGrad ${c.x} k${c.filterSize} s${c.strides} ${c.pad}: the JS kernel's bits, ties and NaN included`, async () => {
      const x = randn(c.x, 30 + i);
      // ties (rounded values: the first maximum takes dy), negative windows, a NaN
      for (let j = 0; j < x.data.length; j++)
        x.data[j] = Math.round(x.data[j] as number) - (j % 5 === 0 ? 3 : 0);
      x.data[3] = NaN;
      const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      const y = await runKernel('cpu', 'MaxPool', { x }, attrs);
      const inputs = { dy: randn(y.shape, 40 + i), input: x, output: { shape: y.shape, data: y.values } };
      const [on, off] = await simdAndNot('MaxPoolGrad', inputs, attrs);
      expect(bits(on)).toBe(bits(off));
      const ref = await runKernel('cpu', 'MaxPoolGrad', inputs, attrs, true);
      expect(
        relErr(
          on.map((v) => (Number.isNaN(v) ? 0 : v)),
          ref.values.map((v) => (Number.isNaN(v) ? 0 : v)),
        ),
      ).toBeLessThan(1e-4);
    });
  });

  const depthwise = [
    { x: [2, 9, 7, 8], f: [3, 3, 8, 1], strides: [1, 1], pad: 'same' },
    { x: [2, 9, 8, 6], f: [3, 3, 6, 1], strides: [2, 2], pad: 'same' },
    { x: [1, 10, 9, 5], f: [3, 2, 5, 2], strides: [2, 2], pad: 'valid' },
    { x: [2, 6, 6, 3], f: [5, 5, 3, 1], strides: [1, 1], pad: 'same' },
  ];
  depthwise.forEach((c0, i) => {
    const c = {
      ...c0,
      x: c0.x,
      f: c0.f,
      strides: c0.strides as [number, number],
      dilations: [1, 1] as [number, number],
    };
    const info = convInfo(c as never, true);
    it(`depthwise gradients ${JSON.stringify(c.x)} ${JSON.stringify(c.f)} s${c.strides} ${c.pad}: the cpu kernels' values`, async () => {
      const x = randn(c.x, 50 + i);
      const f = randn(c.f, 60 + i);
      const dy = randn(info.outShape, 70 + i);
      const base = { strides: c.strides, pad: c.pad, dilations: [1, 1] };
      const fa = { ...base, filterShape: c.f };
      const ia = { ...base, inputShape: c.x };
      const rf = await runKernel('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fa, true);
      const [gf, jf] = await simdAndNot('DepthwiseConv2dNativeBackpropFilter', { x, dy }, fa);
      expect(relErr(gf, rf.values)).toBeLessThan(1e-5);
      expect(relErr(jf, rf.values)).toBeLessThan(1e-5);
      const ri = await runKernel('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, ia, true);
      const [gi, ji] = await simdAndNot('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, ia);
      expect(relErr(gi, ri.values)).toBeLessThan(1e-5);
      expect(relErr(ji, ri.values)).toBeLessThan(1e-5);
    });
  });

  it('the filter gradient of a 1x1 stride-1 filter padded in width only: read through the geometry, not as x^T', async () => {
    // explicit padding: the output is wider than x, so P^T is not x^T itself
    const x = randn([2, 5, 4, 8], 70);
    const dy = randn([2, 5, 6, 6], 71);
    const attrs = {
      strides: [1, 1],
      pad: [
        [0, 0],
        [0, 0],
        [1, 1],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      filterShape: [1, 1, 8, 6],
    };
    const ref = await runKernel('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs, true);
    const got = await runKernel('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs);
    expect(got.shape).toEqual([1, 1, 8, 6]);
    expect(relErr(got.values, ref.values)).toBeLessThan(1e-5);
  });

  CONV_CASES.filter((c) => c.dilations[0] === 1 && c.dilations[1] === 1).forEach((c, i) => {
    it(`the filter gradient as the SIMD module's product from x: the JS path's bits ${label(c)}`, async () => {
      const info = convInfo(c);
      const xi = randn(c.x, 80 + i);
      const dyi = randn(info.outShape, 90 + i);
      const bpf = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
      const ref = (await runKernel('cpu', 'Conv2DBackpropFilter', { x: xi, dy: dyi }, bpf, true)).values;
      await tf.setBackend('wasm');
      const x = tf.tensor(xi.data, c.x);
      const dy = tf.tensor(dyi.data, info.outShape);
      const buffers = tf.backend().numDataIds();
      const values = (on: boolean, block?: number): Float32Array => {
        useWasmSimd(on);
        try {
          const t = tf
            .engine()
            .makeTensorFromTensorInfo(conv2DBackpropFilterIm2col(tf.backend(), x, dy, info, block));
          const v = t.dataSync() as Float32Array;
          t.dispose();
          return v;
        } finally {
          useWasmSimd(true);
        }
      };
      // whole, the SIMD module's product adds the same terms in the same order as XNNPACK's
      const run = (on: boolean): string => bits(values(on));
      expect(run(true)).toBe(run(false));
      // in chunks of one output row, it adds each chunk's terms into dW one by one where the
      // JS path sums each chunk's XNNPACK product: the same sums, rounded differently
      expect(relErr(values(true, 1), ref)).toBeLessThan(1e-5);
      expect(relErr(values(false, 1), ref)).toBeLessThan(1e-5);
      expect(tf.backend().numDataIds()).toBe(buffers);
      tf.dispose([x, dy]);
    });
  });

  CONV_CASES.filter((c) => c.dilations[0] === 1 && c.dilations[1] === 1).forEach((c, i) => {
    it(`Conv2DBackpropInput's stride phases interleaved in SIMD: the JS copies' bits ${label(c)}`, async () => {
      const info = convInfo(c);
      const inputs = { dy: randn(info.outShape, 100 + i), filter: randn(c.f, 110 + i) };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
      // the phases' path, also where the SIMD module's product would be chosen (tested in conv-kernels)
      setGemmConvChoice('never');
      try {
        const [on, off] = await simdAndNot('Conv2DBackpropInput', inputs, attrs);
        expect(bits(on)).toBe(bits(off));
      } finally {
        setGemmConvChoice('auto');
      }
    });
  });
});
