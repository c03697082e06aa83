/**
 * Example-local helper: rebuild a model with another BatchNormalization momentum, keeping
 * its weights. Keras' default momentum 0.99 needs hundreds of steps before the moving
 * statistics used at inference match the batch statistics used in training (document 004's
 * own log shows val_loss 2.6-3.7 for the first epochs); PyTorch's 0.1 (Keras 0.9) settles in
 * tens, which is what a short run on 2 CPU cores can afford.
 */
import * as tfl from '@tensorflow/tfjs-layers';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** A copy of `model` (same topology and weights) whose BatchNormalization layers use `momentum`; disposes `model`. */
export async function withBnMomentum(model: tfl.LayersModel, momentum: number): Promise<tfl.LayersModel> {
  const topology = model.toJSON(undefined, false) as unknown as { config: { layers: LayerJson[] } };
  for (const l of topology.config.layers)
    if (l.class_name === 'BatchNormalization') l.config.momentum = momentum;
  const copy = await tfl.models.modelFromJSON({
    modelTopology: topology as unknown as import('@tensorflow/tfjs-core').io.ModelJSON['modelTopology'],
  });
  const weights = model.getWeights();
  copy.setWeights(weights);
  // Trainable flags are part of the config, so frozen layers stay frozen.
  model.dispose();
  return copy;
}
