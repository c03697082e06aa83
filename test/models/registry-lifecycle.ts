// Issue 18 item 6, shared by the registry-lifecycle-*.test.ts files (split so vitest runs them
// in parallel): every registered model at the smallest input its builder accepts is built,
// trained 3 SGD steps on one sample, run forward, saved through file:// to a private temp dir
// and loaded back. The tensor count may not grow across steps or predictions, and everything
// returns to the starting count once the model and its optimizer are disposed; the loaded
// model's predictions equal the original's bit for bit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel, type ModelName, type ModelOptions } from '../../src/models/registry';
import { makeRng } from '../../src/util/random';

/** The smallest input each builder accepts (its `minSize`), one channel, two classes. */
export const MIN_OPTIONS: { [N in ModelName]: ModelOptions<N> } = {
  VGG11: { inputShape: [32, 32, 1], classes: 2 },
  VGG13: { inputShape: [32, 32, 1], classes: 2 },
  VGG16: { inputShape: [32, 32, 1], classes: 2 },
  VGG19: { inputShape: [32, 32, 1], classes: 2 },
  ResNet18: { inputShape: [32, 32, 1], classes: 2 },
  ResNet34: { inputShape: [32, 32, 1], classes: 2 },
  ResNet50: { inputShape: [32, 32, 1], classes: 2 },
  ResNet101: { inputShape: [32, 32, 1], classes: 2 },
  ResNet152: { inputShape: [32, 32, 1], classes: 2 },
  DenseNet121: { inputShape: [32, 32, 1], classes: 2 },
  DenseNet161: { inputShape: [32, 32, 1], classes: 2 },
  DenseNet169: { inputShape: [32, 32, 1], classes: 2 },
  DenseNet201: { inputShape: [32, 32, 1], classes: 2 },
  InceptionV3: { inputShape: [75, 75, 1], classes: 2 },
  InceptionResNetV2: { inputShape: [75, 75, 1], classes: 2 },
  MobileNetV2: { inputShape: [32, 32, 1], classes: 2 },
  ResDenseFusion: { inputShape: [32, 32, 1], classes: 2 },
  PneumoniaCNN: { inputShape: [32, 32, 1] },
  VGG16Transfer: { inputShape: [32, 32, 1] },
  EmbeddingNet: { inputShape: [32, 32, 1] },
  SimpleCNN: { inputShape: [8, 8, 1], classes: 2 },
  SmallVGG: { inputShape: [16, 16, 1], classes: 2 },
  ThesisVGG: { inputShape: [16, 16, 1], classes: 2 },
  UNet: { inputShape: [16, 16, 1], classes: 2 },
  ResUNet: { inputShape: [16, 16, 1], classes: 2 },
  ResUNetECSA: { inputShape: [16, 16, 1], classes: 2 },
  ResUNetFPRM: { inputShape: [16, 16, 1], classes: 2 },
  DResUNet: { inputShape: [16, 16, 1], classes: 2 },
};

function seeded(shape: number[], seed: number): tf.Tensor {
  const rng = makeRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.next()),
    shape,
  );
}

function concrete(shape: readonly (number | null)[]): number[] {
  return shape.map((d) => d ?? 1);
}

// tfjs-layers makes a few tensors once per process on its first compile and fit (loss and
// optimizer constants); make them before counting.
let warmed = false;
async function warmUp(): Promise<void> {
  if (warmed) return;
  const input = tfl.input({ shape: [2] });
  const m = tfl.model({
    inputs: input,
    outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor,
  });
  m.compile({ optimizer: tf.train.sgd(1e-3), loss: 'meanSquaredError' });
  const x = tf.ones([1, 2]);
  await m.trainOnBatch(x, x);
  m.optimizer.dispose();
  m.dispose();
  x.dispose();
  warmed = true;
}

/** What {@link lifecycle} measured, for the test's message. */
export interface LifecycleResult {
  seconds: number;
}

/**
 * Build `name` at its minimum input, train 3 SGD steps (batch 1, mean squared error against a
 * fixed target of each output's shape, so classifiers, segmenters and embedders are treated
 * alike), predict, save -> load through `file://`, and check counts and predictions.
 */
export async function lifecycle<N extends ModelName>(name: N): Promise<LifecycleResult> {
  await warmUp();
  const t0 = performance.now();
  const baseline = tf.memory().numTensors;
  const x = seeded([1, ...concrete(MIN_OPTIONS[name].inputShape!)], 11);
  const model = buildModel(name, { ...MIN_OPTIONS[name], seed: 3 } as ModelOptions<N>);
  const ys = model.outputs.map((o, i) => seeded(concrete(o.shape), 20 + i));
  const optimizer = tf.train.sgd(1e-3);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const counts: number[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = await model.trainOnBatch(x, ys.length === 1 ? ys[0] : ys);
    expect(Number.isFinite(Array.isArray(loss) ? loss[0] : loss), `${name}: step ${step} loss`).toBe(true);
    counts.push(tf.memory().numTensors);
  }
  // The first step may create the optimizer's state; after it, no step may add a tensor.
  expect(counts[2], `${name}: tensors after steps 1..3 ${counts.join(', ')}`).toBe(counts[0]);

  const afterTrain = tf.memory().numTensors;
  const outs = [model.predict(x)].flat() as tf.Tensor[];
  const values = outs.map((o) => o.dataSync().slice());
  tf.dispose(outs);
  expect(tf.memory().numTensors, `${name}: tensors left by predict`).toBe(afterTrain);

  const dir = mkdtempSync(join(tmpdir(), `medinets-${name}-`));
  try {
    await model.save(`file://${dir}`);
    const loaded = await tfl.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const back = [loaded.predict(x)].flat() as tf.Tensor[];
    expect(back.length).toBe(values.length);
    back.forEach((b, i) => {
      const v = b.dataSync();
      expect(v.every(Number.isFinite), `${name}: finite predictions`).toBe(true);
      expect(Array.from(v), `${name}: loaded model's output ${i}`).toEqual(Array.from(values[i]));
    });
    tf.dispose(back);
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  optimizer.dispose();
  model.dispose();
  tf.dispose([x, ...ys]);
  expect(tf.memory().numTensors, `${name}: tensors after disposing model and optimizer`).toBe(baseline);
  return { seconds: (performance.now() - t0) / 1000 };
}

/** The registry split across the test files (by cost, about 20 s each), so vitest runs them in parallel. */
export const LIFECYCLE_GROUPS: Record<
  'vgg' | 'resnet' | 'densenet' | 'inception' | 'unet',
  readonly ModelName[]
> = {
  vgg: [
    'VGG11',
    'VGG13',
    'VGG16',
    'VGG19',
    'VGG16Transfer',
    'PneumoniaCNN',
    'SimpleCNN',
    'SmallVGG',
    'ThesisVGG',
  ],
  resnet: ['ResNet18', 'ResNet34', 'ResNet50', 'ResNet101', 'ResNet152', 'MobileNetV2'],
  densenet: ['DenseNet121', 'DenseNet161', 'DenseNet169', 'DenseNet201', 'EmbeddingNet'],
  // InceptionResNetV2 alone is 54M weights (a ~220 MB save) at any input size.
  inception: ['InceptionV3', 'InceptionResNetV2'],
  unet: ['ResDenseFusion', 'UNet', 'ResUNet', 'ResUNetECSA', 'ResUNetFPRM', 'DResUNet'],
};

/** One `it` per model of the group. */
export function lifecycleSuite(group: keyof typeof LIFECYCLE_GROUPS): void {
  describe(`registry models (${group}): 3 SGD steps and predict leak nothing; file:// save -> load predicts identically`, () => {
    for (const name of LIFECYCLE_GROUPS[group]) {
      it(`${name} at ${MIN_OPTIONS[name].inputShape!.join('x')}`, async () => {
        await lifecycle(name);
      });
    }
  });
}
