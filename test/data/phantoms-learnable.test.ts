import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ctWindow } from '../../src/augment';
import { ctPhantoms } from '../../src/data';

/** Mann-Whitney AUC, ties counted half. */
function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      den++;
      const d = (scores[i] as number) - (scores[j] as number);
      num += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    }
  }
  return num / den;
}

describe('phantoms are learnable', () => {
  it('a tiny CNN beats chance on held-out CT phantoms after a few seconds of training', async () => {
    const size = 32;
    const train = ctPhantoms({ n: 128, size, seed: 11, difficulty: 'easy' });
    const test = ctPhantoms({ n: 100, size, seed: 12, difficulty: 'easy' });
    const x = ctWindow(train.images, { center: -500, width: 1000 });
    const xt = ctWindow(test.images, { center: -500, width: 1000 });
    const y = tf.cast(train.labels, 'float32');
    const init = (seed: number): ReturnType<typeof tfl.initializers.glorotUniform> =>
      tfl.initializers.glorotUniform({ seed });
    const model = tfl.sequential({
      layers: [
        tfl.layers.averagePooling2d({ inputShape: [size, size, 1], poolSize: 2 }),
        tfl.layers.conv2d({
          filters: 4,
          kernelSize: 5,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(1),
        }),
        tfl.layers.globalMaxPooling2d({}),
        tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(2) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy' });
    const untrained = model.predict(xt) as tf.Tensor;
    const before = auc(untrained.dataSync(), test.labels.dataSync());
    await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
    const p = model.predict(xt) as tf.Tensor;
    const after = auc(p.dataSync(), test.labels.dataSync());
    console.log(`phantom AUC untrained ${before.toFixed(3)} trained ${after.toFixed(3)}`);
    expect(after).toBeGreaterThan(0.65);
    expect(after).toBeGreaterThan(before);
    tf.dispose([
      train.images,
      train.labels,
      train.masks,
      test.images,
      test.labels,
      test.masks,
      x,
      xt,
      y,
      untrained,
      p,
    ]);
    model.dispose();
  });
});
