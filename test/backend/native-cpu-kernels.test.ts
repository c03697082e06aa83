// The addon's memory-bound kernels on the cpu backend (what ResNet-50 at batch 16, 224x224x3
// trains on): elementwise Add / Sub / Multiply / RealDiv of equal shapes and with one operand
// broadcast ([N, 1, 1, C], [C], a scalar), Sum / Mean over a
// run of axes, Relu, the ReLU gradient and batch-norm training, each split over the pool.
// Each must give the bits of medinets' JS kernel (the same float32 / float64 operations in the
// same order) on 1 and 2 threads, and match the stock tfjs kernel.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels, nativeKernelsInUse } from '../../src/backend';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL } from '../../src/backend/kernels/batch-norm';
import { broadcastPlan } from '../../src/backend/kernels/cpu-binary';
import { RELU_GRAD_KERNEL } from '../../src/backend/kernels/relu-grad';
import { randn, relErr, runKernel, type Input } from './kernel-helpers';

const available = nativeKernelsInUse().active;
const mustHave = process.env.CI != null && process.platform === 'linux' && process.arch === 'x64';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  enableNativeKernels();
});

/** Every output of a kernel, as values. */
async function outputs(
  name: string,
  inputs: Record<string, Input>,
  attrs: NamedAttrMap,
): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const ts = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  const out = tf.engine().runKernel(name, ts, attrs) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([...list, ...Object.values(ts)]);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

/** Whether two lists of arrays hold the same values bit for bit (-0 apart from +0; any NaN as NaN), and are not empty. */
function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return a.every((x, k) => {
    const y = b[k] as Float32Array;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const u = x[i] as number;
      const v = y[i] as number;
      if (!Object.is(u, v) && !(Number.isNaN(u) && Number.isNaN(v))) return false;
    }
    return true;
  });
}

/** The kernel's outputs with the addon on 1 thread, on 2 threads, and off (medinets' JS loop). */
async function threeWays(name: string, inputs: Record<string, Input>, attrs: NamedAttrMap = {}) {
  enableNativeKernels({ threads: 1 });
  const one = await outputs(name, inputs, attrs);
  enableNativeKernels({ threads: 2 });
  const two = await outputs(name, inputs, attrs);
  disableNativeKernels();
  const js = await outputs(name, inputs, attrs);
  enableNativeKernels();
  return { one, two, js };
}

describe('native kernels on the cpu backend', () => {
  it('the addon is present on linux-x64 CI (elsewhere these tests need it)', () => {
    if (mustHave) expect(available, nativeKernelsInUse().reason).toBe(true);
    else expect(typeof available).toBe('boolean');
  });

  // big enough for the pool's split (2^15 values per part and more)
  const shape = [3, 37, 29, 64];
  const a = randn(shape, 1);
  const b = randn(shape, 2);
  b.data[5] = 0;
  b.data[6] = -0;
  a.data[7] = Number.NaN;

  it.runIf(available)(
    'Add / Sub / Multiply / RealDiv of equal shapes: JS bits on 1 and 2 threads, stock values',
    async () => {
      for (const name of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
        const { one, two, js } = await threeWays(name, { a, b });
        expect(sameBits(one, js)).toBe(true);
        expect(sameBits(two, js)).toBe(true);
        const stock = await runKernel('cpu', name, { a, b }, {}, true);
        expect(sameBits(js, [stock.values])).toBe(true);
      }
    },
  );

  it('reads the broadcasts the addon serves as [outer, mid, inner], and no others', () => {
    const out = [3, 37, 29, 64];
    expect(broadcastPlan([3, 1, 1, 64], out)).toEqual([3, 37 * 29, 64]);
    expect(broadcastPlan([64], out)).toEqual([1, 3 * 37 * 29, 64]);
    expect(broadcastPlan([], out)).toEqual([1, 3 * 37 * 29 * 64, 1]);
    expect(broadcastPlan([1, 1, 1, 1], out)).toEqual([1, 3 * 37 * 29 * 64, 1]);
    expect(broadcastPlan([3, 37, 29, 1], out)).toEqual([3 * 37 * 29, 64, 1]);
    expect(broadcastPlan([3, 1, 29, 64], out)).toEqual([3, 37, 29 * 64]);
    expect(broadcastPlan([1, 37, 1, 64], out)).toBeNull();
    expect(broadcastPlan([3, 37, 1, 1], [3, 37, 1, 64])).toEqual([3 * 37, 64, 1]);
  });

  it.runIf(available)(
    'Add / Sub / Multiply / RealDiv with one operand broadcast: stock bits on 1 and 2 threads, both orders',
    async () => {
      const smalls: number[][] = [
        [3, 1, 1, 64],
        [64],
        [],
        [1, 1, 1, 1],
        [3, 37, 29, 1],
        [1, 37, 1, 64],
        [3, 1, 29, 64],
      ];
      for (const sh of smalls) {
        const s = randn(sh, 20 + sh.length);
        (s.data as Float32Array)[0] = 0; // 0 / 0, 0 * NaN and the signs of zero products
        for (const name of ['Add', 'Sub', 'Multiply', 'RealDiv'])
          for (const inputs of [
            { a, b: s },
            { a: s, b },
          ]) {
            const what = `${name} ${JSON.stringify(inputs.a.shape)} ${JSON.stringify(inputs.b.shape)}`;
            const { one, two, js } = await threeWays(name, inputs);
            const stock = await runKernel('cpu', name, inputs, {}, true);
            expect(sameBits(one, [stock.values]), what).toBe(true);
            expect(sameBits(two, [stock.values]), what).toBe(true);
            expect(sameBits(js, [stock.values]), what).toBe(true);
          }
      }
    },
  );

  it.runIf(available)(
    'Sum / Mean over leading and middle axes: JS bits on 1 and 2 threads, stock values',
    async () => {
      const x = randn([4, 23, 19, 130], 3);
      for (const name of ['Sum', 'Mean'])
        for (const axis of [[0, 1, 2], [1, 2], [0], [2], [1]])
          for (const keepDims of [false, true]) {
            const attrs = { axis, keepDims };
            const { one, two, js } = await threeWays(name, { x }, attrs);
            expect(sameBits(one, js)).toBe(true);
            expect(sameBits(two, js)).toBe(true);
            const stock = await runKernel('cpu', name, { x }, attrs, true);
            expect(relErr(js[0] as Float32Array, stock.values), `${name} ${axis}`).toBeLessThan(1e-5);
          }
    },
  );

  it.runIf(available)('Relu and the ReLU / ReLU6 gradient: JS bits on 1 and 2 threads', async () => {
    const x = { shape, data: a.data.map((v) => v * 8) };
    const r = await threeWays('Relu', { x });
    expect(sameBits(r.one, r.js)).toBe(true);
    expect(sameBits(r.two, r.js)).toBe(true);
    const stock = await runKernel('cpu', 'Relu', { x }, {}, true);
    expect(sameBits(r.js, [stock.values])).toBe(true);
    for (const cap of [Infinity, 6]) {
      const g = await threeWays(RELU_GRAD_KERNEL, { dy: b, x }, { cap });
      expect(sameBits(g.one, g.js)).toBe(true);
      expect(sameBits(g.two, g.js)).toBe(true);
    }
  });

  it.runIf(available)('batch-norm training forward and gradient: JS bits on 1 and 2 threads', async () => {
    for (const c of [64, 70, 3]) {
      const x = randn([2, 31, 27, c], 10 + c);
      const scale = randn([c], 11);
      const offset = randn([c], 12);
      const f = await threeWays(BN_TRAIN_KERNEL, { x, scale, offset }, { epsilon: 1e-3 });
      expect(sameBits(f.one, f.js)).toBe(true);
      expect(sameBits(f.two, f.js)).toBe(true);
      const [, mean, , invStd] = f.js as [Float32Array, Float32Array, Float32Array, Float32Array];
      const dy = randn(x.shape, 13);
      const toIn = (v: Float32Array): Input => ({ shape: [c], data: v });
      const gradIn = { dy, x, scale, mean: toIn(mean), invStd: toIn(invStd) };
      const g = await threeWays(BN_TRAIN_GRAD_KERNEL, gradIn);
      expect(sameBits(g.one, g.js)).toBe(true);
      expect(sameBits(g.two, g.js)).toBe(true);
      expect((g.js[0] as Float32Array).some((v) => v !== 0)).toBe(true);
    }
  });
});
