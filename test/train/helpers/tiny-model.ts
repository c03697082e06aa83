import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A 3 -> 4 -> 2 dense classifier, compiled, for callback and checkpoint tests. */
export function tinyModel(optimizer: tf.Optimizer = tf.train.sgd(0.1), seed = 1): tfl.LayersModel {
  const input = tfl.input({ shape: [3] });
  const h = tfl.layers
    .dense({
      units: 4,
      activation: 'relu',
      name: 'hidden',
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({
      units: 2,
      activation: 'softmax',
      name: 'out',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    })
    .apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Overwrite every weight of `model` with the constant `c`. */
export function fillWeights(model: tfl.LayersModel, c: number): void {
  const ws = model.getWeights().map((w) => tf.fill(w.shape, c));
  model.setWeights(ws);
  tf.dispose(ws);
}

/** First value of the first weight. */
export function firstWeight(model: tfl.LayersModel): number {
  return model.getWeights()[0]?.dataSync()[0] as number;
}
