import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerTrainingKernels, suspendTrainingKernels } from '../../src/backend';
import { deformConv2d, type DeformConv2dOptions, type DeformConvImpl } from '../../src/layers';
import { maxAbsDiff, randn } from './helpers';

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  options: DeformConv2dOptions;
  x: Arr;
  offset: Arr;
  mask?: Arr;
  kernel: Arr;
  bias?: Arr;
  y: Arr;
  dy: Arr;
  dx: Arr;
  dOffset: Arr;
  dMask?: Arr;
  dKernel: Arr;
  dBias?: Arr;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/layers/deform_conv.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const tensor = (a: Arr): tf.Tensor => tf.tensor(a.data, a.shape);

describe.each(['kernels', 'composed'] as DeformConvImpl[])(
  'deformConv2d (%s) matches torchvision',
  (impl) => {
    for (const c of fixture.cases) {
      it(c.name, () => {
        const x = tensor(c.x) as tf.Tensor4D;
        const offset = tensor(c.offset) as tf.Tensor4D;
        const kernel = tensor(c.kernel) as tf.Tensor4D;
        const mask = c.mask ? (tensor(c.mask) as tf.Tensor4D) : null;
        const bias = c.bias ? (tensor(c.bias) as tf.Tensor1D) : null;
        const dy = tensor(c.dy);
        const opts = { ...c.options, impl };
        const before = tf.memory().numTensors;
        const y = deformConv2d(x, offset, mask, kernel, bias, opts);
        expect(y.shape).toEqual(c.y.shape);
        const errY = maxAbsDiff(y, c.y.data);
        const inputs: tf.Tensor[] = [x, offset, kernel];
        const want: Arr[] = [c.dx, c.dOffset, c.dKernel];
        if (mask) {
          inputs.push(mask);
          want.push(c.dMask!);
        }
        if (bias) {
          inputs.push(bias);
          want.push(c.dBias!);
        }
        const grads = tf.grads((...ts: tf.Tensor[]) => {
          const m = mask ? (ts[3] as tf.Tensor4D) : null;
          const b = bias ? (ts[mask ? 4 : 3] as tf.Tensor1D) : null;
          return tf.sum(
            tf.mul(
              deformConv2d(ts[0] as tf.Tensor4D, ts[1] as tf.Tensor4D, m, ts[2] as tf.Tensor4D, b, opts),
              dy,
            ),
          );
        })(inputs);
        const errs = grads.map((gr, i) => maxAbsDiff(gr, want[i].data));
        tf.dispose([y, ...grads]);
        expect(tf.memory().numTensors).toBe(before);
        console.log(
          `[parity ${impl}] ${c.name}: y ${errY.toExponential(2)} grads ${errs.map((e) => e.toExponential(2)).join(' ')}`,
        );
        expect(errY).toBeLessThan(1e-4);
        for (const e of errs) expect(e).toBeLessThan(1e-4);
        tf.dispose([x, offset, kernel, dy, ...(mask ? [mask] : []), ...(bias ? [bias] : [])]);
      });
    }
  },
);

describe('deformConv2d', () => {
  it('with zero offsets and no mask equals tf.conv2d (explicit padding)', () => {
    const x = randn([2, 7, 9, 3], 1) as tf.Tensor4D;
    const k = randn([3, 3, 3, 4], 2) as tf.Tensor4D;
    const off = tf.zeros([2, 4, 5, 18]) as tf.Tensor4D;
    const y = deformConv2d(x, off, null, k, null, { strides: 2, padding: [1, 1] });
    const ref = tf.conv2d(x, k, 2, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    expect(y.shape).toEqual(ref.shape);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    tf.dispose([x, k, off, y, ref]);
  });

  it('runs its kernels through the registry: suspended, it falls back to the composed ops', () => {
    const x = randn([1, 6, 5, 4], 3) as tf.Tensor4D;
    const off = tf.mul(randn([1, 4, 3, 18], 4), 0.7) as tf.Tensor4D;
    const m = tf.sigmoid(randn([1, 4, 3, 9], 5)) as tf.Tensor4D;
    const k = randn([3, 3, 4, 2], 6) as tf.Tensor4D;
    expect(tf.getKernel('MedinetsDeformIm2Col', 'cpu')).toBeDefined();
    const fast = deformConv2d(x, off, m, k, null, { impl: 'kernels' });
    suspendTrainingKernels(['cpu']);
    try {
      expect(tf.getKernel('MedinetsDeformIm2Col', 'cpu')).toBeUndefined();
      expect(() => deformConv2d(x, off, m, k, null, { impl: 'kernels' })).toThrow(/impl 'kernels'/);
      const auto = deformConv2d(x, off, m, k);
      expect(maxAbsDiff(auto, fast)).toBeLessThan(1e-5);
      tf.dispose(auto);
    } finally {
      registerTrainingKernels();
    }
    expect(tf.getKernel('MedinetsDeformIm2Col', 'cpu')).toBeDefined();
    tf.dispose([x, off, m, k, fast]);
  });

  it('rejects bad shapes and options with errors naming the argument', () => {
    const x = tf.zeros([1, 5, 5, 4]) as tf.Tensor4D;
    const k = tf.zeros([3, 3, 4, 2]) as tf.Tensor4D;
    const off = tf.zeros([1, 3, 3, 18]) as tf.Tensor4D;
    const m = tf.zeros([1, 3, 3, 9]) as tf.Tensor4D;
    expect(() => deformConv2d(tf.zeros([5, 5, 4]) as unknown as tf.Tensor4D, off, m, k)).toThrow(/'x'.*4-D/);
    expect(() => deformConv2d(x, off, m, tf.zeros([3, 3, 3, 2]) as tf.Tensor4D)).toThrow(/'kernel'/);
    expect(() => deformConv2d(x, tf.zeros([1, 3, 3, 17]) as tf.Tensor4D, m, k)).toThrow(/'offset'/);
    expect(() => deformConv2d(x, tf.zeros([1, 4, 3, 18]) as tf.Tensor4D, m, k)).toThrow(/'offset'.*shape/);
    expect(() => deformConv2d(x, off, tf.zeros([1, 3, 3, 8]) as tf.Tensor4D, k)).toThrow(/'mask'/);
    expect(() => deformConv2d(x, off, m, k, tf.zeros([3]) as tf.Tensor1D)).toThrow(/'bias'/);
    expect(() => deformConv2d(x, off, m, k, null, { strides: 0 })).toThrow(/'strides'/);
    expect(() => deformConv2d(x, off, m, k, null, { offsetGroups: 2 })).toThrow(/'offset'/);
    expect(() => deformConv2d(x, tf.zeros([1, 3, 3, 54]) as tf.Tensor4D, null, k)).toThrow(/offsetGroups/);
    tf.dispose([x, k, off, m]);
  });
});
