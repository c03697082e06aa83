// The models of documents 000, 002 and 004, the freezing utilities and the registry.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  DENSENET_PREFIX,
  EmbeddingNet,
  L2Normalize,
  PneumoniaCNN,
  RESNET_PREFIX,
  ResDenseFusion,
  ResNet,
  VGG16Transfer,
  buildModel,
  buildModelAsync,
  describeModel,
  freezeUpTo,
  fusionTrunks,
  isModelName,
  listModels,
  summary,
  unfreezeFrom,
  weightReport,
} from '../../src';
import { fixedBatch, maxAbsDiff, predict, roundTrip } from './backbone-helpers';

describe('document 004', () => {
  it('PneumoniaCNN at 128x128x1 has 2,525,121 parameters, 1,088 non-trainable, with the summary names', () => {
    const m = PneumoniaCNN({ zeroInit: true });
    const s = summary(m);
    expect(s.total).toBe(2_525_121);
    expect(s.nonTrainable).toBe(1_088);
    expect(s.trainable).toBe(2_524_033);
    const byName = Object.fromEntries(s.layers.map((l) => [l.name, l.params]));
    expect(byName).toMatchObject({
      conv2d: 320,
      batch_normalization: 128,
      conv2d_4: 295_168,
      dense: 2_097_664,
      dense_1: 513,
    });
    expect(m.getLayer('dropout_4').getClassName()).toBe('Dropout');
    m.dispose();
  });

  it('VGG16Transfer at 256x256x3 has 31,558,209 parameters, 14,714,688 frozen', () => {
    const m = VGG16Transfer({ zeroInit: true });
    const s = summary(m);
    expect(s.total).toBe(31_558_209);
    expect(s.nonTrainable).toBe(14_714_688);
    expect(s.trainable).toBe(16_843_521);
    expect(m.getLayer('flatten').outputShape).toEqual([null, 32_768]);
    m.dispose();
  });

  it('VGG16Transfer keeps its frozen base through save -> load', async () => {
    const m = VGG16Transfer({ inputShape: [32, 32, 1], zeroInit: true });
    const loaded = await roundTrip(m);
    expect(summary(loaded).nonTrainable).toBe(summary(m).nonTrainable);
    expect(loaded.getLayer('block5_conv3').trainable).toBe(false);
    expect(loaded.getLayer('dense').trainable).toBe(true);
    m.dispose();
    loaded.dispose();
  });
});

describe('document 000: ResDenseFusion', () => {
  it('adds the projected ResNet101 map to the DenseNet121 map; trunks freeze separately', () => {
    const before = tf.memory().numTensors;
    const m = ResDenseFusion({ inputShape: [32, 32, 3], classes: 2, zeroInit: true });
    // ResNet101 (no top) 42,658,176 + DenseNet121 (no top) 7,037,504 + 1x1 projection 2048->1024 + softmax 1024->2.
    expect(m.countParams()).toBe(42_658_176 + 7_037_504 + (2048 * 1024 + 1024) + (1024 * 2 + 2));
    expect(m.getLayer('projection').outputShape).toEqual([null, 1, 1, 1024]);
    expect(m.getLayer('fusion_add').getClassName()).toBe('Add');
    expect(m.getLayer(`${RESNET_PREFIX}conv4_block23_out`).getClassName()).toBe('Activation');
    expect(m.getLayer(`${DENSENET_PREFIX}conv5_block16_concat`).getClassName()).toBe('Concatenate');
    const t = fusionTrunks(m);
    expect(t.head.map((l) => l.name)).toEqual(['projection', 'fusion_add', 'avg_pool', 'predictions']);
    // Stage 1: both trunks frozen, only the head trains.
    freezeUpTo(t.resnet, t.resnet.length);
    freezeUpTo(t.densenet, t.densenet.length);
    expect(summary(m).trainable).toBe(2048 * 1024 + 1024 + 1024 * 2 + 2);
    // Stage 2: unfreeze, then freeze the first 100 layers of each trunk.
    unfreezeFrom(t.resnet, 0);
    unfreezeFrom(t.densenet, 0);
    freezeUpTo(t.resnet, 100);
    freezeUpTo(t.densenet, 100);
    expect(t.resnet.slice(0, 100).every((l) => !l.trainable)).toBe(true);
    expect(t.resnet.slice(100).every((l) => l.trainable)).toBe(true);
    const partly = summary(m).trainable;
    unfreezeFrom(t.resnet, 0);
    unfreezeFrom(t.densenet, 0);
    const fully = summary(m).trainable;
    expect(partly).toBeLessThan(fully);
    expect(partly).toBeGreaterThan(2048 * 1024 + 1024 + 1024 * 2 + 2);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('document 002: embedding head', () => {
  it('DenseNet169 + 3 dense layers -> 512-d, L2Normalize serialises', async () => {
    const m = EmbeddingNet({ inputShape: [32, 32, 3], zeroInit: true });
    expect(m.outputs[0].shape).toEqual([null, 512]);
    expect(m.getLayer('avg_pool').outputShape).toEqual([null, 1664]);
    expect(['embed_fc1', 'embed_fc2', 'embed_fc3'].map((n) => m.getLayer(n).getClassName())).toEqual([
      'Dense',
      'Dense',
      'Dense',
    ]);
    m.dispose();
    const input = tfl.input({ shape: [5] });
    const small = tfl.model({
      inputs: input,
      outputs: new L2Normalize({ name: 'l2', epsilon: 1e-6 }).apply(input) as tfl.SymbolicTensor,
    });
    const loaded = await roundTrip(small);
    const layer = loaded.getLayer('l2') as L2Normalize;
    expect(layer.epsilon).toBe(1e-6);
    const x = tf.tensor2d([
      [3, 4, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    const y = predict(loaded, x);
    expect(Array.from(y.dataSync())).toEqual([0.6, 0.8, 0, 0, 0, 0, 0, 0, 0, 0].map((v) => Math.fround(v)));
    tf.dispose([x, y]);
    small.dispose();
    loaded.dispose();
  });
});

describe('freezing utilities', () => {
  it('freezeUpTo / unfreezeFrom by index and by name; summary counts follow', () => {
    const m = PneumoniaCNN({ inputShape: [32, 32, 1], zeroInit: true });
    const all = summary(m);
    freezeUpTo(m, 'batch_normalization');
    expect(m.layers.slice(0, 3).map((l) => l.trainable)).toEqual([false, false, false]);
    expect(m.layers[3].trainable).toBe(true);
    expect(summary(m).trainable).toBe(all.trainable - 320 - 64);
    freezeUpTo(m, m.layers.length);
    expect(summary(m).trainable).toBe(0);
    unfreezeFrom(m, 'dense');
    expect(summary(m).trainable).toBe(
      m.getLayer('dense').countParams() + m.getLayer('dense_1').countParams(),
    );
    unfreezeFrom(m, 0);
    expect(summary(m).trainable).toBe(all.trainable);
    expect(() => freezeUpTo(m, 'nope')).toThrow(/freezeUpTo: no layer named 'nope'/);
    expect(() => unfreezeFrom(m, -1)).toThrow(/unfreezeFrom: 'layerNameOrIndex'/);
    m.dispose();
  });
});

describe('registry', () => {
  it('lists, describes and builds models by name', async () => {
    const names = listModels();
    for (const n of [
      'VGG16',
      'ResNet50',
      'DenseNet169',
      'InceptionV3',
      'ResDenseFusion',
      'PneumoniaCNN',
      'VGG16Transfer',
      'EmbeddingNet',
    ]) {
      expect(names).toContain(n);
    }
    expect(isModelName('ResNet50')).toBe(true);
    expect(isModelName('ResNet9000')).toBe(false);
    expect(describeModel('VGG16')).toMatch(/Keras applications exact/);
    const m = buildModel('ResNet18', { inputShape: [32, 32, 1], classes: 2, zeroInit: true });
    expect(m.outputs[0].shape).toEqual([null, 2]);
    m.dispose();
    const p = await buildModelAsync('PneumoniaCNN', { inputShape: [32, 32, 1], zeroInit: true });
    expect(p.outputs[0].shape).toEqual([null, 1]);
    p.dispose();
    expect(() => buildModel('Nope' as 'VGG16')).toThrow(/unknown model 'Nope'/);
    expect(() => buildModel('VGG16', { weights: 'x.json' })).toThrow(/buildModelAsync/);
  });

  it('builder weights given as tensors load synchronously', () => {
    const a = ResNet({
      blocks: [1, 1, 1, 1],
      block: 'bottleneck',
      filters: 4,
      inputShape: [32, 32, 1],
      seed: 3,
    });
    const map: tf.NamedTensorMap = {};
    for (const w of a.weights) map[w.originalName] = w.read();
    const b = ResNet({
      blocks: [1, 1, 1, 1],
      block: 'bottleneck',
      filters: 4,
      inputShape: [32, 32, 1],
      weights: map,
    });
    expect(weightReport(b)?.missing).toEqual([]);
    const x = fixedBatch(1, 32, 32, 1);
    const ya = predict(a, x);
    const yb = predict(b, x);
    expect(maxAbsDiff(ya, yb)).toBe(0);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });
});
