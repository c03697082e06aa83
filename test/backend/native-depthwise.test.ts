// The addon's depthwise convolution (native/depthwise.c) against the stock tfjs cpu kernels:
// DepthwiseConv2dNative, FusedDepthwiseConv2D and both gradients, on wasm and cpu, with channel
// multipliers, strides, dilations, 'same' / 'valid' / explicit padding and channel counts
// across the vector widths; the AVX2 path (MEDINETS_NATIVE_ISA=avx2) and every thread count give
// the same bits.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableNativeKernels, nativeKernelsInUse } from '../../src/backend';
import { childJson, type Input, randn, relErr, runKernel } from './kernel-helpers';
import { type DwP, dwDwRef, dwDxRef } from './native-reference';

const TOL = 1e-4;
const available = nativeKernelsInUse().active;
const mustHave = process.env.CI != null && process.platform === 'linux' && process.arch === 'x64';

type Pad = 'same' | 'valid' | number[][];
interface DwCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  dilations: [number, number];
}

const CASES: DwCase[] = [
  { x: [2, 9, 7, 3], f: [3, 3, 3, 1], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  { x: [2, 16, 16, 32], f: [3, 3, 32, 1], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [1, 14, 14, 96], f: [3, 3, 96, 1], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  {
    x: [2, 15, 15, 144],
    f: [3, 3, 144, 1],
    strides: [2, 2],
    pad: [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ],
    dilations: [1, 1],
  },
  { x: [1, 10, 9, 17], f: [3, 3, 17, 2], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  { x: [2, 11, 11, 5], f: [5, 5, 5, 3], strides: [2, 1], pad: 'same', dilations: [1, 1] },
  { x: [1, 12, 12, 33], f: [3, 3, 33, 1], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  {
    x: [2, 8, 10, 7],
    f: [2, 3, 7, 1],
    strides: [1, 2],
    pad: [
      [0, 0],
      [2, 1],
      [1, 0],
      [0, 0],
    ],
    dilations: [1, 1],
  },
  { x: [1, 6, 6, 1], f: [3, 3, 1, 4], strides: [3, 3], pad: 'valid', dilations: [1, 1] },
];

/** The addon's parameters of a case, for the float64 references. */
const dwP = (c: DwCase, info: tf.backend_util.Conv2DInfo): DwP => ({
  n: c.x[0],
  h: c.x[1],
  w: c.x[2],
  c: c.x[3],
  ho: info.outHeight,
  wo: info.outWidth,
  m: c.f[3],
  kh: c.f[0],
  kw: c.f[1],
  sh: c.strides[0],
  sw: c.strides[1],
  dh: c.dilations[0],
  dw: c.dilations[1],
  pt: info.padInfo.top,
  pl: info.padInfo.left,
  act: 0,
});

const label = (c: DwCase): string =>
  `x${c.x.join('x')} f${c.f.join('x')} s${c.strides.join('')} ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad)} d${c.dilations.join('')}`;

describe.skipIf(!available && !mustHave)('native depthwise convolution matches the stock cpu kernels', () => {
  beforeAll(async () => {
    expect(nativeKernelsInUse().active, nativeKernelsInUse().reason).toBe(true);
    enableNativeKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  CASES.forEach((c, i) => {
    const info = tf.backend_util.computeConv2DInfo(
      c.x,
      c.f,
      c.strides,
      c.dilations,
      c.pad as 'same',
      undefined,
      true,
    );
    const x = randn(c.x, 500 + i);
    const f = randn(c.f, 510 + i);
    const dy = randn(info.outShape, 520 + i);
    const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' } as never;

    it(`DepthwiseConv2dNative and FusedDepthwiseConv2D ${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'DepthwiseConv2dNative', { x, filter: f }, attrs, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'DepthwiseConv2dNative', { x, filter: f }, attrs);
        expect(got.shape).toEqual(ref.shape);
        expect(relErr(got.values, ref.values), be).toBeLessThan(TOL);
      }
      const bias = randn([info.outChannels], 530 + i);
      const scalar: Input = { shape: [1], data: new Float32Array([-0.3]) };
      for (const [activation, b] of [
        ['relu6', bias],
        ['relu', bias],
        ['leakyrelu', bias],
        ['linear', scalar],
      ] as const) {
        const fattrs = { ...(attrs as object), activation, leakyreluAlpha: 0.15 } as never;
        const fref = await runKernel('cpu', 'FusedDepthwiseConv2D', { x, filter: f, bias: b }, fattrs, true);
        for (const be of ['wasm', 'cpu'] as const) {
          const fgot = await runKernel(be, 'FusedDepthwiseConv2D', { x, filter: f, bias: b }, fattrs);
          expect(relErr(fgot.values, fref.values), `${activation} ${be}`).toBeLessThan(TOL);
        }
      }
    });

    it(`DepthwiseConv2dNativeBackpropInput and BackpropFilter ${label(c)}`, async () => {
      const bpi = { ...(attrs as object), inputShape: c.x } as never;
      const bpf = { ...(attrs as object), filterShape: c.f } as never;
      // tfjs' cpu gradients ignore dilations (tfjs differentiates only undilated depthwise
      // convolutions): dilated cases are checked against the float64 definition instead.
      const dilated = c.dilations[0] > 1 || c.dilations[1] > 1;
      const refX = dilated
        ? {
            values: Float32Array.from(
              dwDxRef(dwP(c, info), dy.data as Float32Array, f.data as Float32Array).v,
            ),
          }
        : await runKernel('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, bpi, true);
      const refW = dilated
        ? {
            values: Float32Array.from(
              dwDwRef(dwP(c, info), x.data as Float32Array, dy.data as Float32Array).v,
            ),
          }
        : await runKernel('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, bpf, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const gotX = await runKernel(be, 'DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, bpi);
        expect(gotX.shape).toEqual(c.x);
        expect(relErr(gotX.values, refX.values), `dx ${be}`).toBeLessThan(TOL);
        const gotW = await runKernel(be, 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, bpf);
        expect(gotW.shape).toEqual(c.f);
        expect(relErr(gotW.values, refW.values), `dW ${be}`).toBeLessThan(TOL);
      }
    });
  });

  it('runs in the addon (a depthwise call shows no stock kernel in the profile)', async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([1, 8, 8, 16], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 16, 1], 0, 1, 'float32', 2);
    const prof = await tf.profile(() =>
      tf.dispose(
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
        )([x, w]),
      ),
    );
    expect(prof.kernels.map((k) => k.name)).toEqual(
      expect.arrayContaining([
        'DepthwiseConv2dNative',
        'DepthwiseConv2dNativeBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
      ]),
    );
    tf.dispose([x, w]);
  });

  it('gives the same bits on the AVX2 path (MEDINETS_NATIVE_ISA=avx2) and on any thread count', () => {
    const run = (isa: string, threads: number): { simd: string; threads: number; digest: number } =>
      childJson('depthwise-digest-child.ts', threads, isa);
    const best = run('', 1);
    const avx2 = run('avx2', 3);
    const pooled = run('', 3);
    expect(avx2.simd).toBe('avx2-fma');
    expect(pooled.threads).toBe(3);
    expect(avx2.digest).toBe(best.digest);
    expect(pooled.digest).toBe(best.digest);
  });
});
