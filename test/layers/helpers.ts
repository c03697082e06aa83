// Shared checks of the layer tests: gradients reach every weight, save -> load round trips.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';

/** Largest absolute difference of two same-shaped tensors or arrays. */
export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const da = a instanceof tf.Tensor ? a.dataSync() : a;
  const db = b instanceof tf.Tensor ? b.dataSync() : b;
  expect(da.length).toBe(db.length);
  let m = 0;
  for (let i = 0; i < da.length; i++) m = Math.max(m, Math.abs(da[i] - db[i]));
  return m;
}

/** A seeded random tensor. */
export function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Asserts that a random projection of the layer's output has a non-zero gradient for every trainable weight. */
export function expectGradsReachAllWeights(layer: tfl.layers.Layer, inputs: tf.Tensor | tf.Tensor[]): void {
  const out = layer.apply(inputs) as tf.Tensor;
  const proj = randn(out.shape, 99);
  out.dispose();
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  expect(vars.length).toBeGreaterThan(0);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(layer.apply(inputs, { training: true }) as tf.Tensor, proj)) as tf.Scalar,
    vars,
  );
  for (const v of vars) {
    const g = grads[v.name];
    expect(g, `gradient of ${v.name}`).toBeDefined();
    expect(g.shape).toEqual(v.shape);
    const norm = tf.sum(tf.abs(g)).dataSync()[0];
    expect(Number.isFinite(norm), `gradient of ${v.name} is finite`).toBe(true);
    expect(norm, `gradient of ${v.name} is non-zero`).toBeGreaterThan(0);
  }
  tf.dispose([value, proj, ...Object.values(grads)]);
}

/** Saves a model to memory and loads it back through `tfl.loadLayersModel`. */
export async function saveAndLoad(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('nothing saved');
  const a = artifacts as tf.io.ModelArtifacts;
  // Through JSON text, as a file would be, so nothing survives only as a live object.
  const topology = JSON.parse(JSON.stringify(a.modelTopology)) as tf.io.ModelArtifacts['modelTopology'];
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs: a.weightSpecs, weightData: a.weightData }),
  );
}

/**
 * Builds a one-layer functional model, predicts, saves, reloads and predicts again: the
 * predictions and every weight must be identical.
 */
export async function expectSaveLoadIdentical(
  makeLayer: () => tfl.layers.Layer,
  inputShapes: number[][],
  batch = 2,
): Promise<void> {
  const inputs = inputShapes.map((s) => tfl.input({ shape: s }));
  const layer = makeLayer();
  const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs, outputs: out });
  // Random weights, so zero-initialised parts (offset convs) are exercised by the round trip.
  model.setWeights(
    model.weights.map((w, i) =>
      /variance/.test(w.name)
        ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i)
        : tf.randomUniform(w.shape as number[], -0.5, 0.5, 'float32', i),
    ),
  );
  // summary() must list the layer with all its parameters (nested weights must not vanish).
  let text = '';
  model.summary(200, undefined, (line: string) => {
    text += `${line}\n`;
  });
  const nParams = layer.weights.reduce(
    (acc, w) => acc + w.shape.reduce((a: number, b) => a * (b as number), 1),
    0,
  );
  expect(nParams).toBeGreaterThan(0);
  expect(model.countParams()).toBe(nParams);
  expect(text).toContain(layer.getClassName());
  expect(text.replace(/,/g, '')).toContain(`Total params: ${nParams}`);
  const xs = inputShapes.map((s, i) => randn([batch, ...s], 10 + i));
  const y1 = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  const loaded = await saveAndLoad(model);
  const y2 = loaded.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  expect(maxAbsDiff(y1, y2)).toBe(0);
  const w1 = model.getWeights();
  const w2 = loaded.getWeights();
  expect(w2.length).toBe(w1.length);
  expect(w1.length).toBe(layer.weights.length);
  const loadedLayer = loaded.layers[loaded.layers.length - 1];
  expect(loadedLayer.getClassName()).toBe(layer.getClassName());
  expect(loadedLayer.getConfig()).toEqual(layer.getConfig());
  tf.dispose([...xs, y1, y2]);
  model.layers.forEach((l) => l.dispose());
  loaded.layers.forEach((l) => l.dispose());
}

/** Asserts that applying the (already built) layer leaves no tensor behind. */
export function expectNoLeak(layer: tfl.layers.Layer, inputs: tf.Tensor | tf.Tensor[]): void {
  tf.dispose(layer.apply(inputs) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(inputs) as tf.Tensor);
  tf.dispose(layer.apply(inputs, { training: true }) as tf.Tensor);
  expect(tf.memory().numTensors).toBe(before);
}
