import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt, checkRange } from '../util/checks';

/** Options of {@link overfitOneBatch}. */
export interface OverfitOptions {
  /** Maximum training steps on the batch. Default 200. */
  steps?: number;
  /** Success once the loss is at or below this. Default 0.05. */
  targetLoss?: number;
  /** Put the model's weights back afterwards (the optimizer's slots are not). Default true. */
  restoreWeights?: boolean;
}

/** Outcome of {@link overfitOneBatch}. */
export interface OverfitResult {
  /** Whether the loss reached `targetLoss`. */
  converged: boolean;
  /** Steps taken. */
  steps: number;
  /** Loss after each step. */
  losses: number[];
  /** First and last loss. */
  initialLoss: number;
  /** Loss after the last step. */
  finalLoss: number;
}

/**
 * The sanity check of 002: train repeatedly on one batch and check that the loss goes
 * to (near) zero. A model that cannot memorise 8-32 samples has a bug — wrong labels,
 * a frozen or disconnected graph, a bad loss/activation pairing, a tiny learning rate.
 * Uses the model's compiled loss and optimizer. `batch.x`: `[batch, ...]`, `batch.y` its targets.
 */
export async function overfitOneBatch(
  model: tfl.LayersModel,
  batch: { x: tf.Tensor; y: tf.Tensor },
  opts: OverfitOptions = {},
): Promise<OverfitResult> {
  const fn = 'overfitOneBatch';
  const { steps = 200, targetLoss = 0.05, restoreWeights = true } = opts;
  checkPositiveInt(steps, 'steps', fn);
  checkRange(targetLoss, 'targetLoss', fn, { lo: 0 });
  if (!model.optimizer) throw new Error(`${fn}: 'model' must be compiled first`);
  if (model.trainableWeights.length === 0)
    throw new Error(`${fn}: the model has no trainable weights (all layers frozen?)`);
  const saved = restoreWeights ? model.getWeights().map((w) => tf.clone(w)) : null;
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const r = await model.trainOnBatch(batch.x, batch.y);
      const loss = Array.isArray(r) ? (r[0] as number) : r;
      if (!Number.isFinite(loss))
        throw new Error(`${fn}: loss became ${loss} at step ${s + 1}; check the learning rate and the loss`);
      losses.push(loss);
      if (loss <= targetLoss) break;
    }
  } finally {
    if (saved) {
      model.setWeights(saved);
      tf.dispose(saved);
    }
  }
  const finalLoss = losses[losses.length - 1] as number;
  return {
    converged: finalLoss <= targetLoss,
    steps: losses.length,
    losses,
    initialLoss: losses[0] as number,
    finalLoss,
  };
}
