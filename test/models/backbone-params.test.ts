// Parameter counts of the classic backbones against Keras applications (with the top,
// 1000 classes, 224x224x3), built with zero kernels so the big ones build in well under a second.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  DenseNet121,
  DenseNet161,
  DenseNet169,
  DenseNet201,
  InceptionV3,
  ResNet101,
  ResNet152,
  ResNet18,
  ResNet34,
  ResNet50,
  VGG11,
  VGG13,
  VGG16,
  VGG19,
  type BackboneOptions,
  type ResNetOptions,
} from '../../src/models';

type Builder = (o: BackboneOptions & ResNetOptions) => tfl.LayersModel;

// Keras applications' published counts (keras.io/api/applications and model.summary()).
const KERAS: [string, Builder, number][] = [
  ['VGG16', VGG16 as Builder, 138_357_544],
  ['VGG19', VGG19 as Builder, 143_667_240],
  ['ResNet50', ResNet50 as Builder, 25_636_712],
  ['ResNet101', ResNet101 as Builder, 44_707_176],
  ['ResNet152', ResNet152 as Builder, 60_419_944],
  ['DenseNet121', DenseNet121 as Builder, 8_062_504],
  ['DenseNet169', DenseNet169 as Builder, 14_307_880],
  ['DenseNet201', DenseNet201 as Builder, 20_242_984],
  ['InceptionV3', InceptionV3 as Builder, 23_851_784],
];

// torchvision's counts (sum of p.numel() over parameters()), which leave out BN moving statistics.
const TORCHVISION: [string, Builder, number, ResNetOptions][] = [
  ['VGG11', VGG11 as Builder, 132_863_336, {}],
  ['VGG13', VGG13 as Builder, 133_047_848, {}],
  ['ResNet18', ResNet18 as Builder, 11_689_512, { variant: 'torchvision' }],
  ['ResNet34', ResNet34 as Builder, 21_797_672, { variant: 'torchvision' }],
  ['ResNet50', ResNet50 as Builder, 25_557_032, { variant: 'torchvision' }],
  ['DenseNet161', DenseNet161 as Builder, 28_681_000, { variant: 'torchvision' }],
];

function bnMovingStats(model: tfl.LayersModel): number {
  return model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .reduce((a, l) => a + 2 * (l.getWeights()[0]?.shape[0] ?? 0), 0);
}

describe('Keras applications parameter counts', () => {
  for (const [name, build, count] of KERAS) {
    it(`${name} has ${count.toLocaleString('en')} parameters`, () => {
      const before = tf.memory().numTensors;
      const model = build({
        zeroInit: true,
        inputShape: name === 'InceptionV3' ? [299, 299, 3] : [224, 224, 3],
      });
      expect(model.countParams()).toBe(count);
      expect(model.outputs[0].shape).toEqual([null, 1000]);
      expect(model.getLayer('predictions').getClassName()).toBe('Dense');
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('torchvision parameter counts', () => {
  for (const [name, build, count, opts] of TORCHVISION) {
    it(`${name} matches torchvision's ${count.toLocaleString('en')} plus BN moving statistics`, () => {
      const model = build({ zeroInit: true, ...opts });
      expect(model.countParams() - bnMovingStats(model)).toBe(count);
      model.dispose();
    });
  }
});

describe('Keras layer names', () => {
  it('uses the names Keras weights are stored under', () => {
    const r = ResNet50({ zeroInit: true, inputShape: [32, 32, 3] });
    for (const n of [
      'conv1_pad',
      'conv1_conv',
      'conv1_bn',
      'pool1_pool',
      'conv2_block1_0_conv',
      'conv2_block1_1_conv',
      'conv5_block3_out',
      'avg_pool',
      'predictions',
    ]) {
      expect(() => r.getLayer(n)).not.toThrow();
    }
    const d = DenseNet121({ zeroInit: true, inputShape: [32, 32, 3] });
    for (const n of [
      'conv1/conv',
      'conv1/bn',
      'pool1',
      'conv2_block1_0_bn',
      'conv2_block6_concat',
      'pool2_conv',
      'pool4_pool',
      'conv5_block16_2_conv',
      'bn',
      'relu',
    ]) {
      expect(() => d.getLayer(n)).not.toThrow();
    }
    const v = VGG16({ zeroInit: true, inputShape: [32, 32, 3] });
    expect(v.layers.map((l) => l.name).slice(1, 4)).toEqual(['block1_conv1', 'block1_conv2', 'block1_pool']);
    const i = InceptionV3({ zeroInit: true, inputShape: [75, 75, 3] });
    const convs = i.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.name);
    expect(convs.length).toBe(94);
    expect(convs[0]).toBe('conv2d');
    expect(convs[93]).toBe('conv2d_93');
    expect(() => i.getLayer('mixed9_1')).not.toThrow();
    for (const m of [r, d, v, i]) m.dispose();
  });
});
