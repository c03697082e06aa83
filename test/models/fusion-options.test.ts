// ResDenseFusion's trunk-layout options (reduced fusions for quick runs) and setBatchNormMomentum.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  DENSENET_PREFIX,
  DenseNet,
  RESNET_PREFIX,
  ResDenseFusion,
  DenseNet121,
  ResNet,
  ResNet101,
  fusionTrunks,
  setBatchNormMomentum,
} from '../../src/models';

const small = {
  resnetBlocks: [1, 1, 1, 1],
  resnetBlock: 'basic' as const,
  resnetFilters: 4,
  densenetBlocks: [1, 2, 1],
  growthRate: 4,
};

describe('ResDenseFusion trunk options', () => {
  it('builds the two trunks of the given layouts and the same head', () => {
    const before = tf.memory().numTensors;
    const m = ResDenseFusion({ inputShape: [32, 32, 1], classes: 2, seed: 1, ...small });
    const res = ResNet({
      inputShape: [32, 32, 1],
      blocks: [1, 1, 1, 1],
      block: 'basic',
      filters: 4,
      includeTop: false,
      zeroInit: true,
    });
    const dense = DenseNet({
      inputShape: [32, 32, 1],
      blocks: [1, 2, 1],
      growthRate: 4,
      includeTop: false,
      zeroInit: true,
    });
    const resC = res.outputs[0]?.shape[3] as number;
    const denseC = dense.outputs[0]?.shape[3] as number;
    expect(resC).toBe(32); // basic units: 8 x filters
    expect(m.countParams()).toBe(
      res.countParams() + dense.countParams() + (resC * denseC + denseC) + (denseC * 2 + 2),
    );
    expect(m.getLayer('projection').outputShape).toEqual([null, 1, 1, denseC]);
    expect(m.getLayer(`${RESNET_PREFIX}conv5_block1_out`).getClassName()).toBe('Activation');
    expect(() => m.getLayer(`${RESNET_PREFIX}conv5_block2_out`)).toThrow();
    expect(m.getLayer(`${DENSENET_PREFIX}conv3_block2_concat`).getClassName()).toBe('Concatenate');
    const t = fusionTrunks(m);
    expect(t.head.map((l) => l.name)).toEqual(['projection', 'fusion_add', 'avg_pool', 'predictions']);
    const shape = tf.tidy(() => (m.predict(tf.zeros([2, 32, 32, 1])) as tf.Tensor).shape);
    expect(shape).toEqual([2, 2]);
    for (const x of [m, res, dense]) x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("lists each trunk in its standalone Keras backbone's layer order (for 'the first 100 layers')", () => {
    // The document's layout: trunks ResNet101 + DenseNet121, each compared with the backbone
    // built alone, whose model.layers is ordered as Keras orders ResNet101().layers.
    const m = ResDenseFusion({ inputShape: [32, 32, 3], classes: 2, zeroInit: true, preprocess: true });
    const res = ResNet101({ inputShape: [32, 32, 3], includeTop: false, zeroInit: true });
    const dense = DenseNet121({ inputShape: [32, 32, 3], includeTop: false, zeroInit: true });
    const t = fusionTrunks(m);
    const names = (ls: tfl.layers.Layer[], prefix = ''): string[] =>
      ls.map((l) => l.name.slice(prefix.length));
    // Keras: ResNet101(include_top=False) has 345 layers, DenseNet121 427, input included.
    expect(res.layers.length).toBe(345);
    expect(dense.layers.length).toBe(427);
    expect(names(t.resnet, RESNET_PREFIX)).toEqual(names(res.layers.slice(1)));
    expect(names(t.densenet, DENSENET_PREFIX)).toEqual(names(dense.layers.slice(1)));
    // Keras' layers[:100] includes the input layer: 99 of the trunk's own layers.
    expect(t.resnet[98]?.name).toBe(`${RESNET_PREFIX}${res.layers[99]?.name}`);
    expect(t.head.map((l) => l.name).sort()).toEqual(
      [
        'avg_pool',
        'fusion_add',
        'predictions',
        'preprocess_densenet',
        'preprocess_resnet',
        'projection',
      ].sort(),
    );
    expect(m.getLayer(`${RESNET_PREFIX}conv1_pad`).inboundNodes[0]?.inboundLayers[0]?.name).toBe(
      'preprocess_resnet',
    );
    expect(() => ResDenseFusion({ inputShape: [32, 32, 1], preprocess: true })).toThrow(
      /'preprocess' needs RGB/,
    );
    for (const x of [m, res, dense]) x.dispose();
  });

  it('rejects bad layouts, naming the option', () => {
    expect(() => ResDenseFusion({ inputShape: [32, 32, 1], resnetBlocks: [1, 1, 1] })).toThrow(
      /'resnetBlocks'/,
    );
    expect(() => ResDenseFusion({ inputShape: [32, 32, 1], densenetBlocks: [] })).toThrow(/'densenetBlocks'/);
    expect(() => ResDenseFusion({ inputShape: [32, 32, 1], growthRate: 0 })).toThrow(/'growthRate'/);
    expect(() => ResDenseFusion({ inputShape: [32, 32, 1], resnetFilters: 2.5 })).toThrow(/'resnetFilters'/);
    expect(() =>
      ResDenseFusion({ inputShape: [32, 32, 1], resnetBlock: 'wide' as unknown as 'basic' }),
    ).toThrow(/'resnetBlock'/);
  });
});

describe('setBatchNormMomentum', () => {
  it('sets every BN layer, survives getConfig, and sets the moving-average rate of training', async () => {
    const before = tf.memory().numTensors;
    const input = tfl.input({ shape: [3] });
    const bn = tfl.layers.batchNormalization({ name: 'bn' });
    const out = bn.apply(input) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    expect(setBatchNormMomentum(m, 0.9)).toBe(1);
    expect(bn.getConfig().momentum).toBe(0.9);
    m.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const x = tf.tensor2d([
      [1, 2, 3],
      [3, 6, 9],
    ]);
    const target = tf.zerosLike(x);
    await m.fit(x, target, { epochs: 1, batchSize: 2, verbose: 0, shuffle: false });
    // moving_mean = 0.9 * 0 + 0.1 * batch mean [2, 4, 6].
    const mean = bn.getWeights()[2] as tf.Tensor;
    const got = Array.from(mean.dataSync());
    [0.2, 0.4, 0.6].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(() => setBatchNormMomentum(m, 1.5)).toThrow(/'momentum'/);
    m.optimizer.dispose();
    m.dispose();
    tf.dispose([x, target]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
