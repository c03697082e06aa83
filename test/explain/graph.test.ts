import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradCam, runGraph } from '../../src/explain';
import { conv, randomImages } from './models';

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe('runGraph', () => {
  it('reproduces predict() in inference mode (batch norm, dropout, nested sequential, two outputs)', () => {
    const inner = tfl.sequential({
      name: 'innerSeq',
      layers: [
        tfl.layers.conv2d({
          inputShape: [8, 8, 2],
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.batchNormalization({
          name: 'bn',
          movingMeanInitializer: tfl.initializers.constant({ value: 0.2 }),
          movingVarianceInitializer: tfl.initializers.constant({ value: 2 }),
        }),
        tfl.layers.activation({ activation: 'relu' }),
      ],
    });
    const x = tfl.input({ shape: [8, 8, 2] });
    const h = inner.apply(x) as tfl.SymbolicTensor;
    const d = tfl.layers
      .dropout({ rate: 0.5 })
      .apply(conv('after', 4, 2).apply(h) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({}).apply(d) as tfl.SymbolicTensor;
    const y1 = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(gap) as tfl.SymbolicTensor;
    const y2 = tfl.layers.dense({ units: 1, activation: 'sigmoid' }).apply(gap) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: [y1, y2] });
    const xs = randomImages(3, 8, 8, 2, 3);
    const ref = model.predict(xs) as tf.Tensor[];
    const got = tf.tidy(() => runGraph(model, [xs]).outputs.map((t) => tf.clone(t)));
    expect(maxDiff(ref[0]!, got[0]!)).toBeLessThan(1e-6);
    expect(maxDiff(ref[1]!, got[1]!)).toBeLessThan(1e-6);
    // Grad-CAM inside the nested sequential model, reached by its path and by plain name.
    const a = gradCam(model, xs, { layer: 'innerSeq/bn' });
    const b = gradCam(model, xs, { layer: 'bn' });
    expect(a.shape).toEqual([3, 8, 8]);
    expect(maxDiff(a, b)).toBe(0);
    const sig = gradCam(model, xs, { layer: 'after', outputIndex: 1 });
    expect(sig.shape).toEqual([3, 8, 8]);
    tf.dispose([xs, ...ref, ...got, a, b, sig]);
  });

  it('Grad-CAM works on a plain tfl.sequential CNN (sigmoid head, as in Keras pneumonia CNNs)', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [12, 12, 1],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          name: 'conv_a',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
        }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          name: 'conv_b',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }),
          biasInitializer: 'ones',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({
          units: 1,
          activation: 'sigmoid',
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }),
        }),
      ],
    });
    const xs = randomImages(2, 12, 12, 1, 5);
    const before = tf.memory().numTensors;
    const m = gradCam(model, xs);
    expect(m.shape).toEqual([2, 12, 12]);
    const [lo, hi] = tf.tidy(() => [tf.min(m).dataSync()[0], tf.max(m).dataSync()[0]]);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeCloseTo(1, 6);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    xs.dispose();
  });
});
