// Example 003's transfer models: nsfwjs' Keras InceptionV3 (ImageNet-initialised, a
// devDependency) loads into the backbone through the example's loader, the base is frozen
// with its batch norm in inference mode (Keras' rule for trainable=False), so a training step
// moves only the head; a Keras .h5 for a reduced ResNet50 loads by `Model=FILE`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { pretrainedChoices } from '../../examples/003-transfer-xray/index';
import { transferModel } from '../../examples/003-transfer-xray/transfer';
import { ResNet50 } from '../../src/models';
import { FIXTURES, PYTHON } from '../weights/helpers';

const cacheDir = mkdtempSync(join(tmpdir(), 'example-003-'));
const inner = (m: tfl.LayersModel): tfl.LayersModel =>
  m.layers.find((l): l is tfl.LayersModel => l instanceof tfl.LayersModel) as tfl.LayersModel;

describe('example 003: pretrained transfer models', () => {
  it('nsfwjs InceptionV3: loaded, base frozen in inference mode, one step moves only the head', async () => {
    const spec = {
      name: 'InceptionV3' as const,
      size: 75,
      filters: 64,
      training: 'head' as const,
      bnMomentum: 0.9,
      seed: 1,
      cacheDir,
    };
    const pre = await transferModel({ ...spec, weights: 'nsfwjs' });
    const rnd = await transferModel(spec);
    expect(pre.report?.map).toBe('keras 2.2 auto-names');
    expect(pre.report?.missing).toEqual([]);
    expect(pre.model.trainableWeights.map((w) => w.name.split('/')[0])).toEqual([
      'head_fc64',
      'head_fc64',
      'head_output',
      'head_output',
    ]);
    const x = tf.randomUniform([4, 75, 75, 3], 0, 1, 'float32', 3);
    const y = tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);
    const a = pre.model.predict(x) as tf.Tensor;
    const b = rnd.model.predict(x) as tf.Tensor;
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(b.dataSync()));
    const base = inner(pre.model);
    const bn = base.layers.find((l) => l.getClassName() === 'BatchNormalization') as tfl.layers.Layer;
    const bnBefore = bn.getWeights().map((w) => Array.from(w.dataSync()));
    pre.model.compile({ optimizer: tf.train.adam(1e-2), loss: 'binaryCrossentropy' });
    await pre.model.trainOnBatch(x, y);
    expect(bn.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(bnBefore);
    tf.dispose([x, y, a, b]);
    pre.model.dispose();
    rnd.model.dispose();
  });

  it("InceptionV3's last stage fine-tunes (batch norm without scale trains), earlier layers stay", async () => {
    const t = await transferModel({
      name: 'InceptionV3',
      size: 75,
      filters: 64,
      training: 'last-stage',
      bnMomentum: 0.9,
      seed: 2,
      cacheDir,
    });
    const base = inner(t.model);
    const convs = base.layers.filter((l) => l.getClassName() === 'Conv2D');
    const [first, last] = [convs[0], convs[convs.length - 1]] as tfl.layers.Layer[];
    const w0 = [first, last].map((l) => Array.from(l.getWeights()[0]?.dataSync() ?? []));
    const x = tf.randomUniform([4, 75, 75, 3], 0, 1, 'float32', 4);
    const y = tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);
    t.model.compile({ optimizer: tf.train.adam(1e-2), loss: 'binaryCrossentropy' });
    const loss = (await t.model.trainOnBatch(x, y)) as number;
    expect(Number.isFinite(loss)).toBe(true);
    expect(Array.from(first?.getWeights()[0]?.dataSync() ?? [])).toEqual(w0[0]);
    expect(Array.from(last?.getWeights()[0]?.dataSync() ?? [])).not.toEqual(w0[1]);
    tf.dispose([x, y]);
    t.model.dispose();
  });

  it('InceptionResNetV2: the last stage is what follows mixed_7a, preprocessed the Inception way', async () => {
    const t = await transferModel({
      name: 'InceptionResNetV2',
      size: 75,
      filters: 64,
      training: 'last-stage',
      bnMomentum: 0.99,
      seed: 3,
      cacheDir,
    });
    const base = inner(t.model);
    const start = base.layers.findIndex((l) => l.name === 'mixed_7a') + 1;
    const trainable = base.layers.filter((l) => l.trainable && l.weights.length > 0);
    expect(trainable.length).toBeGreaterThan(0);
    expect(trainable.every((l) => base.layers.indexOf(l) >= start)).toBe(true);
    expect(base.getLayer('conv_7b').trainable).toBe(true);
    expect((t.model.getLayer('preprocess') as unknown as { mode: string }).mode).toBe('tf');
    t.model.dispose();
  });

  it('--weights ResNet50=file.h5 loads a Keras file into the ResNet50 backbone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'example-003-h5-'));
    const short = (n: string): string => n.slice(n.lastIndexOf('/') + 1);
    const ref = ResNet50({
      inputShape: [32, 32, 3],
      includeTop: false,
      pooling: 'avg',
      filters: 4,
      zeroInit: true,
    });
    const layers = ref.layers
      .filter((l) => l.weights.length > 0)
      .map((l) => ({ name: l.name, weights: l.weights.map((w) => [short(w.originalName), w.shape]) }));
    ref.dispose();
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ layers }));
    execFileSync(PYTHON, [join(FIXTURES, 'make_keras_h5.py'), join(dir, 'spec.json'), join(dir, 'resnet50')]);
    const choices = pretrainedChoices([`ResNet50=${join(dir, 'resnet50.h5')}`], 'smoke');
    expect(choices).toEqual({ ResNet50: join(dir, 'resnet50.h5') });
    expect(() => pretrainedChoices(['VGG16=x.h5'], 'smoke')).toThrow(/'VGG16' is not a transfer model/);
    const t = await transferModel({
      name: 'ResNet50',
      size: 32,
      filters: 4,
      weights: choices.ResNet50,
      training: 'last-stage',
      bnMomentum: 0.99,
      seed: 1,
      cacheDir,
    });
    expect(t.report?.format).toBe('keras-h5');
    expect(t.report?.matched.length).toBe(layers.reduce((n, l) => n + l.weights.length, 0));
    const base = inner(t.model);
    expect(
      base.layers
        .filter((l) => l.trainable && l.weights.length > 0)
        .every((l) => l.name.startsWith('conv5_')),
    ).toBe(true);
    t.model.dispose();
  });
});
