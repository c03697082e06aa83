/**
 * Augmentation throughput (issue 6): images per second at 256x256x3 for the main transforms
 * of src/augment and for typical composed pipelines, each also given as a multiple of the
 * time of a plain copy of the same batch (one elementwise pass, `x * 1`) measured in the
 * same run, so numbers compare across machines.
 *
 *   npx tsx bench/augment.ts                        cpu and wasm, batch 16, 5 repeats
 *   npx tsx bench/augment.ts --backends=wasm --batch=32 --reps=3 --size=256
 */
import * as tf from '@tensorflow/tfjs-core';
import '../src/index';
import {
  affine,
  colorJitter,
  compose,
  contrast,
  brightness,
  cutmix,
  elasticDeform,
  equalize,
  flip,
  gaussianBlur,
  gaussianNoise,
  mixup,
  mosaic,
  normalize,
  randomResizedCrop,
  rescaleIntensity,
  rotate,
  shiftHsv,
  step,
} from '../src/augment';
import { setupBackend } from '../src/backend';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const reps = Number(arg('reps') ?? 5);
const batch = Number(arg('batch') ?? 16);
const size = Number(arg('size') ?? 256);
const backends = (arg('backends') ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];

type Case = [string, (x: tf.Tensor4D, y: tf.Tensor2D, seed: number) => tf.TensorContainer];

const stats = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
const pipe002 = compose([
  step(randomResizedCrop, { size: [size, size] }),
  step(flip, { mode: 'horizontal_and_vertical', prob: 0.7 }),
  step(rotate, { degrees: 15 }),
  step(colorJitter, { brightness: 0.2, contrast: 0.2 }),
  step(normalize, stats),
]);
const pipe000 = compose([
  step(flip, { mode: 'horizontal_and_vertical' }),
  step(rotate, { factor: 0.2 }),
  step(rescaleIntensity, { inRange: [0, 1] }),
]);
const pipe001 = compose([
  step(flip, { prob: 0.5 }),
  step(contrast, { factor: 0.2 }),
  step(brightness, { delta: 0.2 }),
  step(mixup, { alpha: 0.4 }),
]);

const CASES: Case[] = [
  ['flip (h+v, p 0.5)', (x, _y, s) => flip(x, { mode: 'horizontal_and_vertical', seed: s })],
  ['rotate (factor 0.2)', (x, _y, s) => rotate(x, { factor: 0.2, seed: s })],
  [
    'affine (rot+zoom+shear+shift)',
    (x, _y, s) =>
      affine(x, { degrees: 15, scale: [0.9, 1.1], shear: 5, translateX: 0.1, translateY: 0.1, seed: s }),
  ],
  ['randomResizedCrop', (x, _y, s) => randomResizedCrop(x, { size: [size, size], seed: s })],
  ['elasticDeform (34, 4)', (x, _y, s) => elasticDeform(x, { seed: s })],
  ['brightness', (x, _y, s) => brightness(x, { seed: s })],
  ['contrast', (x, _y, s) => contrast(x, { seed: s })],
  [
    'colorJitter (b, c, s, h)',
    (x, _y, s) => colorJitter(x, { brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.05, seed: s }),
  ],
  ['shiftHsv', (x, _y, s) => shiftHsv(x, { seed: s })],
  ['gaussianNoise', (x, _y, s) => gaussianNoise(x, { seed: s })],
  ['gaussianBlur (sigma 1)', (x, _y, s) => gaussianBlur(x, { sigma: 1, seed: s })],
  ['equalize', (x) => equalize(x)],
  ['normalize', (x) => normalize(x, stats)],
  ['mixup', (x, y, s) => mixup(x, y, { seed: s }) as unknown as tf.TensorContainer],
  ['cutmix', (x, y, s) => cutmix(x, y, { seed: s }) as unknown as tf.TensorContainer],
  ['mosaic', (x, y, s) => mosaic(x, y, { seed: s }) as unknown as tf.TensorContainer],
  ['pipeline 000: flip, rotate, rescale', (x, _y, s) => pipe000(x, s)],
  ['pipeline 002: rrc, flip, rotate, jitter, norm', (x, _y, s) => pipe002(x, s)],
  [
    'pipeline 001: flip, contrast, brightness, mixup',
    (x, y, s) => pipe001({ x, y }, s) as unknown as tf.TensorContainer,
  ],
];

/** Median wall time in ms of `f`, forcing every output to be computed. */
function time(f: (seed: number) => tf.TensorContainer): number {
  const run = (seed: number): number => {
    const t0 = performance.now();
    const out = f(seed);
    const ts: tf.Tensor[] = [];
    const collect = (v: unknown): void => {
      if (v instanceof tf.Tensor) ts.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(out);
    ts.forEach((t) => t.dataSync());
    const ms = performance.now() - t0;
    tf.dispose(ts);
    return ms;
  };
  run(0);
  const times = Array.from({ length: reps }, (_, i) => run(i + 1)).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

for (const backend of backends) {
  await setupBackend({ prefer: backend });
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % 2),
        'int32',
      ),
      2,
    ),
  ) as tf.Tensor2D;
  const base = time(() => tf.mul(x, 1));
  console.log(`\n${backend}: batch ${batch} x ${size}x${size}x3, median of ${reps}`);
  console.log(
    `${'transform'.padEnd(48)} ${'ms/batch'.padStart(9)} ${'images/s'.padStart(9)} ${'x copy'.padStart(8)}`,
  );
  const row = (name: string, ms: number): void =>
    console.log(
      `${name.padEnd(48)} ${ms.toFixed(1).padStart(9)} ${((batch * 1000) / ms).toFixed(0).padStart(9)} ${(ms / base).toFixed(1).padStart(8)}`,
    );
  row('plain copy (x * 1), the baseline', base);
  const before = tf.memory().numTensors;
  for (const [name, f] of CASES)
    row(
      name,
      time((seed) => f(x, y, seed)),
    );
  if (tf.memory().numTensors !== before)
    console.log(`warning: ${tf.memory().numTensors - before} tensors leaked`);
  tf.dispose([x, y]);
}
