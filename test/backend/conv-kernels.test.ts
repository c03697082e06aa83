// Every medinets convolution kernel against the stock tfjs cpu kernel on small random cases.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from '../../src/backend';
// The wasm / JS kernels themselves: the native addon (tested in native-kernels.test.ts) is off here.

import { conv2DBackpropFilterBatchAsChannels } from '../../src/backend/kernels/wasm-conv';
import { conv2DBackpropFilterIm2col } from '../../src/backend/kernels/wasm-filter-grad';
import { useFirstUseGemm } from '../../src/backend/kernels/conv2d-wasm';
import {
  conv2DBackpropInputGemm,
  conv2DForwardGemm,
  gemmForwardPays,
  gemmInputGradPays,
} from '../../src/backend/kernels/wasm-gemm-conv';
import { useRelaxedSimd, wasmSimd } from '../../src/backend/kernels/wasm-simd';
import { CONV_CASES, convInfo, label, randn, relErr, runKernel } from './kernel-helpers';

const TOL = 1e-4;

beforeAll(async () => {
  // the plain product (XNNPACK's bits) whatever the engine; the relaxed one: wasm-gemm.test.ts' child
  useRelaxedSimd(false);
  disableNativeKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(async () => {
  enableNativeKernels();
  await tf.setBackend('cpu');
});

describe('convolution kernels match the stock cpu kernels', () => {
  CONV_CASES.forEach((c, i) => {
    const info = convInfo(c);
    const x = randn(c.x, 10 + i);
    const f = randn(c.f, 20 + i);
    const dy = randn(info.outShape, 30 + i);
    const bias = randn([c.f[3]], 40 + i);
    const convAttrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
    const undilated = c.dilations[0] === 1 && c.dilations[1] === 1;

    it(`cpu Conv2D and FusedConv2D(bias, relu) ${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'Conv2D', { x, filter: f }, convAttrs, true);
      const got = await runKernel('cpu', 'Conv2D', { x, filter: f }, convAttrs);
      expect(got.shape).toEqual(ref.shape);
      expect(relErr(got.values, ref.values)).toBeLessThan(TOL);
      const fattrs = { ...convAttrs, activation: 'relu', leakyreluAlpha: 0.2 };
      const fref = await runKernel('cpu', 'FusedConv2D', { x, filter: f, bias }, fattrs, true);
      const fgot = await runKernel('cpu', 'FusedConv2D', { x, filter: f, bias }, fattrs);
      expect(relErr(fgot.values, fref.values)).toBeLessThan(TOL);
    });

    if (!undilated) return; // tfjs has no convolution gradient for dilation > 1

    const bpf = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
    const bpi = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    it(`Conv2DBackpropFilter on cpu and wasm ${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'Conv2DBackpropFilter', { x, dy }, bpf, true);
      for (const be of ['cpu', 'wasm'] as const) {
        const got = await runKernel(be, 'Conv2DBackpropFilter', { x, dy }, bpf);
        expect(got.shape).toEqual(c.f);
        expect(relErr(got.values, ref.values), be).toBeLessThan(TOL);
      }
    });
    it(`Conv2DBackpropInput on cpu and wasm ${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'Conv2DBackpropInput', { dy, filter: f }, bpi, true);
      for (const be of ['cpu', 'wasm'] as const) {
        const got = await runKernel(be, 'Conv2DBackpropInput', { dy, filter: f }, bpi);
        expect(got.shape).toEqual(c.x);
        expect(relErr(got.values, ref.values), be).toBeLessThan(TOL);
      }
    });
  });
});

describe('both wasm filter-gradient paths match the stock cpu kernel', () => {
  // Conv2DBackpropFilter picks one path by shape; each is checked here on every case, the
  // im2col one also split into chunks of one and of three output rows (chunks that end
  // inside an image and ones that span two; the chunk sums in row order).
  type Path = (x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo) => TensorInfo;
  const paths: [string, Path][] = [
    ['batch as channels', (x, dy, info) => conv2DBackpropFilterBatchAsChannels(tf.backend(), x, dy, info)],
    ['im2col', (x, dy, info) => conv2DBackpropFilterIm2col(tf.backend(), x, dy, info)],
    [
      'im2col, one output row a chunk',
      (x, dy, info) => conv2DBackpropFilterIm2col(tf.backend(), x, dy, info, 1),
    ],
    [
      'im2col, three output rows a chunk',
      (x, dy, info) => conv2DBackpropFilterIm2col(tf.backend(), x, dy, info, 3),
    ],
  ];
  CONV_CASES.filter((c) => c.dilations[0] === 1 && c.dilations[1] === 1).forEach((c, i) => {
    const info = convInfo(c);
    const x = randn(c.x, 50 + i);
    const dy = randn(info.outShape, 60 + i);
    const bpf = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
    it(`${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'Conv2DBackpropFilter', { x, dy }, bpf, true);
      await tf.setBackend('wasm');
      const buffers = tf.backend().numDataIds();
      const xt = tf.tensor(x.data, x.shape);
      const dyt = tf.tensor(dy.data, dy.shape);
      for (const [name, path] of paths) {
        const got = tf.engine().makeTensorFromTensorInfo(path(xt, dyt, info));
        expect(got.shape, name).toEqual(c.f);
        expect(relErr(got.dataSync() as Float32Array, ref.values), name).toBeLessThan(TOL);
        got.dispose();
      }
      tf.dispose([xt, dyt]);
      expect(tf.backend().numDataIds()).toBe(buffers); // no scratch tensor left behind
    });
  });
});

describe('the wasm 1x1 filter gradient in both orientations matches the stock cpu kernel', () => {
  // x^T dy where dy is not much the larger, (dy^T x)^T where it is (the smaller operand packed)
  for (const [xs, fs] of [
    [
      [2, 6, 5, 8],
      [1, 1, 8, 3],
    ],
    [
      [2, 6, 5, 3],
      [1, 1, 3, 24],
    ],
    [
      [1, 2, 2, 40],
      [1, 1, 40, 48],
    ],
  ] as [number[], number[]][]) {
    it(`x${xs.join('x')} f${fs.join('x')}`, async () => {
      const x = randn(xs, 160);
      const dy = randn([...xs.slice(0, 3), fs[3] as number], 161);
      const bpf = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape: fs };
      const ref = await runKernel('cpu', 'Conv2DBackpropFilter', { x, dy }, bpf, true);
      const got = await runKernel('wasm', 'Conv2DBackpropFilter', { x, dy }, bpf);
      expect(got.shape).toEqual(fs);
      expect(relErr(got.values, ref.values)).toBeLessThan(TOL);
    });
  }
});

describe('the wasm input gradient as W dy^T + col2im matches the stock cpu kernel', () => {
  // Conv2DBackpropInput takes this path only where the images are small against the filter
  // (none of CONV_CASES): here it runs on every case, whole and one image a block, then on
  // the shapes it is chosen for through the kernel itself.
  CONV_CASES.filter((c) => c.dilations[0] === 1 && c.dilations[1] === 1).forEach((c, i) => {
    const info = convInfo(c);
    const dy = randn(info.outShape, 70 + i);
    const f = randn(c.f, 80 + i);
    const bpi = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    it(`${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'Conv2DBackpropInput', { dy, filter: f }, bpi, true);
      await tf.setBackend('wasm');
      const simd = wasmSimd(tf.backend());
      expect(simd).not.toBeNull();
      const buffers = tf.backend().numDataIds();
      const dyt = tf.tensor(dy.data, dy.shape);
      const ft = tf.tensor(f.data, f.shape);
      for (const block of [undefined, 1]) {
        const got = tf
          .engine()
          .makeTensorFromTensorInfo(
            conv2DBackpropInputGemm(tf.backend(), dyt, ft, info, simd as NonNullable<typeof simd>, block),
          );
        expect(got.shape).toEqual(c.x);
        expect(relErr(got.dataSync() as Float32Array, ref.values), `block ${block}`).toBeLessThan(TOL);
        got.dispose();
      }
      tf.dispose([dyt, ft]);
      expect(tf.backend().numDataIds()).toBe(buffers); // no scratch tensor left behind
    });
  });
  const chosen = [
    { x: [2, 4, 4, 24], f: [3, 3, 24, 32], strides: [1, 1], pad: 'same', dilations: [1, 1] },
    { x: [2, 6, 5, 16], f: [3, 3, 16, 40], strides: [2, 2], pad: 'same', dilations: [1, 1] },
    { x: [1, 5, 5, 32], f: [1, 1, 32, 48], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
    // a stem: one input channel, stride 2 (each stride phase would be a 1-output convolution)
    { x: [2, 15, 14, 1], f: [7, 7, 1, 16], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  ] as const;
  chosen.forEach((c0, i) => {
    const c = {
      x: [...c0.x] as [number, number, number, number],
      f: [...c0.f] as [number, number, number, number],
      strides: [...c0.strides] as [number, number],
      pad: c0.pad,
      dilations: [1, 1] as [number, number],
    };
    it(`Conv2DBackpropInput takes it where it pays ${label(c)}`, async () => {
      expect(gemmInputGradPays(convInfo(c))).toBe(true);
      const dy = randn(convInfo(c).outShape, 90 + i);
      const f = randn(c.f, 95 + i);
      const bpi = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
      const ref = await runKernel('cpu', 'Conv2DBackpropInput', { dy, filter: f }, bpi, true);
      const got = await runKernel('wasm', 'Conv2DBackpropInput', { dy, filter: f }, bpi);
      expect(got.shape).toEqual(c.x);
      expect(relErr(got.values, ref.values)).toBeLessThan(TOL);
    });
  });
});

describe("the wasm forward convolution as the SIMD module's P W on a filter's first use", () => {
  const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  // XNNPACK's convolution sums each output over the taps in (ky, kx, ci) order, as the SIMD
  // module's product over P's columns does: the two give the same bits, so a filter's first use (this path) and
  // its later ones (the stock kernel, with the packed filter cached) cannot differ.
  CONV_CASES.filter((c) => c.dilations[0] === 1 && c.dilations[1] === 1).forEach((c, i) => {
    const info = convInfo(c);
    const x = randn(c.x, 110 + i);
    const f = randn(c.f, 120 + i);
    it(`the stock wasm Conv2D's bits ${label(c)}`, async () => {
      const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
      const ref = await runKernel('cpu', 'Conv2D', { x, filter: f }, attrs, true);
      const stock = await runKernel('wasm', 'Conv2D', { x, filter: f }, attrs, true);
      const simd = wasmSimd(tf.backend());
      expect(simd).not.toBeNull();
      const buffers = tf.backend().numDataIds();
      const xt = tf.tensor(x.data, x.shape);
      const ft = tf.tensor(f.data, f.shape);
      const got = tf
        .engine()
        .makeTensorFromTensorInfo(
          conv2DForwardGemm(tf.backend(), xt, ft, info, simd as NonNullable<typeof simd>),
        );
      expect(got.shape).toEqual(ref.shape);
      const values = got.dataSync() as Float32Array;
      expect(relErr(values, ref.values)).toBeLessThan(TOL);
      // XNNPACK runs a 1-in 1-out-channel filter through another kernel (never given this path)
      if (c.f[2] * c.f[3] > 1) expect(bits(values)).toBe(bits(stock.values));
      tf.dispose([got, xt, ft]);
      expect(tf.backend().numDataIds()).toBe(buffers);
    });
  });

  const chosen = [
    { x: [2, 4, 4, 24], f: [3, 3, 24, 96], strides: [1, 1], pad: 'same', bias: false, act: 'linear' },
    // 2 x 81 pixels x 288 taps x 64 outputs: 6 MFLOP, shared with the module's workers
    { x: [2, 9, 9, 32], f: [3, 3, 32, 64], strides: [1, 1], pad: 'same', bias: true, act: 'relu' },
    { x: [2, 5, 5, 32], f: [3, 3, 32, 64], strides: [2, 2], pad: 'valid', bias: true, act: 'relu' },
    { x: [1, 3, 3, 128], f: [1, 1, 128, 128], strides: [1, 1], pad: 'valid', bias: true, act: 'relu6' },
  ] as const;
  chosen.forEach((c, i) => {
    it(`Conv2D / FusedConv2D take it on a new filter, the same bits as the next use ${JSON.stringify(c.x)} ${c.act}`, async () => {
      const info = tf.backend_util.computeConv2DInfo([...c.x], [...c.f], [...c.strides], 1, c.pad);
      expect(gemmForwardPays(info)).toBe(true);
      const x = randn([...c.x], 130 + i);
      const f = randn([...c.f], 140 + i);
      const bias = randn([c.f[3]], 150 + i);
      const name = c.bias ? 'FusedConv2D' : 'Conv2D';
      const inputs: Record<string, typeof x> = c.bias ? { x, filter: f, bias } : { x, filter: f };
      const attrs = {
        strides: [...c.strides],
        pad: c.pad,
        dilations: [1, 1],
        dataFormat: 'NHWC',
        activation: c.act,
      };
      const ref = await runKernel('cpu', name, inputs, attrs, true);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const [xt, ft, bt] = [x, f, bias].map((t) => tf.tensor(t.data, t.shape));
      const ins = c.bias ? { x: xt, filter: ft, bias: bt } : { x: xt, filter: ft };
      const run = (): Float32Array => {
        const y = tf.engine().runKernel(name, ins as never, attrs as never) as tf.Tensor;
        const v = y.dataSync() as Float32Array;
        y.dispose();
        return v;
      };
      // count the products the kernel runs in the SIMD module (wasm/gemm.c)
      const simd = wasmSimd(tf.backend());
      if (simd == null) throw new Error('the wasm SIMD kernels are not running');
      const orig = simd.gemm;
      let products = 0;
      simd.gemm = (g) => {
        products++;
        orig(g);
      };
      let first: Float32Array;
      let again: Float32Array;
      try {
        first = run(); // the filter's first use: the product
        expect(products).toBe(1);
        again = run(); // the stock kernel now: XNNPACK has the filter packed
        expect(products).toBe(1);
      } finally {
        simd.gemm = orig;
      }
      expect(relErr(first, ref.values)).toBeLessThan(TOL);
      expect(bits(first)).toBe(bits(again));
      // and with the path switched off, a new filter's first use is the stock kernel's too
      useFirstUseGemm(false);
      const ft2 = tf.mul(ft, 1);
      const ins2 = c.bias ? { x: xt, filter: ft2, bias: bt } : { x: xt, filter: ft2 };
      const stockRun = tf.engine().runKernel(name, ins2 as never, attrs as never) as tf.Tensor;
      useFirstUseGemm(true);
      expect(bits(stockRun.dataSync() as Float32Array)).toBe(bits(first));
      tf.dispose([xt, ft, bt, ft2, stockRun]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('wasm depthwise convolution gradients match the cpu kernels', () => {
  const cases = [
    { x: [2, 9, 7, 3], f: [3, 3, 3, 2], strides: [1, 1], pad: 'same', dilations: [1, 1] },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 1], strides: [2, 2], pad: 'same', dilations: [1, 1] },
    { x: [1, 10, 9, 1], f: [3, 2, 1, 3], strides: [2, 2], pad: 'valid', dilations: [1, 1] },
    { x: [2, 10, 10, 2], f: [3, 3, 2, 1], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  ] as const;
  // No dilation case: tfjs defines no depthwise gradient for dilation > 1 (and its cpu
  // gradient kernels ignore the attribute), so there is no reference to compare with.
  cases.forEach((c0, i) => {
    const c = {
      x: [...c0.x] as [number, number, number, number],
      f: [...c0.f] as [number, number, number, number],
      strides: [...c0.strides] as [number, number],
      pad: c0.pad,
      dilations: [...c0.dilations] as [number, number],
    };
    const info = convInfo(c, true);
    const x = randn(c.x, 50 + i);
    const f = randn(c.f, 60 + i);
    const dy = randn(info.outShape, 70 + i);
    const base = { strides: c.strides, pad: c.pad, dilations: c.dilations };
    it(`DepthwiseConv2dNativeBackpropFilter / Input ${label(c)}`, async () => {
      const fa = { ...base, filterShape: c.f };
      const ia = { ...base, inputShape: c.x };
      const rf = await runKernel('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fa, true);
      const gf = await runKernel('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, fa);
      expect(relErr(gf.values, rf.values)).toBeLessThan(TOL);
      const ri = await runKernel('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, ia, true);
      const gi = await runKernel('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, ia);
      expect(relErr(gi.values, ri.values)).toBeLessThan(TOL);
    });
  });
});
