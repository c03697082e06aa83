// One option vocabulary for every builder, and the previous release's names still working.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type BackboneOptions,
  type BuilderOptions,
  type ThesisHead,
  type ThesisModelOptions,
  type TopActivation,
  DResUNet,
  EmbeddingClassifier,
  EmbeddingNet,
  PneumoniaCNN,
  ResDenseFusion,
  ResNet18,
  SimpleCNN,
  SmallVGG,
  ThesisVGG,
  UNet,
  buildModel,
  describeModel,
  listModels,
} from '../../src/models';
import { applyLayer, apply } from '../../src/blocks';

const weightsOf = (m: tfl.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('one option vocabulary', () => {
  it('every builder takes name, seed, includeTop, pooling, classes and classifierActivation', () => {
    const common: BuilderOptions = { seed: 5, name: 'mine', classes: 1 };
    const builders: [string, (o: BuilderOptions) => tfl.LayersModel][] = [
      ['SimpleCNN', (o) => SimpleCNN({ ...o, inputShape: [16, 16, 1], filters: 2 })],
      ['SmallVGG', (o) => SmallVGG({ ...o, inputShape: [16, 16, 1], filters: 2, hiddenUnits: 4 })],
      ['UNet', (o) => UNet({ ...o, inputShape: [16, 16, 1], filters: 2 })],
      ['DResUNet', (o) => DResUNet({ ...o, inputShape: [16, 16, 1], filters: 2, hiddenUnits: 4 })],
      ['ResNet18', (o) => ResNet18({ ...o, inputShape: [32, 32, 1], filters: 2 })],
      ['PneumoniaCNN', (o) => PneumoniaCNN({ ...o, inputShape: [32, 32, 1] })],
      [
        'ResDenseFusion',
        (o) =>
          ResDenseFusion({
            ...o,
            inputShape: [32, 32, 1],
            resnetBlocks: [1, 1, 1, 1],
            resnetBlock: 'basic',
            resnetFilters: 2,
            densenetBlocks: [1, 1],
            growthRate: 2,
          }),
      ],
    ];
    for (const [label, build] of builders) {
      const m = build(common);
      expect([label, m.name]).toEqual([label, 'mine']);
      // One class defaults to a sigmoid everywhere.
      expect([label, m.outputs[0].shape]).toEqual([label, [null, 1]]);
      const last = m.layers[m.layers.length - 1].getConfig().activation;
      expect([label, last]).toEqual([label, 'sigmoid']);
      const again = build(common);
      expect(weightsOf(again)).toEqual(weightsOf(m));
      const features = build({ includeTop: false, pooling: 'max' });
      expect([label, features.outputs[0].shape.length]).toEqual([label, 2]);
      expect(features.layers[features.layers.length - 1].getClassName()).toBe('GlobalMaxPooling2D');
      const map = build({ includeTop: false });
      expect([label, map.outputs[0].shape.length]).toEqual([label, 4]);
      [m, again, features, map].forEach((x) => x.dispose());
      expect(() => build({ classes: 0 })).toThrow(new RegExp(`'classes'`));
      expect(() => build({ seed: Number.NaN })).toThrow(/'seed'/);
      expect(() => build({ pooling: 'sum' as 'avg' })).toThrow(/'pooling'/);
    }
  });

  it('buildModel keeps accepting inputShape, classes, filters, seed, head and classifierActivation', () => {
    const seg = buildModel('ResUNet', {
      inputShape: [16, 16, 1],
      classes: 3,
      filters: 2,
      seed: 1,
      head: 'segment',
      classifierActivation: 'linear',
    });
    expect(seg.outputs[0].shape).toEqual([null, 16, 16, 3]);
    expect(seg.getLayer('predictions').getConfig().activation).toBe('linear');
    seg.dispose();
  });
});

describe('explicit barrels', () => {
  it("keep the builders' internals private", async () => {
    const models = Object.keys(await import('../../src/models'));
    const blocks = Object.keys(await import('../../src/blocks'));
    for (const internal of [
      'buildResidualUNet',
      'layerSeed',
      'resolveOptions',
      'buildWith',
      'MODEL_REGISTRY',
    ]) {
      expect(models).not.toContain(internal);
    }
    for (const internal of ['withKernelInit', 'kernelInit', 'hwc']) expect(blocks).not.toContain(internal);
    expect(models).toEqual(expect.arrayContaining(['DResUNet', 'SmallVGG', 'buildModel', 'ThesisVGG']));
    expect(blocks).toEqual(expect.arrayContaining(['KernelInit', 'convBnAct', 'apply', 'applyLayer']));
  });
});

describe('deprecated names (kept one release)', () => {
  it('ThesisVGG is SmallVGG under its old name, with pooling as the top reduction', () => {
    const old = ThesisVGG({ inputShape: [20, 20, 1], filters: 2, hiddenUnits: 4, seed: 3, pooling: 'avg' });
    const now = SmallVGG({ inputShape: [20, 20, 1], filters: 2, hiddenUnits: 4, seed: 3, topPooling: 'avg' });
    expect(old.name).toBe('ThesisVGG');
    expect(old.layers.map((l) => l.name)).toEqual(now.layers.map((l) => l.name));
    expect(old.getLayer('gap').getClassName()).toBe('GlobalAveragePooling2D');
    expect(weightsOf(old)).toEqual(weightsOf(now));
    expect(() => ThesisVGG({ pooling: 'max' as 'avg' })).toThrow(/ThesisVGG: 'pooling'/);
    const byName = buildModel('ThesisVGG', { inputShape: [16, 16, 1], filters: 2, classes: 3 });
    expect([byName.name, byName.outputs[0].shape]).toEqual(['ThesisVGG', [null, 3]]);
    expect(listModels()).toEqual(expect.arrayContaining(['ThesisVGG', 'SmallVGG']));
    expect(describeModel('ThesisVGG')).toMatch(/Deprecated/);
    [old, now, byName].forEach((m) => m.dispose());
  });

  it('the old option types and applyLayer still work', () => {
    const act: TopActivation = 'sigmoid';
    const head: ThesisHead = 'segment';
    const thesis: ThesisModelOptions = { inputShape: [16, 16, 1], filters: 2, classifierActivation: act };
    const backbone: BackboneOptions = { inputShape: [32, 32, 1], filters: 2 } as BackboneOptions;
    const u = UNet({ ...thesis, head });
    expect(u.getLayer('predictions').getConfig().activation).toBe('sigmoid');
    const r = ResNet18({ ...backbone, includeTop: false });
    expect(r.outputs[0].shape).toEqual([null, 1, 1, 16]);
    expect(applyLayer).toBe(apply);
    const x = tfl.input({ shape: [3] });
    expect(applyLayer(tfl.layers.dense({ units: 2 }), x).shape).toEqual([null, 2]);
    [u, r].forEach((m) => m.dispose());
  });

  it("EmbeddingClassifier still takes 'activation' for 'classifierActivation'", () => {
    const input = tfl.input({ shape: [4] });
    const backbone = tfl.model({ inputs: input, outputs: apply(tfl.layers.dense({ units: 3 }), input) });
    const embed = EmbeddingNet({ backbone, hiddenUnits: [4, 4], embeddingDim: 2 });
    const clf = EmbeddingClassifier(embed, { classes: 3, activation: 'linear' });
    expect(clf.getLayer('classifier').getConfig().activation).toBe('linear');
    const y = clf.predict(tf.ones([1, 4])) as tf.Tensor;
    expect(y.shape).toEqual([1, 3]);
    y.dispose();
    clf.dispose();
  });
});
