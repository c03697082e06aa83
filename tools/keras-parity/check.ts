/**
 * Every keras.applications builder against Keras itself, where TensorFlow + Keras can be
 * installed (Debian does not package them; CI reads the two small committed files of
 * test/weights/keras-real.test.ts instead). Usage:
 *
 *   python tools/keras-parity/make.py OUT VGG16,ResNet50,DenseNet121,... top|notop
 *   npx tsx tools/keras-parity/check.ts OUT
 *
 * make.py builds each model with Keras (weights=None, seeded, BN statistics drawn away from
 * 0/1), saves both legacy HDF5 layouts and Keras' output for a seeded input; this loads each
 * file into the medinets builder with `strict: 'all'` and prints the parameter counts and the
 * largest output difference.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as models from '../../src/models';
import { loadWeights } from '../../src/weights/load';

type Builder = (o: Record<string, unknown>) => tfl.LayersModel;

interface Meta {
  size: number;
  top: boolean;
  kw: Record<string, unknown>;
  params: number;
}

const f32 = (path: string): Float32Array => new Float32Array(new Uint8Array(readFileSync(path)).buffer);

async function main(dir: string): Promise<void> {
  await tf.setBackend('cpu');
  let worst = 0;
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const tag = f.slice(0, -5);
    const meta = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Meta;
    const name = tag.replace(/_(top|notop)$/, '').replace(/_a\d+$/, '');
    const builder = (models as unknown as Record<string, Builder>)[name];
    const opts: Record<string, unknown> = { inputShape: [meta.size, meta.size, 3], ...meta.kw };
    Object.assign(
      opts,
      meta.top ? { classes: 5, classifierActivation: 'linear' } : { includeTop: false, pooling: 'avg' },
    );
    for (const kind of ['weights', 'model']) {
      const m = builder(opts);
      const rep = await loadWeights(m, join(dir, `${tag}_${kind}.h5`), { strict: 'all' });
      const want = f32(join(dir, `${tag}_y.bin`));
      const got = tf.tidy(() => {
        const x = tf.tensor(f32(join(dir, `${tag}_x.bin`)), [2, meta.size, meta.size, 3]);
        return (m.predict(x) as tf.Tensor).dataSync();
      });
      let err = 0;
      let mag = 0;
      want.forEach((w, i) => {
        err = Math.max(err, Math.abs(got[i] - w));
        mag = Math.max(mag, Math.abs(w));
      });
      worst = Math.max(worst, err / mag);
      console.log(
        `${tag.padEnd(24)} ${kind.padEnd(7)} params ${m.countParams()} (Keras ${meta.params}), ` +
          `${rep.matched.length} weights by '${rep.map}', max |diff| ${err.toExponential(2)}, relative ${(err / mag).toExponential(2)}`,
      );
      m.dispose();
    }
  }
  console.log(`worst relative difference: ${worst.toExponential(2)}`);
}

void main(process.argv[2] ?? 'keras-parity');
