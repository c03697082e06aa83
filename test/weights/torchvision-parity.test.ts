// Full-depth parity with torchvision: seeded random models with randomised batch-norm
// statistics, saved by torch.save (test/fixtures/weights/make_torchvision_full.py, run here when
// its output is missing), load through loadWeights and give torchvision's eval-mode logits.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DenseNet121, ResNet18, ResNet50, VGG16 } from '../../src/models';
import { loadWeights } from '../../src/weights/load';
import { ensureTorchFixtures, GENERATED, relativeError, torchCase } from './helpers';
import { join } from 'node:path';

type Builder = (o: {
  variant: 'torchvision';
  inputShape: [number, number, number];
  classes: number;
  classifierActivation: 'linear';
  zeroInit: true;
}) => tfl.LayersModel;

const VGG16BN: Builder = (o) => VGG16({ ...o, batchNorm: true });

const CASES: { arch: string; file: string; build: Builder; map: string }[] = [
  { arch: 'resnet50', file: 'resnet50.pth', build: ResNet50 as Builder, map: 'torchvision/timm resnet' },
  {
    arch: 'densenet121',
    file: 'densenet121.pth',
    build: DenseNet121 as Builder,
    map: 'torchvision/timm densenet',
  },
  {
    arch: 'densenet121_legacy',
    file: 'densenet121_legacy.pth',
    build: DenseNet121 as Builder,
    map: 'torchvision/timm densenet',
  },
  { arch: 'vgg16_bn', file: 'vgg16_bn.pth', build: VGG16BN, map: 'torchvision vgg' },
  {
    arch: 'timm_resnet',
    file: 'timm_resnet.safetensors',
    build: ResNet18 as Builder,
    map: 'torchvision/timm resnet',
  },
  {
    arch: 'timm_densenet',
    file: 'timm_densenet.safetensors',
    build: DenseNet121 as Builder,
    map: 'torchvision/timm densenet',
  },
];

describe('loadWeights: torchvision / timm parity at full depth', () => {
  beforeAll(() => {
    ensureTorchFixtures(['resnet50', 'densenet121', 'densenet121_legacy', 'vgg16_bn']);
    ensureTorchFixtures(['timm_resnet', 'timm_densenet'], '.safetensors');
  }, 600_000);

  for (const c of CASES) {
    it(`${c.file}: logits within 1e-4 relative`, async () => {
      const { size, input, logits } = torchCase(c.arch);
      const model = c.build({
        variant: 'torchvision',
        inputShape: [size, size, 3],
        classes: 10,
        classifierActivation: 'linear',
        zeroInit: true,
      });
      const report = await loadWeights(model, join(GENERATED, c.file));
      expect(report.map).toBe(c.map);
      expect(report.missing).toEqual([]);
      expect(report.mismatched).toEqual([]);
      expect(report.unexpected.every((k) => k.endsWith('num_batches_tracked'))).toBe(true);
      const y = model.predict(input) as tf.Tensor;
      const err = relativeError(y, logits);
      console.log(`${c.arch}: max relative logit error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
      // The two rows differ by far more than the tolerance.
      expect(
        relativeError(tf.slice(logits, [0, 0], [1, -1]), tf.slice(logits, [1, 0], [1, -1])),
      ).toBeGreaterThan(1e-2);
      tf.dispose([y, input, logits]);
      model.dispose();
    });
  }
});
