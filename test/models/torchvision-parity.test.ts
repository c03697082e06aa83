// torchvision parity: torch.save checkpoints of randomly initialised, narrowed torchvision
// models (test/fixtures/models/make_torchvision_parity.py), given as the builders' `weights`
// (variant 'torchvision', read by loadWeights), give the same eval-mode logits to 1e-4.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { DenseNet, ResNet, loadedWeightsReport, type ImageShape } from '../../src/models';
import { maxAbsDiff } from './backbone-helpers';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models');

interface Case {
  name: string;
  file: string;
  inputShape: ImageShape;
  classes: number;
  logits: number[];
  block: 'basic' | 'bottleneck' | 'dense';
  blocks: number[];
  filters?: number;
  growthRate?: number;
}

const fixture = JSON.parse(readFileSync(join(FIXTURES, 'torchvision_parity.json'), 'utf8')) as {
  cases: Case[];
};

function input(shape: ImageShape): tf.Tensor4D {
  const [h, w, c] = shape;
  const data = new Float32Array(2 * h * w * c).map((_, k) => Math.sin(k * 0.7));
  return tf.tensor4d(data, [2, h, w, c]);
}

describe('torchvision parity', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: identical logits to 1e-4`, async () => {
      const before = tf.memory().numTensors;
      const common = {
        inputShape: c.inputShape,
        classes: c.classes,
        classifierActivation: 'linear' as const,
        variant: 'torchvision' as const,
        weights: join(FIXTURES, c.file),
      };
      const model =
        c.block === 'dense'
          ? await DenseNet({ ...common, blocks: c.blocks, growthRate: c.growthRate })
          : await ResNet({ ...common, blocks: c.blocks, block: c.block, filters: c.filters });
      const report = loadedWeightsReport(model);
      expect(report?.format).toBe('torch');
      expect(report?.missing).toEqual([]);
      expect(report?.unexpected.filter((k) => !k.endsWith('num_batches_tracked'))).toEqual([]);
      expect(report?.mismatched).toEqual([]);
      expect(report?.matched.length).toBe(model.weights.length);
      const x = input(c.inputShape);
      const y = model.predict(x) as tf.Tensor;
      const want = tf.tensor2d(c.logits, [2, c.classes]);
      expect(y.shape).toEqual([2, c.classes]);
      expect(maxAbsDiff(y, want)).toBeLessThan(1e-4);
      tf.dispose([x, y, want]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the keras variant (stride on the 1x1, TF padding) does not match, so the test has teeth', async () => {
    const c = fixture.cases.find((k) => k.block === 'bottleneck') as Case;
    const model = await ResNet({
      inputShape: c.inputShape,
      classes: c.classes,
      classifierActivation: 'linear',
      blocks: c.blocks,
      block: 'bottleneck',
      filters: c.filters,
      variant: 'keras',
      weights: join(FIXTURES, c.file),
    });
    // Keras-variant convolutions have biases the torchvision file lacks (they stay zero).
    expect(loadedWeightsReport(model)?.missing).toContain('conv1_conv/bias');
    const x = input(c.inputShape);
    const y = model.predict(x) as tf.Tensor;
    const want = tf.tensor2d(c.logits, [2, c.classes]);
    expect(maxAbsDiff(y, want)).toBeGreaterThan(1e-3);
    tf.dispose([x, y, want]);
    model.dispose();
  });
});
