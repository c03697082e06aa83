/**
 * Classification and segmentation metrics that match scikit-learn, streaming accumulators and a Keras-style metrics callback.
 * @module metrics
 */
export type { ArrayLike1D, ArrayLike2D, MetricWarning, ZeroDivisionOptions } from './input';
export { confusionMatrix, type ConfusionMatrixOptions } from './confusion';
export {
  accuracy,
  balancedAccuracy,
  f1,
  fbeta,
  precision,
  precisionRecallFscoreSupport,
  recall,
  specificity,
  type AccuracyOptions,
  type Average,
  type BalancedAccuracyOptions,
  type PrfOptions,
  type PrfOptionsNone,
  type PrfResult,
} from './classification';
export {
  auc,
  averagePrecision,
  precisionRecallCurve,
  rocAuc,
  rocAucPerClass,
  rocCurve,
  youdenThreshold,
  type AveragePrecisionOptions,
  type CurveOptions,
  type PrCurve,
  type RocAucOptions,
  type RocCurveOptions,
  type RocCurveResult,
  type YoudenResult,
} from './ranking';
export { cohenKappa, matthewsCorrcoef, type CohenKappaOptions } from './agreement';
export { dice, iou, type OverlapOptions } from './segmentation';
export {
  classificationReport,
  classificationReportData,
  type ClassificationReportData,
  type ClassificationReportOptions,
  type ReportRow,
} from './report';
export { METRIC_NAMES, evaluateScores, type EvaluateOptions, type MetricName } from './evaluate';
export { MetricsAccumulator, type AccumulatorOptions } from './streaming';
export { aggregateSeries, type AggregateSeriesOptions, type SeriesAggregate } from './series';
export { MetricsCallback, type MetricsCallbackOptions } from './callback';
