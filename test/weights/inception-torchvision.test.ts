// Full-depth parity of InceptionV3({ variant: 'torchvision' }) with torchvision's
// inception_v3: a seeded random model (transform_input on, randomised batch-norm statistics,
// aux head saved but unused in eval mode) written by torch.save
// (test/fixtures/weights/make_torchvision_full.py, run here when its output is missing), loaded
// through loadWeights at 107x107, gives torchvision's eval-mode logits.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { InceptionV3 } from '../../src/models';
import { loadWeights } from '../../src/weights/load';
import { ensureTorchFixtures, GENERATED, relativeError, torchCase } from './helpers';

describe('InceptionV3 torchvision variant', () => {
  beforeAll(() => ensureTorchFixtures(['inception_v3']), 600_000);

  it('inception_v3.pth: logits within 1e-4 relative; the aux head reported, not loaded', async () => {
    const { size, input, logits } = torchCase('inception_v3');
    expect(size).toBe(107);
    const model = InceptionV3({
      variant: 'torchvision',
      inputShape: [size, size, 3],
      classes: 10,
      classifierActivation: 'linear',
      zeroInit: true,
    });
    const report = await loadWeights(model, join(GENERATED, 'inception_v3.pth'));
    expect(report.map).toBe('torchvision inception_v3');
    expect(report.missing).toEqual([]);
    expect(report.mismatched).toEqual([]);
    expect(report.matched.length).toBe(model.weights.length);
    const unexpected = report.unexpected.filter((k) => !k.endsWith('num_batches_tracked'));
    expect(unexpected.length).toBeGreaterThan(0);
    expect(unexpected.every((k) => k.startsWith('AuxLogits.'))).toBe(true);
    const y = model.predict(input) as tf.Tensor;
    const err = relativeError(y, logits);
    console.log(`inception_v3 (torchvision): max relative logit error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    // The two rows differ by far more than the tolerance.
    expect(
      relativeError(tf.slice(logits, [0, 0], [1, -1]), tf.slice(logits, [1, 0], [1, -1])),
    ).toBeGreaterThan(1e-2);
    tf.dispose([y, input, logits]);
    model.dispose();
  });

  it("differs from Keras' only where torchvision does: BN scales, padded pools, transform_input", () => {
    const tv = InceptionV3({ variant: 'torchvision', zeroInit: true });
    const keras = InceptionV3({ zeroInit: true });
    const bnStats = (m: typeof tv): number =>
      m.layers
        .filter((l) => l.getClassName() === 'BatchNormalization')
        .reduce((a, l) => a + 2 * (l.getWeights()[0]?.shape[0] ?? 0), 0);
    // torchvision's sum(p.numel() for p in inception_v3(aux_logits=False).parameters()).
    expect(tv.countParams() - bnStats(tv)).toBe(23_834_568);
    expect(keras.countParams()).toBe(23_851_784);
    expect(tv.getLayer('batch_normalization_7').getConfig()).toMatchObject({ scale: true, epsilon: 1e-3 });
    expect(tv.getLayer('transform_input').getClassName()).toBe('ChannelAffine');
    expect(tv.getLayer('average_pooling2d').getConfig().padding).toBe('valid');
    expect(keras.getLayer('average_pooling2d').getConfig().padding).toBe('same');
    // Same weight names in both, so the torchvision name map is Keras' auto-names.
    const names = (m: typeof tv): string[] => m.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
    expect(names(tv)).toEqual(names(keras));
    tv.dispose();
    keras.dispose();
    expect(() => InceptionV3({ transformInput: true })).toThrow(/InceptionV3: 'transformInput'/);
    expect(() =>
      InceptionV3({ variant: 'torchvision', transformInput: true, inputShape: [75, 75, 1] }),
    ).toThrow(/InceptionV3: 'transformInput'/);
    expect(() => InceptionV3({ variant: 'pytorch' as 'keras' })).toThrow(/InceptionV3: 'variant'/);
    const grey = InceptionV3({ variant: 'torchvision', inputShape: [75, 75, 1], zeroInit: true });
    expect(grey.layers.map((l) => l.name)).not.toContain('transform_input');
    grey.dispose();
  });
});
