import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../src/index';
import { resnet18, unet, densenet121 } from './models';
const which = process.argv[2] ?? 'resnet18';
await setupBackend({ prefer: 'wasm', threads: Number(process.env.WT ?? 2) });
const model =
  which === 'unet' ? unet(128, 1) : which === 'densenet121' ? densenet121(128, 1, 2) : resnet18(128, 1, 2);
const x = tf.randomNormal([8, 128, 128, 1]);
for (let i = 0; i < 2; i++) tf.dispose(model.predict(x) as tf.Tensor);
const t0 = performance.now();
for (let i = 0; i < 3; i++) tf.dispose(model.predict(x) as tf.Tensor);
console.log('infer ms', ((performance.now() - t0) / 3).toFixed(1));
const prof = await tf.profile(() => {
  tf.dispose(model.predict(x) as tf.Tensor);
});
const agg = new Map<string, [number, number]>();
for (const k of prof.kernels) {
  const a = agg.get(k.name) ?? [0, 0];
  a[0] += k.kernelTimeMs as number;
  a[1]++;
  agg.set(k.name, a);
}
console.log(
  [...agg]
    .sort((a, b) => b[1][0] - a[1][0])
    .slice(0, 12)
    .map(([n, t]) => `${n} ${t[0].toFixed(1)} (${t[1]})`)
    .join('\n'),
);
const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0], 'int32'), 2);
const seg = which === 'unet';
const yy = seg ? tf.cast(tf.greater(tf.randomUniform([8, 128, 128, 1]), 0.5), 'float32') : y;
model.compile({
  optimizer: tf.train.adam(1e-3),
  loss: seg ? 'binaryCrossentropy' : 'categoricalCrossentropy',
});
await model.trainOnBatch(x, yy);
const t1 = performance.now();
for (let i = 0; i < 3; i++) await model.trainOnBatch(x, yy);
console.log('train ms', ((performance.now() - t1) / 3).toFixed(1));
const prof2 = await tf.profile(async () => {
  await model.trainOnBatch(x, yy);
});
const agg2 = new Map<string, [number, number]>();
for (const k of prof2.kernels) {
  if (k.name.endsWith('__op')) continue;
  const a = agg2.get(k.name) ?? [0, 0];
  a[0] += k.kernelTimeMs as number;
  a[1]++;
  agg2.set(k.name, a);
}
let tot = 0;
for (const [, t] of agg2) tot += t[0];
console.log('kernel total', tot.toFixed(1));
console.log(
  [...agg2]
    .sort((a, b) => b[1][0] - a[1][0])
    .slice(0, 16)
    .map(([n, t]) => `${n} ${t[0].toFixed(1)} (${t[1]})`)
    .join('\n'),
);
for (const k of prof2.kernels)
  if (k.name === 'Conv2DBackpropInput' || k.name === 'MaxPoolGrad')
    console.log(
      k.name,
      JSON.stringify(k.inputShapes),
      JSON.stringify(k.outputShapes),
      (k.kernelTimeMs as number).toFixed(1),
    );
for (const k of prof.kernels)
  if (k.name === 'FusedConv2D')
    console.log('INF', JSON.stringify(k.inputShapes), (k.kernelTimeMs as number).toFixed(1));
for (const k of prof2.kernels)
  if (k.name === 'FusedConv2D')
    console.log('TRN', JSON.stringify(k.inputShapes), (k.kernelTimeMs as number).toFixed(1));
