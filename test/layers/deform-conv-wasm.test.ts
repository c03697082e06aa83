// The deformable-convolution kernels on the wasm backend (the other files run on cpu).
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../src/backend';
import { DeformConv2D, deformConv2d } from '../../src/layers';
import { maxAbsDiff, randn } from './helpers';

interface Arr {
  shape: number[];
  data: number[];
}
type Case = Record<'x' | 'offset' | 'kernel' | 'y' | 'dy' | 'dx' | 'dOffset' | 'dKernel', Arr> & {
  name: string;
  options: { strides: number[]; padding: number[]; dilation: number[]; offsetGroups: number };
  mask?: Arr;
  dMask?: Arr;
  bias?: Arr;
  dBias?: Arr;
};
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/layers/deform_conv.json', import.meta.url), 'utf8'),
) as { cases: Case[] };
const T = (a: Arr): tf.Tensor => tf.tensor(a.data, a.shape);

describe('deformConv2d kernels on wasm', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: 'wasm' });
  });

  for (const c of fixture.cases) {
    it(`matches torchvision: ${c.name}`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const ins = [T(c.x), T(c.offset), T(c.kernel)];
      const want = [c.dx, c.dOffset, c.dKernel];
      if (c.mask) {
        ins.push(T(c.mask));
        want.push(c.dMask!);
      }
      if (c.bias) {
        ins.push(T(c.bias));
        want.push(c.dBias!);
      }
      const dy = T(c.dy);
      const opts = {
        strides: c.options.strides as [number, number],
        padding: c.options.padding as [number, number],
        dilation: c.options.dilation as [number, number],
        offsetGroups: c.options.offsetGroups,
        impl: 'kernels' as const,
      };
      const run = (ts: tf.Tensor[]): tf.Tensor4D =>
        deformConv2d(
          ts[0] as tf.Tensor4D,
          ts[1] as tf.Tensor4D,
          c.mask ? (ts[3] as tf.Tensor4D) : null,
          ts[2] as tf.Tensor4D,
          c.bias ? (ts[c.mask ? 4 : 3] as tf.Tensor1D) : null,
          opts,
        );
      const before = tf.memory().numTensors;
      const y = run(ins);
      expect(maxAbsDiff(y, c.y.data)).toBeLessThan(1e-4);
      const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(run(ts), dy)))(ins);
      grads.forEach((g, i) => expect(maxAbsDiff(g, want[i].data)).toBeLessThan(1e-4));
      tf.dispose([y, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...ins, dy]);
    });
  }

  it('DeformConv2D equals 0.5·tf.conv2d at initialisation (mask σ(0), DCNv2)', () => {
    const layer = new DeformConv2D({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', seed: 1 });
    const x = randn([2, 7, 5, 4], 1);
    const y = layer.apply(x) as tf.Tensor;
    const conv = tf.conv2d(x as tf.Tensor4D, layer.getWeights()[0] as tf.Tensor4D, 2, 'same');
    const ref = tf.mul(conv, 0.5);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    tf.dispose([x, y, conv, ref]);
  });
});
