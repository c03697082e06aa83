// A real Keras model no one here wrote: nsfwjs (MIT, a devDependency) ships Keras-exported
// InceptionV3 in the TF.js layers format as UMD .js files (topology + base64 shards,
// uint8-quantised, Keras 2.2 names from `conv2d_1`). Rebuilt here as a model.json directory,
// loaded into medinets' InceptionV3 by loadWeights given only the directory, the trunk's
// `mixed10` map equals the original model's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InceptionV3 } from '../../src/models';
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
});
