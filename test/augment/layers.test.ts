import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  RandomBrightness,
  RandomContrast,
  RandomFlip,
  RandomRotation,
  RandomTranslation,
  RandomZoom,
} from '../../src/augment';
import { images, maxDiff } from './helpers';

const x = tf.mul(images(2, 8, 8, 3), 255) as tf.Tensor4D;
afterAll(() => x.dispose());

const makers: [string, () => tfl.layers.Layer][] = [
  ['RandomFlip', () => new RandomFlip({ mode: 'horizontal', seed: 1 })],
  ['RandomRotation', () => new RandomRotation({ factor: 0.2, seed: 1, fillMode: 'constant' })],
  ['RandomZoom', () => new RandomZoom({ heightFactor: [-0.3, -0.1], widthFactor: 0.2, seed: 1 })],
  ['RandomTranslation', () => new RandomTranslation({ heightFactor: 0.2, widthFactor: [0.1, 0.2], seed: 1 })],
  ['RandomContrast', () => new RandomContrast({ factor: 0.5, seed: 1 })],
  ['RandomBrightness', () => new RandomBrightness({ factor: [0.1, 0.2], seed: 1 })],
];

describe('Keras-style preprocessing layers', () => {
  for (const [name, make] of makers) {
    it(`${name}: identity at inference, changes the batch in training, no leaks`, () => {
      const layer = make();
      const before = tf.memory().numTensors;
      const inf = layer.apply(x) as tf.Tensor;
      expect(maxDiff(inf, x)).toBe(0);
      const inf2 = layer.apply(x, { training: false }) as tf.Tensor;
      expect(maxDiff(inf2, x)).toBe(0);
      const tr = layer.apply(x, { training: true }) as tf.Tensor;
      expect(tr.shape).toEqual(x.shape);
      let changed = maxDiff(tr, x) > 0;
      // A flip with p = 0.5 may leave both images: try a few more batches.
      for (let k = 0; k < 5 && !changed; k++) {
        const again = layer.apply(x, { training: true }) as tf.Tensor;
        changed = maxDiff(again, x) > 0;
        again.dispose();
      }
      expect(changed).toBe(true);
      tf.dispose([inf, inf2, tr]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the same seed gives the same training-time transforms', () => {
    const a = new RandomRotation({ factor: 0.2, seed: 9 }).apply(x, { training: true }) as tf.Tensor;
    const b = new RandomRotation({ factor: 0.2, seed: 9 }).apply(x, { training: true }) as tf.Tensor;
    expect(maxDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
  });

  it('getConfig round-trips through the registry, and a model saves and loads', async () => {
    for (const [name, make] of makers) {
      const layer = make();
      const cfg = layer.getConfig();
      const entry = tf.serialization.SerializationMap.getMap().classNameMap[name];
      expect(entry).toBeDefined();
      const [cls, fromConfig] = entry!;
      const copy = fromConfig(cls, cfg) as unknown as tfl.layers.Layer;
      expect(copy.getClassName()).toBe(name);
      expect(copy.getConfig()).toEqual(cfg);
    }
    const input = tfl.input({ shape: [8, 8, 3] });
    let h = input as tfl.SymbolicTensor;
    for (const [, make] of makers) h = make().apply(h) as tfl.SymbolicTensor;
    const out = tfl.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const p1 = model.predict(x) as tf.Tensor;
    const p2 = loaded.predict(x) as tf.Tensor;
    expect(maxDiff(p1, p2)).toBeLessThan(1e-5);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    tf.dispose([p1, p2]);
    model.dispose();
    loaded.dispose();
  });

  it('is active under model.fit (training: true)', async () => {
    const input = tfl.input({ shape: [4, 4, 1] });
    const aug = new RandomBrightness({ factor: [0.5, 0.5], valueRange: [0, 100], seed: 1 }).apply(
      input,
    ) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(aug) as tfl.SymbolicTensor;
    const dense = tfl.layers.dense({ units: 1, kernelInitializer: 'ones', useBias: false });
    const out = dense.apply(flat) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const xs = tf.zeros([1, 4, 4, 1]);
    const ys = tf.zeros([1, 1]);
    // With an all-ones dense layer (learning rate 0) the training loss is (16 * 50)^2 only if the layer ran.
    const hist = await model.fit(xs, ys, { epochs: 1, verbose: 0 });
    expect(hist.history['loss']![0]).toBeCloseTo(800 * 800, 0);
    const pred = model.predict(xs) as tf.Tensor;
    expect(pred.dataSync()[0]).toBe(0);
    tf.dispose([xs, ys, pred]);
    model.dispose();
  });

  it('validates constructor options', () => {
    expect(() => new RandomRotation({} as never)).toThrow(/'factor' is required/);
    expect(() => new RandomZoom({ heightFactor: [-1.5, 0] })).toThrow(/'heightFactor' must be > -1/);
    expect(() => new RandomFlip({ mode: 'diagonal' as never })).toThrow(/'mode' must be one of/);
    expect(() => new RandomTranslation({ heightFactor: 0.1 } as never)).toThrow(/required/);
  });
});
