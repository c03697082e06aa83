import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeformConv2D, type DeformConv2DOptions } from '../../src/layers';
import {
  expectGradsReachAllWeights,
  expectNoLeak,
  expectSaveLoadIdentical,
  maxAbsDiff,
  randn,
} from './helpers';

describe('DeformConv2D', () => {
  const atInit: [string, DeformConv2DOptions, 'same' | 'valid'][] = [
    ['3x3 same', { filters: 4, kernelSize: 3, padding: 'same' }, 'same'],
    [
      '3x3 stride 2 same',
      { filters: 5, kernelSize: 3, strides: 2, padding: 'same', offsetGroups: 3 },
      'same',
    ],
    ['1x1 valid, unmodulated', { filters: 2, kernelSize: 1, modulated: false }, 'valid'],
    [
      '3x3 dilation 2 same',
      { filters: 3, kernelSize: 3, padding: 'same', dilation: 2, useBias: false },
      'same',
    ],
  ];
  // The offset conv starts at zero: offsets 0 and mask σ(0) = 0.5 (DCNv2), or 2·σ(0) = 1 with
  // '2sigmoid'; unmodulated, the mask is 1. The bias starts at zero.
  for (const [name, opts, pad] of atInit) {
    for (const modulation of ['sigmoid', '2sigmoid'] as const) {
      const scale = opts.modulated === false || modulation === '2sigmoid' ? 1 : 0.5;
      it(`equals ${scale}·tf.conv2d at initialisation (${modulation}): ${name}`, () => {
        const layer = new DeformConv2D({ ...opts, modulation, seed: 1 });
        const x = randn([2, 9, 7, 6], 1);
        const y = layer.apply(x) as tf.Tensor;
        const [kernel] = layer.getWeights();
        const s = opts.strides ?? 1;
        const conv = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, s, pad, 'NHWC', opts.dilation ?? 1);
        const ref = tf.mul(conv, scale);
        expect(y.shape).toEqual(ref.shape);
        expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
        tf.dispose([x, y, conv, ref]);
      });
    }
  }

  interface Arr {
    shape: number[];
    data: number[];
  }
  const layerFixture = JSON.parse(
    readFileSync(new URL('../fixtures/layers/deform_conv_layer.json', import.meta.url), 'utf8'),
  ) as {
    cases: (Record<'x' | 'kernel' | 'bias' | 'offsetKernel' | 'offsetBias' | 'y', Arr> & {
      name: string;
      options: {
        filters: number;
        kernelSize: number;
        strides: number;
        padding: number;
        offsetGroups: number;
      };
    })[];
  };
  for (const c of layerFixture.cases) {
    it(`matches torchvision's DCNv2 layer (mask = sigmoid(logits)) by default: ${c.name}`, () => {
      const T = (a: Arr): tf.Tensor => tf.tensor(a.data, a.shape);
      const x = T(c.x);
      const layer = new DeformConv2D(c.options);
      layer.apply(x);
      const weights = [T(c.kernel), T(c.bias), T(c.offsetKernel), T(c.offsetBias)];
      layer.setWeights(weights);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(c.y.shape);
      expect(maxAbsDiff(y, c.y.data)).toBeLessThan(1e-4);
      // The former 2·σ modulation gives a different layer on the same weights.
      const old = new DeformConv2D({ ...c.options, modulation: '2sigmoid' });
      old.apply(x);
      old.setWeights(weights);
      const yOld = old.apply(x) as tf.Tensor;
      expect(maxAbsDiff(yOld, c.y.data)).toBeGreaterThan(1e-2);
      tf.dispose([x, y, yOld, ...weights]);
    });
  }

  it("keeps 'modulation' in its config; a config saved without it loads as '2sigmoid'", () => {
    const layer = new DeformConv2D({ filters: 2, kernelSize: 3 });
    expect(layer.modulation).toBe('sigmoid');
    const cfg = layer.getConfig();
    expect(cfg.modulation).toBe('sigmoid');
    const load = (c: tf.serialization.ConfigDict): DeformConv2D =>
      DeformConv2D.fromConfig(DeformConv2D, c) as DeformConv2D;
    expect(load(cfg).modulation).toBe('sigmoid');
    expect(load({ ...cfg, modulation: '2sigmoid' }).modulation).toBe('2sigmoid');
    const { modulation: _dropped, ...legacy } = cfg;
    expect(load(legacy).modulation).toBe('2sigmoid');
    expect(() => new DeformConv2D({ filters: 2, kernelSize: 3, modulation: 'tanh' as never })).toThrow(
      /modulation/,
    );
  });

  it('gives odd-size output shapes that agree with computeOutputShape', () => {
    const cases: DeformConv2DOptions[] = [
      { filters: 3, kernelSize: 3, strides: 2, padding: 1 },
      { filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: [1, 0], dilation: [2, 1] },
      { filters: 2, kernelSize: 3, strides: 2, dilation: 2, padding: 2 },
    ];
    for (const opts of cases) {
      const layer = new DeformConv2D(opts);
      const x = randn([1, 9, 7, 4], 2);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(layer.computeOutputShape([1, 9, 7, 4]));
      expect(layer.computeOutputShape([null, null, 7, 4])[1]).toBeNull();
      tf.dispose([x, y]);
    }
  });

  it('passes gradients to every trainable weight, offset conv included', () => {
    const layer = new DeformConv2D({ filters: 3, kernelSize: 3, padding: 'same', offsetGroups: 2, seed: 3 });
    const x = randn([2, 5, 7, 4], 4);
    expectGradsReachAllWeights(layer, x);
    x.dispose();
  });

  it('trains its offsets: one SGD step moves them off zero and lowers the loss', () => {
    const layer = new DeformConv2D({ filters: 2, kernelSize: 3, padding: 1, seed: 5 });
    const x = randn([2, 6, 6, 3], 5);
    const target = randn([2, 6, 6, 2], 6);
    const loss = (): tf.Scalar =>
      tf.losses.meanSquaredError(target, layer.apply(x) as tf.Tensor) as tf.Scalar;
    const l0 = tf.tidy(() => loss().dataSync()[0]);
    const opt = tf.train.sgd(0.05);
    opt.minimize(loss);
    const l1 = tf.tidy(() => loss().dataSync()[0]);
    expect(l1).toBeLessThan(l0);
    const offW = layer.getWeights()[2];
    expect(tf.tidy(() => tf.max(tf.abs(offW)).dataSync()[0])).toBeGreaterThan(0);
    opt.dispose();
    tf.dispose([x, target]);
  });

  it('leaks no tensors', () => {
    const layer = new DeformConv2D({ filters: 3, kernelSize: 3, strides: 2, dilation: 2, padding: 2 });
    const x = randn([1, 7, 5, 2], 7);
    expectNoLeak(layer, x);
    x.dispose();
  });

  it('saves and loads with identical predictions', async () => {
    await expectSaveLoadIdentical(
      () =>
        new DeformConv2D({
          filters: 3,
          kernelSize: [3, 2],
          strides: [2, 1],
          padding: 'valid',
          offsetGroups: 2,
        }),
      [[7, 5, 4]],
    );
    await expectSaveLoadIdentical(
      () => new DeformConv2D({ filters: 2, kernelSize: 3, padding: 'same' }),
      [[5, 5, 3]],
    );
    await expectSaveLoadIdentical(
      () => new DeformConv2D({ filters: 2, kernelSize: 3, padding: 'same', modulation: '2sigmoid' }),
      [[5, 5, 3]],
    );
  });

  it('works inside a trained sequential model', async () => {
    const model = tfl.sequential({
      layers: [
        new DeformConv2D({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [8, 8, 1], seed: 1 }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = randn([4, 8, 8, 1], 8);
    const y = tf.ones([4, 1]);
    const h = await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
    expect(h.history.loss.every((v) => Number.isFinite(v as number))).toBe(true);
    tf.dispose([x, y]);
  });

  it('rejects bad options, a wrong rank and a wrong channel count', () => {
    expect(() => new DeformConv2D({ filters: 0, kernelSize: 3 })).toThrow(/filters/);
    expect(() => new DeformConv2D({ filters: 2, kernelSize: [3, 0] })).toThrow(/kernelSize/);
    expect(() => new DeformConv2D({ filters: 2, kernelSize: 2, padding: 'same' })).toThrow(/padding/);
    expect(() => new DeformConv2D({ filters: 2, kernelSize: 3, strides: -1 })).toThrow(/strides/);
    const grouped = new DeformConv2D({ filters: 2, kernelSize: 3, offsetGroups: 3 });
    const x4 = tf.zeros([1, 5, 5, 4]);
    expect(() => grouped.apply(x4)).toThrow(/offsetGroups/);
    const layer = new DeformConv2D({ filters: 2, kernelSize: 3 });
    const x3 = tf.zeros([5, 5, 4]);
    expect(() => layer.apply(x3)).toThrow(/ndim=4|4-D/);
    tf.dispose(layer.apply(x4) as tf.Tensor);
    const x2 = tf.zeros([1, 5, 5, 2]);
    expect(() => layer.apply(x2)).toThrow(/4/);
    tf.dispose([x4, x3, x2]);
  });
});
