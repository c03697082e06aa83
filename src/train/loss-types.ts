import type * as tf from '@tensorflow/tfjs-core';

/**
 * A loss in the shape `model.compile({ loss })` and custom training loops expect:
 * targets first, predictions second, a scalar back.
 */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/**
 * How per-element losses become one number.
 * - `'weighted'`: `sum(w * l) / sum(w)`, the weighted mean PyTorch's
 *   `CrossEntropyLoss(weight=...)` uses for class-index targets (equal to `'mean'` without weights).
 * - `'mean'`: `sum(w * l) / count`, as Keras `class_weight` and PyTorch `BCELoss(weight=...)`.
 * - `'sum'`: `sum(w * l)`.
 */
export type LossReduction = 'weighted' | 'mean' | 'sum';

/** The reductions {@link LossReduction} allows, for validation. */
export const LOSS_REDUCTIONS: readonly LossReduction[] = ['weighted', 'mean', 'sum'];
