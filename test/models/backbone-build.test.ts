// Every classic builder builds at its smallest legal input and at a 1-channel 128x128 medical
// size, with and without the top; invalid options fail with errors naming the option.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  DenseNet121,
  DenseNet161,
  DenseNet169,
  DenseNet201,
  EmbeddingNet,
  InceptionV3,
  PneumoniaCNN,
  ResDenseFusion,
  ResNet101,
  ResNet152,
  ResNet18,
  ResNet34,
  ResNet50,
  VGG11,
  VGG13,
  VGG16,
  VGG16Transfer,
  VGG19,
  type ImageShape,
} from '../../src/models';

type AnyBuilder = (o: {
  inputShape: ImageShape;
  zeroInit: boolean;
  includeTop?: boolean;
  pooling?: 'avg' | 'max';
  classes?: number;
}) => tfl.LayersModel;
const b = (f: unknown): AnyBuilder => f as AnyBuilder;

// [name, builder, smallest side, channels of the last feature map (no top, no pooling)]
const BACKBONES: [string, AnyBuilder, number, number][] = [
  ['VGG11', b(VGG11), 32, 512],
  ['VGG13', b(VGG13), 32, 512],
  ['VGG16', b(VGG16), 32, 512],
  ['VGG19', b(VGG19), 32, 512],
  ['ResNet18', b(ResNet18), 32, 512],
  ['ResNet34', b(ResNet34), 32, 512],
  ['ResNet50', b(ResNet50), 32, 2048],
  ['ResNet101', b(ResNet101), 32, 2048],
  ['ResNet152', b(ResNet152), 32, 2048],
  ['DenseNet121', b(DenseNet121), 32, 1024],
  ['DenseNet161', b(DenseNet161), 32, 2208],
  ['DenseNet169', b(DenseNet169), 32, 1664],
  ['DenseNet201', b(DenseNet201), 32, 1920],
  ['InceptionV3', b(InceptionV3), 75, 2048],
];

// Non-square, odd-sized inputs with max pooling: one builder per family keeps the suite fast.
const POOLED = new Set(['VGG11', 'ResNet18', 'ResNet50', 'DenseNet121', 'InceptionV3']);

describe('classic backbones build at the smallest legal input and at 1-channel 128', () => {
  for (const [name, build, min, channels] of BACKBONES) {
    it(name, () => {
      const before = tf.memory().numTensors;
      const small = build({ inputShape: [min, min, 3], zeroInit: true, classes: 7 });
      expect(small.outputs[0].shape).toEqual([null, 7]);
      small.dispose();
      const ct = build({ inputShape: [128, 128, 1], zeroInit: true, includeTop: false });
      const [, h, w, c] = ct.outputs[0].shape;
      expect(c).toBe(channels);
      expect(h).toBeGreaterThanOrEqual(1);
      expect(h).toBe(w);
      ct.dispose();
      if (POOLED.has(name)) {
        const pooled = build({
          inputShape: [min + 1, min + 3, 1],
          zeroInit: true,
          includeTop: false,
          pooling: 'max',
        });
        expect(pooled.outputs[0].shape).toEqual([null, channels]);
        expect(pooled.getLayer('max_pool').getClassName()).toBe('GlobalMaxPooling2D');
        pooled.dispose();
      }
      expect(() => build({ inputShape: [min - 1, min, 1], zeroInit: true })).toThrow(
        /'inputShape'.*at least/,
      );
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the document models build at their smallest input and at 1-channel 128', () => {
    const before = tf.memory().numTensors;
    for (const shape of [
      [32, 32, 1],
      [128, 128, 1],
    ] as ImageShape[]) {
      const models = [
        PneumoniaCNN({ inputShape: shape, zeroInit: true }),
        VGG16Transfer({ inputShape: shape, zeroInit: true }),
        ResDenseFusion({ inputShape: shape, zeroInit: true, classes: 3 }),
        EmbeddingNet({ inputShape: shape, zeroInit: true, embeddingDim: 64 }),
      ];
      expect(models.map((m) => m.outputs[0].shape)).toEqual([
        [null, 1],
        [null, 1],
        [null, 3],
        [null, 64],
      ]);
      for (const m of models) m.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options naming them', () => {
    expect(() => ResNet18({ inputShape: [64, 64] as unknown as ImageShape })).toThrow(
      /ResNet18: 'inputShape'/,
    );
    expect(() => ResNet18({ pooling: 'sum' as 'avg', includeTop: false })).toThrow(/ResNet18: 'pooling'/);
    expect(() => DenseNet121({ classes: 0 })).toThrow(/DenseNet121: 'classes'/);
    expect(() => ResNet50({ variant: 'caffe' as 'keras' })).toThrow(/ResNet50: 'variant'/);
    expect(() => VGG16({ classifierActivation: 'relu' as 'softmax' })).toThrow(/'classifierActivation'/);
    expect(() => PneumoniaCNN({ dropout: 1 })).toThrow(/PneumoniaCNN: 'dropout'/);
    expect(() => EmbeddingNet({ backbone: 'VGG16' as 'DenseNet169' })).toThrow(/EmbeddingNet: 'backbone'/);
  });
});
