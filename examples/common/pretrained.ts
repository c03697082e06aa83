/**
 * Pretrained weights the examples can use without a download: nsfwjs (MIT, a devDependency)
 * ships a Keras-exported InceptionV3, ImageNet-initialised and fine-tuned on its own data, as
 * UMD `.js` files (topology + base64 shards). Rebuilt here as a standard TF.js `model.json`
 * directory that `loadWeights` reads (Keras 2.2 auto-names, uint8-quantised).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Keyword of `--weights` meaning nsfwjs' InceptionV3 (for InceptionV3 only). */
export const NSFWJS = 'nsfwjs';

/**
 * Writes nsfwjs' bundled InceptionV3 as `model.json` + `.bin` shards under `dir` (once) and
 * returns that directory. Throws naming the package when nsfwjs is not installed.
 */
export function nsfwjsInceptionV3(dir: string): string {
  const out = join(dir, 'nsfwjs-inception_v3');
  if (existsSync(join(out, 'model.json'))) return out;
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('nsfwjs');
  } catch {
    throw new Error(
      "--weights nsfwjs: the npm package 'nsfwjs' is not installed (npm install --no-save nsfwjs)",
    );
  }
  // nsfwjs' exports map hides package.json; its main entry is dist/cjs/index.js.
  const src = join(dirname(main), '..', 'models', 'inception_v3');
  const json = require(join(src, 'model.min.js')) as { weightsManifest: { paths: string[] }[] };
  mkdirSync(out, { recursive: true });
  for (const group of json.weightsManifest) {
    group.paths = group.paths.map((p) => {
      const b64 = require(join(src, `${p}.min.js`)) as string;
      writeFileSync(join(out, `${p}.bin`), Buffer.from(b64, 'base64'));
      return `${p}.bin`;
    });
  }
  writeFileSync(join(out, 'model.json'), JSON.stringify(json));
  return out;
}

/**
 * Keras (TF 2) runs a BatchNormalization layer whose `trainable` is false in inference mode
 * (moving statistics, not updated), so a frozen pretrained base stays the function it was;
 * tfjs-layers passes `training: true` to every layer during `fit`. This makes each batch-norm
 * layer of `model` (nested models included) follow Keras: inference mode while frozen.
 */
export function frozenBatchNormInference(model: tfl.LayersModel): void {
  for (const l of model.layers) {
    if (l instanceof tfl.LayersModel) frozenBatchNormInference(l);
    else if (l.getClassName() === 'BatchNormalization') {
      const call = l.call.bind(l);
      l.call = (inputs, kwargs) => call(inputs, l.trainable ? kwargs : { ...kwargs, training: false });
    }
  }
}

/**
 * A nested backbone frozen whole ("base frozen, new head") becomes a fixed function: it runs
 * in inference mode and outside the gradient tape (a zero gradient, as `stop_gradient`), so
 * training pays for its forward pass only, and tfjs' batch norm without `scale` (Keras'
 * InceptionV3 / InceptionResNetV2), which cannot be taped in tfjs 4.22, never is. Instance
 * patch: saving and loading see the plain model.
 */
export function stopGradientThrough(base: tfl.LayersModel): void {
  const call = base.call.bind(base);
  base.call = (inputs, kwargs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const t = args[0] as tf.Tensor;
      const out = call(t, { ...kwargs, training: false });
      return { value: (Array.isArray(out) ? out[0] : out) as tf.Tensor, gradFunc: () => tf.zerosLike(t) };
    });
    return run(x);
  };
}
