// fitWithMixing with the augment folder's real mixers (call shapes as the thesis recipe uses them).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { Mixer, cutmix, mixup } from '../../src/augment';
import { fitWithMixing, labelSmoothedCrossEntropy } from '../../src/train';

function convNet(): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({
        units: 2,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  m.compile({
    optimizer: tf.train.adam(0.02),
    loss: labelSmoothedCrossEntropy({ smoothing: 0 }),
    metrics: ['accuracy'],
  });
  return m;
}

describe('fitWithMixing + augment mixers', () => {
  it('mixup (alpha 0.4), cutmix and the Mixer object all train without leaks', async () => {
    const x = tf.tidy(() => {
      const noise = tf.randomUniform([16, 8, 8, 1], 0, 0.3, 'float32', 5);
      const bright = tf.reshape(tf.tensor1d([...Array(16).keys()].map((i) => i % 2)), [16, 1, 1, 1]);
      return tf.add(noise, tf.mul(bright, 0.7)) as tf.Tensor4D;
    });
    const y = tf.oneHot(
      tf.tensor1d(
        [...Array(16).keys()].map((i) => i % 2),
        'int32',
      ),
      2,
    );
    const mixers = [
      (bx: tf.Tensor, by: tf.Tensor, seed: number) => mixup(bx as tf.Tensor4D, by, { alpha: 0.4, seed }),
      (bx: tf.Tensor, by: tf.Tensor, seed: number) => cutmix(bx as tf.Tensor4D, by, { alpha: 1, seed }),
      new Mixer({ mixupAlpha: 0.4, cutmixAlpha: 1, labelSmoothing: 0, seed: 3 }),
    ];
    for (const mixer of mixers) {
      const model = convNet();
      const before = tf.memory().numTensors;
      const h = await fitWithMixing(model, x, y, { mixer, epochs: 2, batchSize: 8, seed: 1 });
      // only the optimizer's lazily made slots (2 per weight, 4 weights) remain
      expect(tf.memory().numTensors).toBe(before + 8);
      expect(h.history['loss']!.every(Number.isFinite)).toBe(true);
      model.dispose();
    }
    tf.dispose([x, y]);
  });
});
