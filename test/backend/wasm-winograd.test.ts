// Winograd's F(4x4, 3x3) convolution on wasm (wasm/winograd.c through wasm-winograd.ts) on the
// wasm backend without the addon: against a float64 direct convolution for tiles cut by the
// output's edges, channels that are no multiple of the vector or the register block, input
// channels over one k block, valid / same / explicit padding, bias, and more tiles than one
// block; the same bits with and without the workers; taken by Conv2D where it pays, whether a
// gradient is being recorded or not, and its gradients within rounding of the cpu backend's;
// nothing leaks.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableNativeKernels } from '../../src/backend';
import { useWinograd } from '../../src/backend/kernels/conv2d-wasm';
import { conv2DInfoNHWC } from '../../src/backend/kernels/util';
import { useGemmWorkers } from '../../src/backend/kernels/wasm-gemm';
import type { SimdKernels } from '../../src/backend/kernels/wasm-simd';
import { conv2DWinograd, winogradPays } from '../../src/backend/kernels/wasm-winograd';
import { plainWasmWithWorkers } from './wasm-workers';
import { randn, relErr } from './kernel-helpers';
import { conv3x3Reference } from './winograd-reference';

let simd: SimdKernels;

beforeAll(async () => {
  simd = await plainWasmWithWorkers();
});
afterAll(async () => {
  useGemmWorkers(true);
  useWinograd(true);
  enableNativeKernels();
  await tf.setBackend('cpu');
});

const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

const cases: { x: [number, number, number, number]; cout: number; pad: Pad; bias: boolean }[] = [
  // tiles cut by both edges, 18 channels (4 + 2), 13 outputs (8 + 5), a bias
  { x: [2, 9, 7, 18], cout: 13, pad: 'same', bias: true },
  // valid padding: 14 x 18 outputs, 60 tiles
  { x: [3, 16, 20, 40], cout: 24, pad: 'valid', bias: false },
  // 300 input channels: two k blocks of the product
  { x: [1, 6, 5, 300], cout: 16, pad: 'same', bias: true },
  // explicit, uneven padding; 256 tiles: several blocks a thread, shared with the workers
  {
    x: [4, 32, 32, 16],
    cout: 32,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
    bias: true,
  },
];

describe("Winograd's F(4x4, 3x3) convolution on wasm", () => {
  cases.forEach((c, i) => {
    const label = `x${c.x.join('x')} -> ${c.cout} ${typeof c.pad === 'string' ? c.pad : 'explicit'}${c.bias ? ' + bias' : ''}`;
    it(`matches a float64 direct convolution within float32 rounding: ${label}`, () => {
      const be = tf.backend();
      const before = tf.memory().numTensors;
      const buffers = be.numDataIds();
      const x = randn(c.x, 300 + i).data as Float32Array;
      const w = randn([3, 3, c.x[3], c.cout], 310 + i).data as Float32Array;
      const bias = c.bias ? (randn([c.cout], 320 + i).data as Float32Array) : null;
      const attrs = { strides: [1, 1], pad: c.pad, dilations: [1, 1], dataFormat: 'NHWC' };
      const info = conv2DInfoNHWC(c.x, [3, 3, c.x[3], c.cout], attrs);
      const xt = tf.tensor(x, c.x);
      const wt = tf.tensor(w, [3, 3, c.x[3], c.cout]);
      const bt = bias != null ? tf.tensor(bias, [c.cout]) : undefined;
      const run = (): Float32Array => {
        const out = tf.engine().makeTensorFromTensorInfo(conv2DWinograd(be, xt, wt, info, simd, bt));
        const v = Float32Array.from(out.dataSync());
        out.dispose();
        return v;
      };
      const jobs = simd.gemmWorkers().jobs;
      const y = run();
      const want = conv3x3Reference(x, w, bias, {
        n: info.batchSize,
        h: info.inHeight,
        w: info.inWidth,
        cin: info.inChannels,
        cout: info.outChannels,
        ho: info.outHeight,
        wo: info.outWidth,
        top: info.padInfo.top,
        left: info.padInfo.left,
      });
      expect(y.length).toBe(want.length);
      // the transforms' roundings: about 1e-6 of the outputs' scale per 100 input channels
      expect(relErr(y, want)).toBeLessThan(2e-5);
      expect(relErr(y, want)).toBeGreaterThan(0); // not the direct sum's bits: the transforms ran
      // each tile's outputs are computed whole by one thread: the bits do not depend on the split
      const both = bits(y);
      if (i === 3) expect(simd.gemmWorkers().jobs).toBeGreaterThan(jobs);
      useGemmWorkers(false);
      try {
        expect(bits(run())).toBe(both);
      } finally {
        useGemmWorkers(true);
      }
      tf.dispose([xt, wt, ...(bt != null ? [bt] : [])]);
      expect(tf.memory().numTensors).toBe(before);
      expect(be.numDataIds()).toBe(buffers);
    });
  });

  it("is what Conv2D takes where it pays, in training too, with gradients as the cpu backend's", async () => {
    const be = tf.backend();
    const before = tf.memory().numTensors;
    const xd = randn([8, 16, 16, 32], 330).data;
    const wd = randn([3, 3, 32, 32], 331).data;
    const x = tf.tensor(xd, [8, 16, 16, 32]) as tf.Tensor4D;
    const w = tf.tensor(wd, [3, 3, 32, 32]) as tf.Tensor4D;
    const info = conv2DInfoNHWC(x.shape, w.shape, {
      strides: 1,
      pad: 'same',
      dilations: 1,
      dataFormat: 'NHWC',
    });
    expect(winogradPays(info)).toBe(true);
    // a 1-channel input, a 5x5 filter, a stride of 2, 8 tiles: the direct paths
    const other = (xs: number[], fs: number[], s: number): boolean =>
      winogradPays(conv2DInfoNHWC(xs, fs, { strides: s, pad: 'same', dilations: 1, dataFormat: 'NHWC' }));
    expect(other([8, 16, 16, 1], [3, 3, 1, 32], 1)).toBe(false);
    expect(other([8, 16, 16, 32], [5, 5, 32, 32], 1)).toBe(false);
    expect(other([8, 16, 16, 32], [3, 3, 32, 32], 2)).toBe(false);
    expect(other([8, 4, 4, 512], [3, 3, 512, 512], 1)).toBe(false);
    const direct = tf.engine().makeTensorFromTensorInfo(conv2DWinograd(be, x, w, info, simd));
    const wino = bits(direct.dataSync() as Float32Array);
    const y = tf.conv2d(x, w, 1, 'same');
    expect(bits(y.dataSync() as Float32Array)).toBe(wino);
    // recording a gradient: the same path (and bits); dx, a convolution of dy with the flipped
    // filter, takes it too
    const probe = tf.tensor(randn([8, 16, 16, 32], 332).data, [8, 16, 16, 32]);
    let taped: tf.Tensor | null = null;
    const loss = (xi: tf.Tensor, wi: tf.Tensor): tf.Scalar => {
      taped = tf.keep(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'));
      return tf.sum(tf.mul(taped, probe));
    };
    const jobs = simd.gemmWorkers().jobs;
    const [dx, dw] = tf.grads(loss)([x, w]);
    expect(simd.gemmWorkers().jobs).toBeGreaterThan(jobs);
    expect(bits((taped as unknown as tf.Tensor).dataSync() as Float32Array)).toBe(wino);
    const got = [dx, dw].map((t) => Float32Array.from((t as tf.Tensor).dataSync()));
    // switched off: other bits
    useWinograd(false);
    try {
      const z = tf.conv2d(x, w, 1, 'same');
      expect(bits(z.dataSync() as Float32Array)).not.toBe(wino);
      z.dispose();
    } finally {
      useWinograd(true);
    }
    tf.dispose([x, w, y, direct, probe, dx as tf.Tensor, dw as tf.Tensor, taped as unknown as tf.Tensor]);
    expect(tf.memory().numTensors).toBe(before);
    // the gradients against the cpu backend's
    await tf.setBackend('cpu');
    const xc = tf.tensor(xd, [8, 16, 16, 32]);
    const wc = tf.tensor(wd, [3, 3, 32, 32]);
    const pc = tf.tensor(randn([8, 16, 16, 32], 332).data, [8, 16, 16, 32]);
    const want = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'), pc)),
    )([xc, wc]);
    const ref = want.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([xc, wc, pc, ...want]);
    await tf.setBackend('wasm');
    expect(relErr(got[0] as Float32Array, ref[0] as Float32Array)).toBeLessThan(2e-5);
    expect(relErr(got[1] as Float32Array, ref[1] as Float32Array)).toBeLessThan(2e-5);
  });
});
