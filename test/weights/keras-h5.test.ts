// Keras HDF5 files laid out as Keras' save_weights and model.save write them (made by
// test/fixtures/weights/make_keras_h5.py with h5py from each builder's own layer list, at a
// reduced input size): loadWeights gives every weight the value the file holds for its name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DenseNet121, InceptionResNetV2, InceptionV3, MobileNetV2, ResNet50, VGG16 } from '../../src/models';
import { loadWeights } from '../../src/weights/load';
import { FIXTURES, PYTHON } from './helpers';

const BUILDERS: [string, () => tfl.LayersModel][] = [
  ['VGG16', () => VGG16({ inputShape: [32, 32, 3], classes: 5, zeroInit: true })],
  ['ResNet50', () => ResNet50({ inputShape: [32, 32, 3], classes: 5, zeroInit: true })],
  ['DenseNet121', () => DenseNet121({ inputShape: [32, 32, 3], classes: 5, zeroInit: true })],
  ['InceptionV3', () => InceptionV3({ inputShape: [75, 75, 3], classes: 5, zeroInit: true })],
  ['MobileNetV2', () => MobileNetV2({ inputShape: [32, 32, 3], classes: 5, zeroInit: true })],
  [
    'MobileNetV2 alpha 0.35',
    () => MobileNetV2({ inputShape: [32, 32, 3], alpha: 0.35, classes: 5, zeroInit: true }),
  ],
  // 54M weights whatever the input size: the files (~220 MB each) are written at test time.
  ['InceptionResNetV2', () => InceptionResNetV2({ inputShape: [75, 75, 3], classes: 5, zeroInit: true })],
];

const short = (n: string): string => n.slice(n.lastIndexOf('/') + 1);

describe('Keras HDF5 layouts', () => {
  for (const [name, build] of BUILDERS) {
    it(`${name}: save_weights and model.save files load every weight by name`, async () => {
      const model = build();
      const layers = model.layers
        .filter((l) => l.weights.length > 0)
        .map((l) => ({ name: l.name, weights: l.weights.map((w) => [short(w.originalName), w.shape]) }));
      const dir = mkdtempSync(join(tmpdir(), `keras-h5-${name.replace(/\W+/g, '-')}-`));
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ layers }));
      execFileSync(PYTHON, [join(FIXTURES, 'make_keras_h5.py'), join(dir, 'spec.json'), join(dir, 'w')]);
      const raw = new Float32Array(new Uint8Array(readFileSync(join(dir, 'w.bin'))).slice().buffer);
      for (const file of ['w.h5', 'w_model.h5']) {
        const m = build();
        const report = await loadWeights(m, join(dir, file), { strict: 'all' });
        expect(report.format).toBe('keras-h5');
        expect(report.map).toBe('keras');
        let at = 0;
        for (const l of layers) {
          for (const [w, shape] of l.weights as [string, number[]][]) {
            const size = shape.reduce((a, b) => a * b, 1);
            const got = m
              .getLayer(l.name)
              .weights.find((v) => short(v.originalName) === w)
              ?.read()
              .dataSync();
            expect(
              Buffer.from((got as Float32Array).buffer, (got as Float32Array).byteOffset, size * 4).equals(
                Buffer.from(raw.buffer, at * 4, size * 4),
              ),
              `${l.name}/${w}`,
            ).toBe(true);
            at += size;
          }
        }
        m.dispose();
      }
      model.dispose();
      // The files run to hundreds of MB (every run would leave them behind otherwise).
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
