// Shared checks for the thesis-model tests: a fixed batch, a few training steps, a memory
// save -> load round trip (alone or after training), leak accounting and trainable-parameter counting.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { makeRng } from '../../src/util/random';

/** Trainable parameters (BN moving statistics excluded, as PyTorch counts `requires_grad`). */
export function trainableCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

/** A fixed batch of images in [0, 1) and one-hot labels (or per-pixel one-hot maps). */
export function fixedBatch(
  n: number,
  shape: [number, number, number],
  classes: number,
  perPixel = false,
  seed = 7,
): { x: tf.Tensor4D; y: tf.Tensor } {
  const rng = makeRng(seed);
  const [h, w, c] = shape;
  const xs = new Float32Array(n * h * w * c).map(() => rng.next());
  const labels = Array.from({ length: perPixel ? n * h * w : n }, () => rng.int(classes));
  const x = tf.tensor4d(xs, [n, h, w, c]);
  const y = tf.tidy(() => {
    const oh = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    return perPixel ? tf.reshape(oh, [n, h, w, classes]) : oh;
  });
  return { x, y };
}

/**
 * Compile with Adam and run `steps` train steps on one fixed batch; returns the loss reported
 * by each step (computed in training mode before that step's update) and the tensor counts
 * after each step.
 */
export async function trainSteps(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  steps = 3,
  lr = 1e-3,
): Promise<{ losses: number[]; counts: number[]; optimizer: tf.Optimizer }> {
  const optimizer = tf.train.adam(lr);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = await model.trainOnBatch(x, y);
    losses.push(Array.isArray(l) ? l[0] : l);
    counts.push(tf.memory().numTensors);
  }
  return { losses, counts, optimizer };
}

/** Save to memory, load back; the caller disposes the returned model. */
export async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved === null) throw new Error('save handler was not called');
  return tfl.loadLayersModel(tf.io.fromMemory(saved));
}

/** Largest absolute difference between two tensors' values. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/**
 * Train `model` for `steps` Adam steps on one fixed batch and expect the second step's loss
 * below the first; then save it to memory, load it back and expect both to predict the batch
 * alike (max |difference| < 1e-6). `inspectLoaded` sees the reloaded model before it is disposed.
 * Takes ownership: disposes the model, the batch, the optimizer and everything made here.
 * Returns each step's loss and tensor count and the trained model's output shape, for the
 * checks a test adds.
 */
export async function expectTrainsAndRoundTrips(
  model: tfl.LayersModel,
  batch: { x: tf.Tensor; y: tf.Tensor },
  steps: number,
  lr: number,
  inspectLoaded?: (loaded: tfl.LayersModel) => void,
): Promise<{ losses: number[]; counts: number[]; shape: number[] }> {
  const { x, y } = batch;
  const { losses, counts, optimizer } = await trainSteps(model, x, y, steps, lr);
  expect(losses[1], 'loss after one step').toBeLessThan(losses[0]);
  const loaded = await roundTrip(model);
  inspectLoaded?.(loaded);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  const shape = a.shape;
  const diff = maxAbsDiff(a, b);
  tf.dispose([a, b, x, y]);
  optimizer.dispose();
  loaded.dispose();
  model.dispose();
  expect(diff, 'trained vs reloaded predictions').toBeLessThan(1e-6);
  return { losses, counts, shape };
}

/**
 * Build, predict on zeros of `probeShape` and dispose: returns the number of tensors left behind
 * (0 when the builder and the forward pass leak nothing) and the output shape. The probe itself
 * is made before and disposed after the count, so it is not counted.
 */
export function leakAfterPredict(
  build: () => tfl.LayersModel,
  probeShape: number[],
): { leaked: number; shape: number[] } {
  const x = tf.zeros(probeShape);
  const before = tf.memory().numTensors;
  const m = build();
  const out = m.predict(x) as tf.Tensor;
  const shape = out.shape;
  out.dispose();
  m.dispose();
  const leaked = tf.memory().numTensors - before;
  x.dispose();
  return { leaked, shape };
}
