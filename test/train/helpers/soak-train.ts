// Child process of soak.test.ts: trains SimpleCNN for EPOCHS epochs with a checkpoint after
// every epoch, resuming from `dir/last` when a previous (killed) run left one. The parent
// kills it with SIGKILL at random moments (timed from its 'epoch N' lines) and restarts it until it prints 'done'.
//   argv: dir epochs optimizer('momentum' | 'adam')
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { CustomCallback } from '@tensorflow/tfjs-layers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../../../src/models/registry';
import { ModelCheckpoint, resumeFrom } from '../../../src/train';
import { makeRng } from '../../../src/util/random';

await tf.setBackend('cpu');
const [dir, epochsArg, opt = 'momentum'] = process.argv.slice(2) as [string, string, string?];
const epochs = Number(epochsArg);
const optimizer = (): tf.Optimizer => (opt === 'adam' ? tf.train.adam(1e-3) : tf.train.momentum(0.02, 0.9));
const compile = { optimizer: optimizer(), loss: 'categoricalCrossentropy' };

// 96 seeded 24x24 images: class 1 has a brighter centre square.
const rng = makeRng(5);
const n = 96;
const size = 24;
const xs = new Float32Array(n * size * size);
const ys = new Float32Array(n * 2);
for (let i = 0; i < n; i++) {
  const label = i % 2;
  ys[i * 2 + label] = 1;
  for (let p = 0; p < size * size; p++) {
    const r = Math.floor(p / size);
    const c = p % size;
    const centre = r >= 8 && r < 16 && c >= 8 && c < 16;
    xs[i * size * size + p] = rng.uniform(0, 1) * 0.5 + (centre && label === 1 ? 0.5 : 0);
  }
}
const x = tf.tensor4d(xs, [n, size, size, 1]);
const y = tf.tensor2d(ys, [n, 2]);

let model;
let initialEpoch = 0;
let checkpoint = {};
if (existsSync(join(dir, 'last'))) {
  const run = await resumeFrom(dir, { compile });
  if (!run.optimizerRestored) throw new Error('soak-train: the optimizer state was not restored');
  ({ model, initialEpoch, checkpoint } = run);
} else {
  model = buildModel('SimpleCNN', { inputShape: [size, size, 1], classes: 2, filters: 8, seed: 3 });
  model.compile(compile);
}
process.stdout.write(`start ${initialEpoch}\n`);
if (initialEpoch < epochs) {
  await model.fit(x, y, {
    epochs,
    initialEpoch,
    batchSize: 16,
    shuffle: false,
    verbose: 0,
    callbacks: [
      new ModelCheckpoint({ dir, monitor: 'loss', ...checkpoint }),
      // After the checkpoint of that epoch is written: the parent times its kills from these.
      new CustomCallback({ onEpochEnd: (epoch) => void process.stdout.write(`epoch ${epoch + 1}\n`) }),
    ],
  });
}
process.stdout.write('done\n');
