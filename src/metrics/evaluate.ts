/**
 * Named metrics computed from labels and model scores in one call; shared by the streaming
 * accumulator and the training callback so both report identical numbers.
 */
import { checkOneOf } from '../util/checks';
import { accuracy, balancedAccuracy, f1, precision, recall, specificity } from './classification';
import { cohenKappa, matthewsCorrcoef } from './agreement';
import { type ArrayLike1D, type ArrayLike2D, type Matrix, type ZeroDivisionOptions, toMatrix } from './input';
import { averagePrecision, rocAuc } from './ranking';

/** Metric names understood by {@link evaluateScores}, {@link MetricsAccumulator} and `MetricsCallback`. */
export type MetricName =
  | 'accuracy'
  | 'balancedAccuracy'
  | 'precision'
  | 'recall'
  | 'sensitivity'
  | 'specificity'
  | 'f1'
  | 'auc'
  | 'averagePrecision'
  | 'mcc'
  | 'kappa';

/** Every supported metric name. */
export const METRIC_NAMES: readonly MetricName[] = [
  'accuracy',
  'balancedAccuracy',
  'precision',
  'recall',
  'sensitivity',
  'specificity',
  'f1',
  'auc',
  'averagePrecision',
  'mcc',
  'kappa',
];

/** How scores become labels and how multi-class scores are averaged. */
export interface EvaluateOptions extends ZeroDivisionOptions {
  /** Decision threshold for one-column (sigmoid) scores. Default 0.5. */
  threshold?: number;
  /**
   * Averaging of precision / recall / specificity / F1 for more than two classes: `'macro'`
   * (default), `'micro'` or `'weighted'`, over the classes present in labels or predictions as
   * scikit-learn does (binary problems always score class 1).
   */
  average?: 'macro' | 'micro' | 'weighted';
}

/** Labels from `[n]` integer labels or `[n, K]` one-hot rows (argmax). */
export function labelsFrom(m: Matrix): Float64Array {
  if (m.cols === 1) return m.data;
  return argmaxRows(m);
}

/** Row-wise argmax (first maximum). */
export function argmaxRows(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    for (let j = 1; j < m.cols; j++)
      if ((m.data[i * m.cols + j] as number) > (m.data[i * m.cols + best] as number)) best = j;
    out[i] = best;
  }
  return out;
}

/** Predicted labels from scores: `score >= threshold` for one column, argmax otherwise. */
export function predictLabels(scores: Matrix, threshold = 0.5): Float64Array {
  if (scores.cols === 1) return scores.data.map((s) => (s >= threshold ? 1 : 0));
  return argmaxRows(scores);
}

/**
 * Compute several metrics from true labels and model scores.
 * @param yTrue `[n]` integer labels or `[n, K]` one-hot labels.
 * @param scores `[n]` / `[n, 1]` positive-class probabilities (sigmoid head) or `[n, K]`
 *   class probabilities (softmax head).
 * @returns `{ name: value }`; a metric that is undefined on this data (e.g. AUC with one class
 *   present) is NaN and reported through `onWarning`.
 */
export function evaluateScores(
  yTrue: ArrayLike1D | ArrayLike2D,
  scores: ArrayLike1D | ArrayLike2D,
  metrics: readonly MetricName[],
  options: EvaluateOptions = {},
): Record<string, number> {
  return evaluateMatrices(
    toMatrix(yTrue, 'yTrue', 'evaluateScores'),
    toMatrix(scores, 'scores', 'evaluateScores'),
    metrics,
    options,
  );
}

/** {@link evaluateScores} on already-read matrices. */
export function evaluateMatrices(
  yTrueM: Matrix,
  scoresM: Matrix,
  metrics: readonly MetricName[],
  options: EvaluateOptions = {},
): Record<string, number> {
  const fn = 'evaluateScores';
  for (const m of metrics) checkOneOf(m, METRIC_NAMES, 'metrics', fn);
  if (yTrueM.rows !== scoresM.rows) {
    throw new Error(
      `${fn}: 'yTrue' and 'scores' must have the same number of samples; got ${yTrueM.rows} and ${scoresM.rows}`,
    );
  }
  const yTrue = labelsFrom(yTrueM);
  const yPred = predictLabels(scoresM, options.threshold ?? 0.5);
  const binary = scoresM.cols <= 2;
  const zd = { zeroDivision: options.zeroDivision, onWarning: options.onWarning };
  const prf = binary
    ? { ...zd, average: 'binary' as const, posLabel: 1, labels: undefined }
    : { ...zd, average: options.average ?? 'macro', labels: undefined };
  const safe = (name: string, f: () => number): number => {
    try {
      return f();
    } catch (e) {
      options.onWarning?.({ metric: name, message: (e as Error).message });
      return NaN;
    }
  };
  const out: Record<string, number> = {};
  for (const name of metrics) {
    switch (name) {
      case 'accuracy':
        out[name] = accuracy(yTrue, yPred);
        break;
      case 'balancedAccuracy':
        out[name] = balancedAccuracy(yTrue, yPred, zd);
        break;
      case 'precision':
        out[name] = safe(name, () => precision(yTrue, yPred, prf));
        break;
      case 'recall':
      case 'sensitivity':
        out[name] = safe(name, () => recall(yTrue, yPred, prf));
        break;
      case 'specificity':
        out[name] = safe(name, () => specificity(yTrue, yPred, prf));
        break;
      case 'f1':
        out[name] = safe(name, () => f1(yTrue, yPred, prf));
        break;
      case 'auc':
        out[name] = safe(name, () => rocAuc(yTrue, scoresM.cols === 1 ? scoresM.data : matrixRows(scoresM)));
        break;
      case 'averagePrecision':
        out[name] = safe(name, () =>
          averagePrecision(
            yTrue,
            scoresM.cols === 1 ? scoresM.data : binary ? column(scoresM, 1) : matrixRows(scoresM),
            zd,
          ),
        );
        break;
      case 'mcc':
        out[name] = matthewsCorrcoef(yTrue, yPred, zd);
        break;
      case 'kappa':
        out[name] = cohenKappa(yTrue, yPred, zd);
        break;
    }
  }
  return out;
}

function column(m: Matrix, j: number): Float64Array {
  return Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j] as number);
}

function matrixRows(m: Matrix): Float64Array[] {
  return Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols));
}
