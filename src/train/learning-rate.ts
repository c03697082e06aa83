import type * as tf from '@tensorflow/tfjs-core';

interface WithRate {
  learningRate?: unknown;
  setLearningRate?: (lr: number) => void;
}

/**
 * The current learning rate of a tfjs optimizer. tfjs keeps it in a `protected learningRate`
 * field (every built-in optimizer has one); we read it there.
 */
export function getLearningRate(optimizer: tf.Optimizer): number {
  const lr = (optimizer as unknown as WithRate).learningRate;
  if (typeof lr !== 'number') {
    throw new Error(
      `getLearningRate: optimizer ${optimizer.getClassName()} exposes no numeric 'learningRate'`,
    );
  }
  return lr;
}

/**
 * Change a tfjs optimizer's learning rate in place, effective from its next step. SGD and
 * Momentum cache `-lr` as a tensor, so their `setLearningRate` is used (it refreshes the
 * cache); Adam, RMSprop, Adagrad, Adadelta and Adamax read the field on every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (!(lr >= 0) || !Number.isFinite(lr))
    throw new Error(`setLearningRate: 'lr' must be a finite number >= 0; got ${lr}`);
  const o = optimizer as unknown as WithRate;
  if (typeof o.learningRate !== 'number') {
    throw new Error(
      `setLearningRate: optimizer ${optimizer.getClassName()} exposes no numeric 'learningRate'`,
    );
  }
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
