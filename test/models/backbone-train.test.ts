// Small classic models train (a few steps lower the loss on a fixed batch), save -> load
// through memory gives identical predictions, equal seeds build equal weights, no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  DenseNet,
  DenseNet121,
  EmbeddingClassifier,
  EmbeddingNet,
  InceptionV3,
  PneumoniaCNN,
  ResNet,
  ResNet18,
  VGG11,
} from '../../src/models';
import { fixedBatch, maxAbsDiff, predict, roundTrip } from './backbone-helpers';

// trainOnBatch returns the loss before its update: the second call sees the effect of one step.
async function lossFalls(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  loss: string,
): Promise<[number, number]> {
  model.compile({ optimizer: tf.train.adam(1e-3), loss });
  const first = (await model.trainOnBatch(x, y)) as number;
  const second = (await model.trainOnBatch(x, y)) as number;
  return [first, second];
}

// tfjs-layers caches a few tensors on first compile/fit; create them before counting leaks.
beforeAll(async () => {
  const input = tfl.input({ shape: [2] });
  const m = tfl.model({
    inputs: input,
    outputs: tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(input) as tfl.SymbolicTensor,
  });
  const x = tf.ones([2, 2]);
  for (const loss of ['categoricalCrossentropy', 'binaryCrossentropy']) {
    m.compile({ optimizer: tf.train.adam(1e-3), loss });
    await m.trainOnBatch(x, x);
    m.optimizer.dispose();
  }
  x.dispose();
  m.dispose();
});

describe('training steps lower the loss on a fixed batch', () => {
  it('ResNet18 layout (width 8) at 32x32x1', async () => {
    const before = tf.memory().numTensors;
    const model = ResNet({
      blocks: [2, 2, 2, 2],
      block: 'basic',
      filters: 8,
      inputShape: [32, 32, 1],
      classes: 2,
      seed: 1,
    });
    const x = fixedBatch(4, 32, 32, 1);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2));
    const [first, last] = await lossFalls(model, x, y, 'categoricalCrossentropy');
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('PneumoniaCNN at 32x32x1 (sigmoid, binary cross-entropy)', async () => {
    const before = tf.memory().numTensors;
    const model = PneumoniaCNN({ inputShape: [32, 32, 1], seed: 2, dropout: 0, denseDropout: 0 });
    const x = fixedBatch(4, 32, 32, 1);
    const y = tf.tensor2d([0, 1, 1, 0], [4, 1]);
    const [first, last] = await lossFalls(model, x, y, 'binaryCrossentropy');
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a small DenseNet at 32x32x1', async () => {
    const model = DenseNet({
      blocks: [2, 2, 2, 2],
      growthRate: 8,
      inputShape: [32, 32, 1],
      classes: 2,
      seed: 3,
    });
    const x = fixedBatch(4, 32, 32, 1);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 0, 0, 1], 'int32'), 2));
    const [first, last] = await lossFalls(model, x, y, 'categoricalCrossentropy');
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
  });
});

describe('save -> load gives identical predictions', () => {
  const cases: [string, () => tfl.LayersModel, [number, number, number]][] = [
    [
      'ResNet18 (torchvision variant)',
      () => ResNet18({ inputShape: [32, 32, 1], classes: 3, variant: 'torchvision', seed: 4 }),
      [32, 32, 1],
    ],
    [
      'ResNet bottleneck',
      () =>
        ResNet({
          blocks: [1, 1, 1, 1],
          block: 'bottleneck',
          filters: 8,
          inputShape: [33, 33, 3],
          seed: 5,
          classes: 4,
        }),
      [33, 33, 3],
    ],
    ['DenseNet121', () => DenseNet121({ inputShape: [32, 32, 1], classes: 2, seed: 6 }), [32, 32, 1]],
    // Zero kernels keep this one fast (23.8M weights); it checks the topology and names round-trip.
    [
      'InceptionV3 (topology)',
      () => InceptionV3({ inputShape: [75, 75, 1], classes: 2, zeroInit: true }),
      [75, 75, 1],
    ],
    ['PneumoniaCNN', () => PneumoniaCNN({ inputShape: [32, 32, 1], seed: 9 }), [32, 32, 1]],
  ];
  for (const [name, build, [h, w, c]] of cases) {
    it(name, async () => {
      const before = tf.memory().numTensors;
      const model = build();
      const loaded = await roundTrip(model);
      const x = fixedBatch(2, h, w, c);
      const a = predict(model, x);
      const b = predict(loaded, x);
      expect(b.shape).toEqual(a.shape);
      expect(maxAbsDiff(a, b)).toBe(0);
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('seeds and embeddings', () => {
  it('VGG11 without top pools to [batch, 512]', () => {
    const m = VGG11({ inputShape: [32, 32, 1], includeTop: false, pooling: 'avg', zeroInit: true });
    expect(m.outputs[0].shape).toEqual([null, 512]);
    expect(m.getLayer('avg_pool').getClassName()).toBe('GlobalAveragePooling2D');
    m.dispose();
  });

  it('equal seeds build equal weights, different seeds different ones', () => {
    const a = ResNet({ blocks: [1, 1, 1, 1], block: 'basic', filters: 4, inputShape: [32, 32, 1], seed: 11 });
    const b = ResNet({ blocks: [1, 1, 1, 1], block: 'basic', filters: 4, inputShape: [32, 32, 1], seed: 11 });
    const c = ResNet({ blocks: [1, 1, 1, 1], block: 'basic', filters: 4, inputShape: [32, 32, 1], seed: 12 });
    const k = (m: tfl.LayersModel) => m.getLayer('conv3_block1_1_conv').getWeights()[0];
    expect(maxAbsDiff(k(a), k(b))).toBe(0);
    expect(maxAbsDiff(k(a), k(c))).toBeGreaterThan(0);
    for (const m of [a, b, c]) m.dispose();
  });

  it('EmbeddingNet outputs unit vectors and EmbeddingClassifier trains on top of it', async () => {
    const before = tf.memory().numTensors;
    const trunk = DenseNet({
      blocks: [1, 1, 1, 1],
      growthRate: 4,
      includeTop: false,
      inputShape: [32, 32, 1],
      seed: 13,
    });
    const net = EmbeddingNet({ backbone: trunk, hiddenUnits: [32, 32], embeddingDim: 16, seed: 13 });
    expect(net.getLayer('avg_pool').getClassName()).toBe('GlobalAveragePooling2D');
    const x = fixedBatch(4, 32, 32, 1);
    const e = predict(net, x);
    const loaded = await roundTrip(net);
    const e2 = predict(loaded, x);
    expect(loaded.getLayer('embedding').getClassName()).toBe('L2Normalize');
    expect(maxAbsDiff(e, e2)).toBe(0);
    tf.dispose(e2);
    loaded.dispose();
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(e), 1)));
    expect(Array.from(norms.dataSync()).every((n) => Math.abs(n - 1) < 1e-5)).toBe(true);
    const clf = EmbeddingClassifier(net, { classes: 2, freezeEmbedding: true, seed: 14 });
    expect(clf.trainableWeights.map((w) => w.originalName)).toEqual(['classifier/kernel', 'classifier/bias']);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2));
    const [first, last] = await lossFalls(clf, x, y, 'categoricalCrossentropy');
    expect(last).toBeLessThan(first);
    tf.dispose([x, e, norms, y]);
    clf.optimizer.dispose();
    clf.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
