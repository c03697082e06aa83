// Inception-ResNet-v2 against Keras applications: the published parameter counts (55,873,736
// with the top at 299x299x3; 54,336,736 without), the layer names keras.applications'
// weights are stored under (auto-names of a fresh TF 2 Keras session for the unnamed
// conv2d_bn units), the residual scales, and save -> load.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { InceptionResNetV2, buildModel, describeModel } from '../../src/models';
import type { ScaledResidual } from '../../src/layers';
import { maxAbsDiff, predict, roundTrip } from './backbone-helpers';

describe('InceptionResNetV2', () => {
  it('has 55,873,736 parameters with the top at 299x299x3, 54,336,736 without', () => {
    const before = tf.memory().numTensors;
    const m = InceptionResNetV2({ zeroInit: true });
    expect(m.countParams()).toBe(55_873_736);
    expect(m.outputs[0].shape).toEqual([null, 1000]);
    expect(m.name).toBe('inception_resnet_v2');
    // Keras' model.layers has 782 entries with the top (input included).
    expect(m.layers).toHaveLength(782);
    m.dispose();
    const n = InceptionResNetV2({ zeroInit: true, includeTop: false });
    expect(n.countParams()).toBe(54_336_736);
    expect(n.outputs[0].shape).toEqual([null, 8, 8, 1536]);
    n.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("uses Keras' layer names and residual scales", () => {
    const m = InceptionResNetV2({ zeroInit: true, inputShape: [75, 75, 3], classes: 4 });
    const names = m.layers.map((l) => l.name);
    expect(names.slice(0, 5)).toEqual(['input', 'conv2d', 'batch_normalization', 'activation', 'conv2d_1']);
    const convs = names.filter((n) => /^conv2d(_\d+)?$/.test(n));
    expect(convs).toHaveLength(203);
    expect(convs[202]).toBe('conv2d_202');
    expect(names.filter((n) => /^batch_normalization(_\d+)?$/.test(n))).toHaveLength(203);
    for (const n of [
      'mixed_5b',
      'block35_1_mixed',
      'block35_1_conv',
      'block35_10_ac',
      'mixed_6a',
      'block17_20',
      'mixed_7a',
      'block8_9_ac',
      'block8_10',
      'conv_7b',
      'conv_7b_bn',
      'conv_7b_ac',
      'avg_pool',
      'predictions',
    ]) {
      expect(names, n).toContain(n);
    }
    // The last block has no activation, as in Keras (activation=None for block8_10).
    expect(names).not.toContain('block8_10_ac');
    const scale = (n: string): number => (m.getLayer(n) as ScaledResidual).scale;
    expect([scale('block35_3'), scale('block17_11'), scale('block8_9'), scale('block8_10')]).toEqual([
      0.17, 0.1, 0.2, 1,
    ]);
    expect(m.getLayer('block17_1_conv').getConfig()).toMatchObject({
      useBias: true,
      kernelSize: [1, 1],
      filters: 1088,
    });
    expect(m.getLayer('batch_normalization_5').getConfig()).toMatchObject({ scale: false, epsilon: 1e-3 });
    expect(m.getLayer('conv2d_5').getConfig().useBias).toBe(false);
    m.dispose();
  });

  it('saves and loads with identical predictions, and is in the registry', async () => {
    const m = InceptionResNetV2({ inputShape: [75, 75, 3], classes: 3, seed: 5 });
    const x = tf.randomUniform([2, 75, 75, 3], -1, 1, 'float32', 9);
    const loaded = await roundTrip(m);
    const a = predict(m, x);
    const b = predict(loaded, x);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(a.shape).toEqual([2, 3]);
    expect(describeModel('InceptionResNetV2')).toMatch(/Inception-ResNet-v2, Keras applications exact/);
    const byName = buildModel('InceptionResNetV2', {
      inputShape: [75, 75, 1],
      zeroInit: true,
      includeTop: false,
    });
    expect(byName.outputs[0].shape).toEqual([null, 1, 1, 1536]);
    byName.dispose();
    tf.dispose([x, a, b]);
    m.dispose();
    loaded.dispose();
    expect(() => InceptionResNetV2({ inputShape: [74, 74, 3] })).toThrow(/InceptionResNetV2: 'inputShape'/);
  });
});
