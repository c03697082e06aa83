// Files written by Keras itself (keras 3.15 on TensorFlow 2.21; test/fixtures/weights/
// make_keras_real.py, committed because Debian does not package TensorFlow): a DenseNet's
// save_weights file, in Keras 3's names (`conv1_conv` for Keras 2's `conv1/conv`), and a
// MobileNetV2 model.save file. Each loads into the medinets builder with strict: 'all' and
// gives Keras' own output for the same input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { DenseNet, MobileNetV2 } from '../../src/models';
import { loadWeights } from '../../src/weights/load';
import { FIXTURES } from './helpers';

const DIR = join(FIXTURES, 'keras-real');

const f32 = (file: string): Float32Array =>
  new Float32Array(new Uint8Array(readFileSync(join(DIR, file))).buffer);

const CASES: [string, string, () => tfl.LayersModel, string][] = [
  [
    'densenet_1111',
    'weights',
    () =>
      DenseNet({ blocks: [1, 1, 1, 1], inputShape: [32, 32, 3], classes: 5, classifierActivation: 'linear' }),
    'keras 3 names',
  ],
  [
    'mobilenetv2_035',
    'model',
    () => MobileNetV2({ alpha: 0.35, inputShape: [32, 32, 3], classes: 5, classifierActivation: 'linear' }),
    'keras',
  ],
];

describe('Keras-written HDF5 files', () => {
  for (const [name, layout, build, map] of CASES) {
    it(`${name} (${layout} layout): every weight loads and the output is Keras'`, async () => {
      const meta = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as {
        input: number[];
        params: number;
      };
      const model = build();
      expect(model.countParams()).toBe(meta.params);
      const bytes = gunzipSync(readFileSync(join(DIR, `${name}_${layout}.h5.gz`)));
      const before = tf.memory().numTensors;
      const report = await loadWeights(model, new Uint8Array(bytes), { strict: 'all' });
      expect(tf.memory().numTensors).toBe(before);
      expect(report.map).toBe(map);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.matched.length).toBe(model.weights.length);
      const want = f32(`${name}_y.bin`);
      const got = tf.tidy(() => {
        const x = tf.tensor(f32(`${name}_x.bin`), meta.input);
        return (model.predict(x) as tf.Tensor).dataSync();
      });
      let err = 0;
      let mag = 0;
      want.forEach((w, i) => {
        err = Math.max(err, Math.abs(got[i] - w));
        mag = Math.max(mag, Math.abs(w));
      });
      expect(mag).toBeGreaterThan(0.1); // a real output, not a zero
      expect(err / mag).toBeLessThan(1e-5);
      model.dispose();
    }, 60_000);
  }
});
