// Shared by the classic-backbone tests: save -> load through memory, and tensor comparisons.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Saves `model` to memory and loads it back. */
export async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('nothing saved');
  return tfl.loadLayersModel(tf.io.fromMemory(saved));
}

/** max |a - b| over all elements. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** A deterministic input batch `[n, h, w, c]` with values in [-1, 1]. */
export function fixedBatch(n: number, h: number, w: number, c: number): tf.Tensor4D {
  return tf.tidy(() =>
    tf.sub(tf.mul(tf.randomUniform([n, h, w, c], 0, 1, 'float32', 7), 2), 1),
  ) as tf.Tensor4D;
}

/** Predicts without keeping intermediate tensors. */
export function predict(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => model.predict(x) as tf.Tensor);
}
