// Trains the viewer's demo model and writes it to examples/viewer/model/ (model.json +
// weights.bin, the tfjs layers format the page loads):
//
//   npx tsx examples/viewer/train-model.ts
//
// A small DResUNet (4 base filters, 64x64x1 input, 2 classes: normal / COVID-like) on seeded
// synthetic chest-CT phantoms seen through the lung window, as the viewer feeds it. It is a
// demonstration of the page, not a diagnostic model.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, ctPhantoms, setupBackend } from 'medinets';
import { PRESETS } from './predict';

const out = join(import.meta.dirname ?? __dirname, 'model');

async function main(): Promise<void> {
  await setupBackend({ prefer: 'wasm' });
  const data = ctPhantoms({ n: 480, size: 64, seed: 2026 });
  const lo = PRESETS.lung.center - PRESETS.lung.width / 2;
  const xs = tf.tidy(() => tf.clipByValue(tf.div(tf.sub(data.images, lo), PRESETS.lung.width), 0, 1));
  const ys = tf.oneHot(data.labels, 2);
  const model = buildModel('DResUNet', { inputShape: [64, 64, 1], classes: 2, filters: 4, seed: 7 } as never);
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(xs, ys, {
    epochs: 12,
    batchSize: 16,
    validationSplit: 0.2,
    shuffle: false,
    verbose: 0,
  });
  const acc = h.history['val_acc'] ?? h.history['val_accuracy'] ?? [];
  console.log(`val accuracy per epoch: ${acc.map((a) => Number(a).toFixed(3)).join(' ')}`);
  mkdirSync(out, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, ...rest } = artifacts;
      const json = { ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
      delete (json as { weightSpecs?: unknown }).weightSpecs;
      const bytes = new Uint8Array(weightData as ArrayBuffer);
      // Written beside the final names, then renamed: a reader never sees half a model.
      writeFileSync(join(out, 'weights.bin.tmp'), bytes);
      writeFileSync(join(out, 'model.json.tmp'), JSON.stringify(json));
      renameSync(join(out, 'weights.bin.tmp'), join(out, 'weights.bin'));
      renameSync(join(out, 'model.json.tmp'), join(out, 'model.json'));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  tf.dispose([xs, ys, data.images, data.labels, data.masks]);
  console.log(`model written to ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
