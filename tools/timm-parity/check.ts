/**
 * timm's ResNets and DenseNets against timm itself, where timm can be installed (it is not in
 * Debian; CI checks the same architectures against torchvision). Usage:
 *
 *   PYTHONPATH=LIB /usr/bin/python3 tools/timm-parity/make.py OUT resnet18,resnet50,densenet121
 *   npx tsx tools/timm-parity/check.ts OUT
 *
 * Each safetensors file loads into the medinets builder (`variant: 'torchvision'`) with
 * `strict: 'all'`; this prints the name map, the weights matched and the largest difference
 * from timm's logits relative to their largest magnitude.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as models from '../../src/models';
import { loadWeights } from '../../src/weights/load';

type Builder = (o: Record<string, unknown>) => tfl.LayersModel;

const BUILDERS: Record<string, string> = {
  resnet18: 'ResNet18',
  resnet34: 'ResNet34',
  resnet50: 'ResNet50',
  resnet101: 'ResNet101',
  resnet152: 'ResNet152',
  densenet121: 'DenseNet121',
  densenet169: 'DenseNet169',
  densenet201: 'DenseNet201',
};

const f32 = (path: string): Float32Array => new Float32Array(new Uint8Array(readFileSync(path)).buffer);

async function main(dir: string): Promise<void> {
  await tf.setBackend('cpu');
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const name = f.slice(0, -5);
    const builder = (models as unknown as Record<string, Builder>)[BUILDERS[name] ?? ''];
    if (builder === undefined) throw new Error(`timm-parity: no medinets builder for timm's '${name}'`);
    const m = builder({
      variant: 'torchvision',
      inputShape: [64, 64, 3],
      classes: 5,
      classifierActivation: 'linear',
    });
    const rep = await loadWeights(m, join(dir, `${name}.safetensors`), { strict: 'all' });
    const want = f32(join(dir, `${name}_y.bin`));
    const got = tf.tidy(() =>
      (m.predict(tf.tensor(f32(join(dir, `${name}_x.bin`)), [2, 64, 64, 3])) as tf.Tensor).dataSync(),
    );
    let err = 0;
    let mag = 0;
    want.forEach((w, i) => {
      err = Math.max(err, Math.abs(got[i] - w));
      mag = Math.max(mag, Math.abs(w));
    });
    console.log(
      `${name.padEnd(12)} '${rep.map}': ${rep.matched.length} weights, relative difference ${(err / mag).toExponential(2)}`,
    );
    m.dispose();
  }
}

void main(process.argv[2] ?? 'timm-parity');
