// medinets' native addon (native/*.c) against the stock tfjs cpu kernels, on the geometry
// cases of the JS kernels plus shapes that cross the GEMM's blocking (KC = 256, MC = 144,
// NC = 1024), its Cin < 16 dx path and dW's packed wide pixels.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelsInUse,
  setupBackend,
} from '../../src/backend';
import { stockKernel } from '../../src/backend/kernels/registry';
import { activeAddon } from '../../src/backend/native';
import {
  CONV_CASES,
  type ConvCase,
  convInfo,
  type Input,
  label,
  randn,
  relErr,
  runKernel,
} from './kernel-helpers';

const TOL = 1e-4;
const available = nativeKernelsInUse().active;
const mustHave = process.env.CI != null && process.platform === 'linux' && process.arch === 'x64';

const BIG_CASES: ConvCase[] = [
  { x: [2, 9, 9, 20], f: [3, 3, 20, 37], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [2, 13, 11, 17], f: [3, 3, 17, 33], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  { x: [1, 7, 7, 300], f: [3, 3, 300, 20], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  { x: [3, 10, 10, 64], f: [1, 1, 64, 40], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  { x: [2, 10, 10, 24], f: [1, 1, 24, 18], strides: [2, 2], pad: 'valid', dilations: [1, 1] },
  { x: [2, 16, 16, 1], f: [7, 7, 1, 8], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [1, 12, 12, 18], f: [3, 3, 18, 16], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  { x: [2, 11, 9, 16], f: [4, 3, 16, 19], strides: [3, 2], pad: 'valid', dilations: [1, 1] },
  // 256 in-channels, 40 out: dW packs each chunk's in-channels (conv-filter-grad.c)
  { x: [2, 6, 5, 256], f: [3, 3, 256, 40], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  { x: [3, 4, 4, 512], f: [1, 1, 512, 70], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
];

/** The bytes of float32 values as hex (Buffer.from(aFloat32Array) would take each value mod 256). */
const hex = (v: Float32Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');

/** f's tensors as hex on `backend`, computed in a tidy that must leave no tensor behind. */
async function hexOn(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<string[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => f().map((t) => hex(t.dataSync() as Float32Array)));
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** f without the addon on cpu (the reference) and on wasm, then on wasm with it on 2 threads and on 1. */
async function everyPath(
  f: () => tf.Tensor[],
): Promise<{ ref: string[]; stockWasm: string[]; two: string[]; one: string[] }> {
  disableNativeKernels();
  const ref = await hexOn('cpu', f);
  const stockWasm = await hexOn('wasm', f);
  enableNativeKernels({ threads: 2 });
  const two = await hexOn('wasm', f);
  enableNativeKernels({ threads: 1 });
  const one = await hexOn('wasm', f);
  enableNativeKernels();
  return { ref, stockWasm, two, one };
}

describe('native addon', () => {
  it('is built and loads on linux-x64 CI (elsewhere it may be absent)', () => {
    const r = nativeKernelsInUse();
    if (mustHave) {
      expect(r.active, r.reason).toBe(true);
      expect(r.simd).toMatch(/^(avx512|avx2-fma)$/);
      expect(r.threads).toBeGreaterThanOrEqual(1);
    } else {
      expect(typeof r.active).toBe('boolean');
      if (!r.active) expect(r.reason).toMatch(/\S/);
    }
  });

  it('rejects a bad thread count, naming the option', () => {
    expect(() => enableNativeKernels({ threads: 0 })).toThrow(/'threads'.*1 to 16/);
    expect(() => enableNativeKernels({ threads: 2.5 })).toThrow(/'threads'/);
  });

  it('reports a missing addon file without throwing, and recovers', () => {
    const r = enableNativeKernels({ path: '/nonexistent/medinets.node' });
    expect(r.active).toBe(false);
    expect(r.reason).toMatch(/no addon at \/nonexistent/);
    expect(activeAddon()).toBeNull();
    if (available) expect(enableNativeKernels().active).toBe(true);
  });

  it('setupBackend rejects a non-boolean native option', async () => {
    await expect(setupBackend({ prefer: 'cpu', native: 'yes' as unknown as boolean })).rejects.toThrow(
      /option 'native' must be a boolean/,
    );
  });
});

describe.skipIf(!available)('native kernels match the stock cpu kernels', () => {
  beforeAll(async () => {
    enableNativeKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // The addon's argument checks: native-args.test.ts; random and adversarial calls: native-fuzz.test.ts.

  [...CONV_CASES, ...BIG_CASES].forEach((c, i) => {
    const info = convInfo(c);
    const x = randn(c.x, 110 + i);
    const f = randn(c.f, 120 + i);
    const dy = randn(info.outShape, 130 + i);
    const bias = randn([c.f[3]], 140 + i);
    const convAttrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
    const undilated = c.dilations[0] === 1 && c.dilations[1] === 1;

    it(`Conv2D and FusedConv2D on wasm and cpu ${label(c)}`, async () => {
      const ref = await runKernel('cpu', 'Conv2D', { x, filter: f }, convAttrs, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'Conv2D', { x, filter: f }, convAttrs);
        expect(got.shape).toEqual(ref.shape);
        expect(relErr(got.values, ref.values), be).toBeLessThan(TOL);
      }
      const scalarBias: Input = { shape: [1], data: new Float32Array([0.37]) };
      const fusedCases: [string, Input][] = [
        ['relu', bias],
        ['relu6', bias],
        ['leakyrelu', bias],
        ['linear', scalarBias],
      ];
      for (const [activation, b] of fusedCases) {
        const fattrs = { ...convAttrs, activation, leakyreluAlpha: 0.15 };
        const fref = await runKernel('cpu', 'FusedConv2D', { x, filter: f, bias: b }, fattrs, true);
        const fgot = await runKernel('wasm', 'FusedConv2D', { x, filter: f, bias: b }, fattrs);
        expect(relErr(fgot.values, fref.values), activation).toBeLessThan(TOL);
      }
    });

    if (!undilated) return; // tfjs has no convolution gradient for dilation > 1
    const bpf = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f };
    const bpi = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x };
    it(`Conv2DBackpropFilter and Conv2DBackpropInput on wasm and cpu ${label(c)}`, async () => {
      const refW = await runKernel('cpu', 'Conv2DBackpropFilter', { x, dy }, bpf, true);
      const refX = await runKernel('cpu', 'Conv2DBackpropInput', { dy, filter: f }, bpi, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const gotW = await runKernel(be, 'Conv2DBackpropFilter', { x, dy }, bpf);
        expect(gotW.shape).toEqual(c.f);
        expect(relErr(gotW.values, refW.values), `dW ${be}`).toBeLessThan(TOL);
        const gotX = await runKernel(be, 'Conv2DBackpropInput', { dy, filter: f }, bpi);
        expect(gotX.shape).toEqual(c.x);
        expect(relErr(gotX.values, refX.values), `dx ${be}`).toBeLessThan(TOL);
      }
    });
  });

  const MATMUL_CASES = [
    { a: [1, 7, 5], b: [1, 5, 9], tA: false, tB: false },
    { a: [3, 5, 7], b: [3, 9, 5], tA: true, tB: true },
    { a: [2, 40, 300], b: [1, 300, 33], tA: false, tB: false },
    { a: [1, 300, 13], b: [2, 300, 21], tA: true, tB: false },
    { a: [1, 6, 20], b: [1, 1100, 20], tA: false, tB: true },
    { a: [2, 2, 4, 3], b: [2, 2, 3, 5], tA: false, tB: false },
  ];
  MATMUL_CASES.forEach((c, i) => {
    it(`BatchMatMul and _FusedMatMul a${c.a.join('x')} b${c.b.join('x')} tA=${c.tA} tB=${c.tB}`, async () => {
      const a = randn(c.a, 200 + i);
      const b = randn(c.b, 210 + i);
      const attrs = { transposeA: c.tA, transposeB: c.tB };
      const ref = await runKernel('cpu', 'BatchMatMul', { a, b }, attrs, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'BatchMatMul', { a, b }, attrs);
        expect(got.shape).toEqual(ref.shape);
        expect(relErr(got.values, ref.values), be).toBeLessThan(TOL);
      }
      const n = ref.shape[ref.shape.length - 1] as number;
      const bias = randn([n], 220 + i);
      const fattrs = { ...attrs, activation: 'relu' };
      const fref = await runKernel('cpu', '_FusedMatMul', { a, b, bias }, fattrs, true);
      const fgot = await runKernel('wasm', '_FusedMatMul', { a, b, bias }, fattrs);
      expect(relErr(fgot.values, fref.values)).toBeLessThan(TOL);
    });
  });

  it('MaxPoolGrad routes dy to the first maximum, also in all-negative windows', async () => {
    const xs = randn([2, 9, 8, 5], 300);
    const neg = { shape: xs.shape, data: (xs.data as Float32Array).map((v) => -Math.abs(v) - 1) };
    for (const input of [xs, neg]) {
      for (const [k, s, pad] of [
        [2, 2, 'valid'],
        [3, 2, 'same'],
        [3, 1, 'same'],
      ] as const) {
        const info = tf.backend_util.computePool2DInfo(
          input.shape as [number, number, number, number],
          k,
          s,
          1,
          pad,
        );
        const dy = randn(info.outShape, 301);
        const attrs = { filterSize: k, strides: s, pad };
        const ref = await runKernel('cpu', 'MaxPoolGrad', { dy, input, output: dy }, attrs, true);
        const got = await runKernel('wasm', 'MaxPoolGrad', { dy, input, output: dy }, attrs);
        expect(relErr(got.values, ref.values), `k${k} s${s} ${pad}`).toBeLessThan(1e-6);
      }
    }
  });

  it('FusedBatchNorm (inference) and Relu match the stock cpu kernels', async () => {
    const x = randn([3, 5, 4, 6], 600);
    const mean = randn([6], 601);
    const variance = { shape: [6], data: (randn([6], 602).data as Float32Array).map((v) => v * v + 0.1) };
    const scale = randn([6], 603);
    const offset = { shape: [1], data: new Float32Array([0.25]) };
    const attrs = { varianceEpsilon: 1e-3 };
    for (const inputs of [
      { x, mean, variance, scale, offset },
      { x, mean, variance },
    ] as Record<string, Input>[]) {
      const ref = await runKernel('cpu', 'FusedBatchNorm', inputs, attrs, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'FusedBatchNorm', inputs, attrs);
        expect(got.shape).toEqual(ref.shape);
        expect(relErr(got.values, ref.values)).toBeLessThan(1e-5);
      }
    }
    const withNaN = {
      shape: [9],
      data: new Float32Array([-2, -0, 0, 3, Number.NaN, -Infinity, 5, 6, Infinity]),
    };
    // and long enough for the addon's threads: the same bits
    const long = randn([4, 64, 64, 24], 604);
    (long.data as Float32Array).forEach((v, i, a) => (a[i] = v * 5));
    for (const x of [withNaN, long]) {
      const ref = await runKernel('cpu', 'Relu', { x }, {}, true);
      for (const be of ['wasm', 'cpu'] as const) {
        const got = await runKernel(be, 'Relu', { x }, {});
        expect(Array.from(got.values)).toEqual(Array.from(ref.values));
      }
      const ref6 = await runKernel('cpu', 'Relu6', { x }, {}, true);
      const got6 = await runKernel('wasm', 'Relu6', { x }, {});
      expect(Array.from(got6.values), 'Relu6').toEqual(Array.from(ref6.values));
    }
  });

  it("FusedBatchNorm (inference) on a tensor long enough for the addon's threads", async () => {
    const c = 48;
    const inputs = {
      x: randn([4, 32, 32, c], 610),
      mean: randn([c], 611),
      variance: { shape: [c], data: (randn([c], 612).data as Float32Array).map((v) => v * v + 0.1) },
      scale: randn([c], 613),
      offset: randn([c], 614),
    } as Record<string, Input>;
    const attrs = { varianceEpsilon: 1e-3 };
    const ref = await runKernel('cpu', 'FusedBatchNorm', inputs, attrs, true);
    const got = await runKernel('wasm', 'FusedBatchNorm', inputs, attrs);
    expect(relErr(got.values, ref.values)).toBeLessThan(1e-5);
    // rows split over the pool: the same bits on one thread
    enableNativeKernels({ threads: 1 });
    const one = await runKernel('wasm', 'FusedBatchNorm', inputs, attrs);
    enableNativeKernels();
    expect(Buffer.from(Float32Array.from(one.values).buffer)).toEqual(
      Buffer.from(Float32Array.from(got.values).buffer),
    );
  });

  it('Concat and SplitV along every axis match the stock kernels exactly', async () => {
    const parts = [randn([2, 3, 4, 5], 700), randn([2, 3, 4, 2], 701), randn([2, 3, 4, 7], 702)];
    const run = async (native: boolean): Promise<number[][]> => {
      if (native) enableNativeKernels();
      else disableNativeKernels();
      await tf.setBackend(native ? 'wasm' : 'cpu');
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => {
        const ts = parts.map((p) => tf.tensor(p.data, p.shape));
        const res: tf.Tensor[] = [tf.concat(ts, 3), tf.concat(ts, -1)];
        const big = res[0] as tf.Tensor;
        res.push(...tf.split(big, [5, 2, 7], 3), ...tf.split(big, 2, 0), ...tf.split(big, [1, 2], 1));
        const stacked = tf.concat([big, tf.zeros([0, 3, 4, 14]), big], 0);
        res.push(stacked, tf.concat([tf.reshape(big, [6, 56]), tf.ones([6, 3])], 1));
        return res.map((t) => Array.from(t.dataSync()));
      });
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const ref = await run(false);
    const got = await run(true);
    expect(got).toEqual(ref);
  });

  it("PadV2 and Slice large enough for the addon: the stock kernels' values, on 1 and 2 threads", async () => {
    // 8 x 40 x 40 x 24 (307,200 values): copied as runs of W x C values on the addon's threads
    const x = randn([8, 40, 40, 24], 720);
    const { ref, stockWasm, two, one } = await everyPath(() => {
      const t = tf.tensor(x.data, x.shape);
      const padded = tf.pad(
        t,
        [
          [0, 0],
          [0, 1],
          [2, 1],
          [0, 0],
        ],
        0.5,
      );
      return [
        padded,
        tf.slice(padded, [0, 1, 2, 0], [8, 39, 38, 24]),
        tf.slice(t, [1, 0, 3, 4], [7, 40, 30, 16]),
        tf.pad(t, [
          [1, 0],
          [0, 0],
          [0, 0],
          [3, 5],
        ]),
      ];
    });
    expect(stockWasm).toEqual(ref);
    expect(two).toEqual(ref);
    expect(one).toEqual(ref);
  });

  it("Concat and SplitV of tensors large enough for the addon's threads: exact, on 1 and 2 threads", async () => {
    // 8 x 32 x 32 rows of 100 + 28 channels (4 MB): rows split over the pool
    const a = randn([8, 32, 32, 100], 710);
    const b = randn([8, 32, 32, 28], 711);
    const { ref, stockWasm, two, one } = await everyPath(() => {
      const whole = tf.concat([tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)], 3);
      return [whole, ...tf.split(whole, [100, 28], 3), ...tf.split(whole, [77, 51], 3)];
    });
    expect(stockWasm).toEqual(ref);
    expect(two).toEqual(ref);
    expect(one).toEqual(ref);
    // the split parts are the inputs again
    expect(ref[1]).toEqual(hex(a.data as Float32Array));
    expect(ref[2]).toEqual(hex(b.data as Float32Array));
  });

  it("Add / Sub / Multiply / RealDiv of one shape on wasm: the stock kernels' bits", async () => {
    await tf.setBackend('wasm');
    const n = 3 * 4097; // over the addon's 4096-value threshold, not a multiple of a vector
    const a = randn([3, 4097], 720).data as Float32Array;
    const b = randn([3, 4097], 721).data as Float32Array;
    // the IEEE corners: NaN, infinities, signed zeros, a zero divisor, subnormals
    const special = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-45, -3e-39, 3.4e38];
    special.forEach((v, i) => {
      a[i] = v;
      b[i + special.length] = v;
      a[2 * special.length + i] = v;
      b[2 * special.length + i] = special[(i + 3) % special.length] as number;
    });
    for (const op of ['Add', 'Sub', 'Multiply', 'RealDiv'] as const) {
      const stock = stockKernel(op, 'wasm') as tf.KernelConfig;
      const before = tf.memory().numTensors;
      const [got, ref] = tf.tidy(() => {
        const at = tf.tensor(a, [3, 4097]);
        const bt = tf.tensor(b, [3, 4097]);
        const mine = tf.engine().runKernel(op, { a: at, b: bt }) as tf.Tensor;
        const info = stock.kernelFunc({
          inputs: { a: at, b: bt },
          backend: tf.backend(),
          attrs: {},
        }) as tf.TensorInfo;
        const theirs = tf.engine().makeTensorFromTensorInfo(info);
        return [mine.dataSync().slice(), theirs.dataSync().slice()] as Float32Array[];
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(got.length).toBe(n);
      expect(Buffer.from(got.buffer), op).toEqual(Buffer.from(ref.buffer));
    }
    // medinets' kernel is the one registered (it hands broadcasts and short tensors to the stock one)
    expect(tf.getKernel('Add', 'wasm')?.kernelFunc).not.toBe(stockKernel('Add', 'wasm')?.kernelFunc);
    const sum = tf.tidy(() =>
      Array.from(tf.add(tf.tensor(a, [3, 4097]), tf.tensor([1, 2, 3, 4], [4, 1, 1])).shape),
    );
    expect(sum).toEqual([4, 3, 4097]);
  });

  it('gives every output bit for bit the same on 1 and on 2 threads', async () => {
    const c = BIG_CASES[1] as ConvCase;
    const x = randn(c.x, 400);
    const f = randn(c.f, 401);
    const dy = randn(convInfo(c).outShape, 402);
    const conv = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
    const run = async (): Promise<Float32Array[]> => [
      (await runKernel('wasm', 'Conv2D', { x, filter: f }, conv)).values,
      (await runKernel('wasm', 'Conv2DBackpropInput', { dy, filter: f }, { ...conv, inputShape: c.x }))
        .values,
      (await runKernel('wasm', 'Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: c.f })).values,
    ];
    enableNativeKernels({ threads: 1 });
    const one = await run();
    enableNativeKernels({ threads: 2 });
    const two = await run();
    enableNativeKernels();
    two.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(one[i] as Float32Array)));
  });

  // c = 7: the vector loops' tails only; 37: two AVX-512 blocks and a tail; 96 on 8x8x8 rows:
  // long enough for the thread pool, split into channel blocks; 80 on 429 rows: split too, the
  // rows no multiple of the sums passes' 4-row groups
  it.each([[[4, 5, 3, 7]], [[2, 16, 16, 37]], [[8, 8, 8, 96]], [[3, 11, 13, 80]]])(
    'batch-norm training kernels agree bit for bit with the JavaScript ones on %j',
    async (shape) => {
      const c = shape[3] as number;
      const x = randn(shape, 500);
      const scale = randn([c], 501);
      const offset = randn([c], 502);
      const dy = randn(shape, 503);
      const run = async (): Promise<Float32Array[]> => {
        await tf.setBackend('wasm');
        return tf.tidy(() => {
          const xt = tf.tensor(x.data, x.shape);
          const [y, mean, variance, invStd] = tf.engine().runKernel(
            'MedinetsBatchNormTrain',
            {
              x: xt,
              scale: tf.tensor(scale.data, scale.shape),
              offset: tf.tensor(offset.data, offset.shape),
            },
            { epsilon: 1e-3 },
          ) as tf.Tensor[];
          const grads = tf.engine().runKernel(
            'MedinetsBatchNormTrainGrad',
            {
              dy: tf.tensor(dy.data, dy.shape),
              x: xt,
              scale: tf.tensor(scale.data, scale.shape),
              mean,
              invStd,
            },
            {},
          ) as tf.Tensor[];
          return [y, mean, variance, invStd, ...grads].map(
            (t) => (t as tf.Tensor).dataSync() as Float32Array,
          );
        });
      };
      const native = await run();
      disableNativeKernels();
      expect(nativeKernelsInUse().active).toBe(false);
      const js = await run();
      enableNativeKernels();
      native.forEach((v, i) =>
        expect(Array.from(v), `output ${i}`).toEqual(Array.from(js[i] as Float32Array)),
      );
    },
  );

  // Full 12x32 tiles take the AVX-512 micro-kernel's in-register epilogue (igemm.c), partial ones
  // the scalar store(): both must give, per element, t = s + bias then ReLU (t > 0 ? t : 0, NaN
  // to 0), ReLU6 (t < 0 ? 0 : t > 6 ? 6 : t, NaN kept) or leaky (t < 0 ? t alpha : t).
  it.each([
    [1, 'relu'],
    [2, 'relu6'],
    [3, 'leaky'],
  ])("conv2d's epilogue (act %i, %s) on full and partial tiles, NaN rows included", (act) => {
    const addon = activeAddon();
    if (addon == null) throw new Error('no addon');
    const [n, h, w, cin, cout] = [2, 6, 5, 9, 70]; // M = 60: 5 full row tiles; N = 70: 2 full + 1 partial
    const x = randn([n, h, w, cin], 600).data as Float32Array;
    for (const i of [0, 17 * cin + 3, 41 * cin]) x[i] = Number.NaN; // three output rows become NaN
    const f = randn([1, 1, cin, cout], 601).data as Float32Array;
    const bias = Float32Array.from(randn([cout], 602).data as Float32Array, (v) => v * 4);
    const params = (a: number): Int32Array =>
      new Int32Array([n, h, w, cin, h, w, cout, 1, 1, 1, 1, 1, 1, 0, 0, a]);
    const plain = new Float32Array(n * h * w * cout);
    addon.conv2d(x, f, null, plain, params(0), 0);
    const got = new Float32Array(plain.length);
    addon.conv2d(x, f, bias, got, params(act), 0.3);
    const alpha = Math.fround(0.3);
    const want = plain.map((s, i) => {
      const t = Math.fround(s + (bias[i % cout] as number));
      if (act === 1) return t > 0 ? t : 0;
      if (act === 2) return t < 0 ? 0 : t > 6 ? 6 : t;
      return t < 0 ? Math.fround(t * alpha) : t;
    });
    expect(plain.some(Number.isNaN)).toBe(true);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
