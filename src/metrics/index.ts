/**
 * Classification and segmentation metrics that match scikit-learn, streaming accumulators and a Keras-style metrics callback.
 * @module metrics
 */
export type { ArrayLike1D, ArrayLike2D, MetricWarning, ZeroDivisionOptions } from './input';
export { confusionMatrix, type ConfusionMatrixOptions } from './confusion';
export * from './classification';
export * from './ranking';
export * from './agreement';
export * from './segmentation';
export * from './report';
export { METRIC_NAMES, evaluateScores, type EvaluateOptions, type MetricName } from './evaluate';
export * from './streaming';
export * from './series';
export * from './callback';
