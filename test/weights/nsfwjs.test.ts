// A real Keras model no one here wrote: nsfwjs (MIT, a devDependency) ships Keras-exported
// InceptionV3 and MobileNetV2 (alpha 1.0, 224x224x3) in the TF.js layers format as UMD .js files (topology + base64 shards,
// uint8-quantised; InceptionV3 with Keras 2.2 auto-names from `conv2d_1`, MobileNetV2 with
// keras.applications' explicit names). Rebuilt here as a model.json directory, loaded into
// medinets' builder by loadWeights given only the directory, the trunk's `mixed10` /
// `out_relu` map equals the original model's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InceptionV3, MobileNetV2 } from '../../src/models';
import { loadWeights } from '../../src/weights/load';
import { relativeError } from './helpers';

const require = createRequire(import.meta.url);

/** Writes nsfwjs' bundled model `name` as model.json + .bin shards; returns the directory. */
function rebuild(name: string): string {
  // nsfwjs' exports map hides package.json; its main entry is dist/cjs/index.js.
  const src = join(dirname(require.resolve('nsfwjs')), '..', 'models', name);
  const json = require(join(src, 'model.min.js')) as { weightsManifest: { paths: string[] }[] };
  const dir = mkdtempSync(join(tmpdir(), `nsfwjs-${name}-`));
  for (const group of json.weightsManifest) {
    group.paths = group.paths.map((p) => {
      const b64 = require(join(src, `${p}.min.js`)) as string;
      writeFileSync(join(dir, `${p}.bin`), Buffer.from(b64, 'base64'));
      return `${p}.bin`;
    });
  }
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

describe('nsfwjs: real Keras-exported weights', () => {
  it('InceptionV3: mixed10 of medinets equals the original to 1e-5', async () => {
    const dir = rebuild('inception_v3');
    const original = await tfl.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const trunk = tfl.model({ inputs: original.inputs, outputs: original.getLayer('mixed10').output });
    const ours = InceptionV3({ includeTop: false, inputShape: [299, 299, 3], zeroInit: true });
    const report = await loadWeights(ours, dir);
    expect(report.map).toBe('keras 2.2 auto-names');
    expect(report.missing).toEqual([]);
    expect(report.mismatched).toEqual([]);
    expect(report.unexpected.every((k) => /^dense_\d\//.test(k))).toBe(true);
    const x = tf.randomUniform([2, 299, 299, 3], -1, 1, 'float32', 7);
    const want = trunk.predict(x) as tf.Tensor;
    const got = ours.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([2, 8, 8, 2048]);
    const err = relativeError(got, want);
    console.log(`nsfwjs InceptionV3 mixed10: max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    tf.dispose([x, want, got]);
  });

  it('MobileNetV2: out_relu of medinets equals the original to 1e-5', async () => {
    const dir = rebuild('mobilenet_v2');
    const original = await tfl.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const trunk = tfl.model({ inputs: original.inputs, outputs: original.getLayer('out_relu').output });
    const ours = MobileNetV2({ includeTop: false, inputShape: [224, 224, 3], zeroInit: true });
    const report = await loadWeights(ours, dir);
    // Keras names MobileNetV2's layers itself, so the names match as they are.
    expect(report.map).toBe('keras');
    expect(report.missing).toEqual([]);
    expect(report.mismatched).toEqual([]);
    // nsfwjs' own head (dense_1..dense_3) is all that is left over.
    expect(report.unexpected.length).toBeGreaterThan(0);
    expect(report.unexpected.every((k) => /^dense_\d\//.test(k))).toBe(true);
    expect(report.matched.length).toBe(ours.weights.length);
    const x = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 11);
    const want = trunk.predict(x) as tf.Tensor;
    const got = ours.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([2, 7, 7, 1280]);
    const err = relativeError(got, want);
    console.log(`nsfwjs MobileNetV2 out_relu: max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    // The rows differ by far more than the tolerance, so the comparison is not vacuous.
    const rows = tf.tidy(
      () => tf.max(tf.abs(tf.sub(tf.slice(got, 0, 1), tf.slice(got, 1, 1)))).dataSync()[0],
    );
    expect(rows).toBeGreaterThan(1e-2);
    tf.dispose([x, want, got]);
  });
});
