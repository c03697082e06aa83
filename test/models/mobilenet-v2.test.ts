// MobileNetV2 against Keras applications: parameter counts per alpha (from the layer-by-layer
// replay of keras' mobilenet_v2.py in test/fixtures/models/make_mobilenet_v2_counts.py, which
// checks itself against the published 3,538,984 / 2,257,984 at alpha 1.0), the layer names
// Keras' weights are stored under, and the Keras details (correct_pad, ReLU6, BN constants).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { MobileNetV2, buildModel, describeModel } from '../../src/models';
import { makeDivisible } from '../../src/blocks/inverted-residual';
import { maxAbsDiff, predict, roundTrip } from './backbone-helpers';

const COUNTS = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/models/mobilenet_v2_counts.json'), 'utf8'),
) as Record<string, [number, number]>;

describe('MobileNetV2 parameter counts (Keras applications, 224x224x3, 1000 classes)', () => {
  it('alpha 1.0 has the published 3,538,984 with the top, 2,257,984 without', () => {
    const m = MobileNetV2({ zeroInit: true });
    expect(m.countParams()).toBe(3_538_984);
    expect(m.outputs[0].shape).toEqual([null, 1000]);
    expect(m.name).toBe('mobilenetv2_1.00_224');
    m.dispose();
    const n = MobileNetV2({ zeroInit: true, includeTop: false });
    expect(n.countParams()).toBe(2_257_984);
    expect(n.outputs[0].shape).toEqual([null, 7, 7, 1280]);
    n.dispose();
  });

  for (const alpha of ['0.35', '0.5', '0.75', '1.3', '1.4']) {
    it(`alpha ${alpha}: ${COUNTS[alpha][0].toLocaleString('en')} with the top, ${COUNTS[alpha][1].toLocaleString('en')} without`, () => {
      const before = tf.memory().numTensors;
      const top = MobileNetV2({ zeroInit: true, alpha: Number(alpha) });
      expect(top.countParams()).toBe(COUNTS[alpha][0]);
      top.dispose();
      const notop = MobileNetV2({ zeroInit: true, alpha: Number(alpha), includeTop: false, pooling: 'avg' });
      expect(notop.countParams()).toBe(COUNTS[alpha][1]);
      const last = Number(alpha) > 1 ? makeDivisible(1280 * Number(alpha)) : 1280;
      expect(notop.outputs[0].shape).toEqual([null, last]);
      notop.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('MobileNetV2 structure', () => {
  const m = MobileNetV2({ zeroInit: true, inputShape: [64, 64, 3], classes: 5 });
  const layer = (n: string): tfl.layers.Layer => m.getLayer(n);

  it("uses Keras' layer names", () => {
    const names = m.layers.map((l) => l.name);
    expect(names.slice(0, 9)).toEqual([
      'input',
      'Conv1',
      'bn_Conv1',
      'Conv1_relu',
      'expanded_conv_depthwise',
      'expanded_conv_depthwise_BN',
      'expanded_conv_depthwise_relu',
      'expanded_conv_project',
      'expanded_conv_project_BN',
    ]);
    expect(names.slice(9, 17)).toEqual([
      'block_1_expand',
      'block_1_expand_BN',
      'block_1_expand_relu',
      'block_1_pad',
      'block_1_depthwise',
      'block_1_depthwise_BN',
      'block_1_depthwise_relu',
      'block_1_project',
    ]);
    expect(names.slice(-6)).toEqual([
      'block_16_project_BN',
      'Conv_1',
      'Conv_1_bn',
      'out_relu',
      'avg_pool',
      'predictions',
    ]);
    // Adds exactly where Keras has them: stride 1 and channels kept.
    const adds = names.filter((n) => n.endsWith('_add'));
    expect(adds).toEqual([2, 4, 5, 7, 8, 9, 11, 12, 14, 15].map((i) => `block_${i}_add`));
    const pads = names.filter((n) => n.endsWith('_pad'));
    expect(pads).toEqual(['block_1_pad', 'block_3_pad', 'block_6_pad', 'block_13_pad']);
    expect(m.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D')).toHaveLength(17);
  });

  it("pads as Keras' correct_pad, ReLU6, BN epsilon 1e-3 momentum 0.999, no conv biases", () => {
    // 64 -> 32 (even: ((0,1),(0,1))) ... 8 -> 4 at block 13; 4x4 is even too.
    expect(layer('block_1_pad').getConfig().padding).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(layer('block_1_depthwise').getConfig()).toMatchObject({
      padding: 'valid',
      strides: [2, 2],
      useBias: false,
    });
    expect(layer('block_2_depthwise').getConfig()).toMatchObject({ padding: 'same', strides: [1, 1] });
    expect(layer('out_relu').getConfig().maxValue).toBe(6);
    expect(layer('block_5_expand_relu').getClassName()).toBe('ReLU');
    expect(layer('block_7_project_BN').getConfig()).toMatchObject({ epsilon: 1e-3, momentum: 0.999 });
    expect(layer('Conv1').getConfig()).toMatchObject({ useBias: false, strides: [2, 2], padding: 'same' });
    expect(layer('block_16_project').getConfig().useBias).toBe(false);
  });

  it('pads odd sides symmetrically, as correct_pad does', () => {
    const odd = MobileNetV2({ zeroInit: true, inputShape: [33, 35, 1], includeTop: false });
    // Conv1 'same'/2: 33 -> 17 (odd) and 35 -> 18 (even).
    expect(odd.getLayer('block_1_pad').getConfig().padding).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(odd.outputs[0].shape).toEqual([null, 2, 2, 1280]);
    odd.dispose();
  });

  it('saves and loads with identical predictions, and is in the registry', async () => {
    const seeded = MobileNetV2({ inputShape: [32, 32, 3], alpha: 0.35, classes: 3, seed: 1 });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3);
    const loaded = await roundTrip(seeded);
    const a = predict(seeded, x);
    const b = predict(loaded, x);
    expect(maxAbsDiff(a, b)).toBe(0);
    const byName = buildModel('MobileNetV2', { inputShape: [32, 32, 3], zeroInit: true });
    expect(byName.countParams()).toBe(3_538_984);
    byName.dispose();
    expect(describeModel('MobileNetV2')).toMatch(/MobileNetV2.*Keras applications exact/);
    tf.dispose([x, a, b]);
    seeded.dispose();
    loaded.dispose();
  });

  it('rejects a bad alpha or input, naming the builder and the option', () => {
    expect(() => MobileNetV2({ alpha: 0 })).toThrow(/MobileNetV2: 'alpha'/);
    expect(() => MobileNetV2({ alpha: Number.NaN })).toThrow(/MobileNetV2: 'alpha'/);
    expect(() => MobileNetV2({ inputShape: [16, 16, 3] })).toThrow(/MobileNetV2: 'inputShape'/);
  });
});

describe('makeDivisible', () => {
  it("is keras' _make_divisible", () => {
    // int(v + 4) // 8 * 8, at least 8, bumped when more than 10% below v.
    expect(
      [11.2, 16, 8.4, 24 * 0.35, 320 * 0.35, 1280 * 1.3, 1280 * 1.4, 12].map((v) => makeDivisible(v)),
    ).toEqual([16, 16, 8, 8, 112, 1664, 1792, 16]);
  });
});
