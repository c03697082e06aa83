/**
 * Threshold-based classification metrics with scikit-learn's averaging rules:
 * precision, recall (sensitivity), specificity, F-beta, accuracy and balanced accuracy.
 */
import { checkOneOf, checkRange } from '../util/checks';
import { labelCounts, readLabelPair, resolveLabels, countMatrix } from './confusion';
import { type ArrayLike1D, type ZeroDivisionOptions, uniqueLabels, warn } from './input';

/** How per-class scores are combined (scikit-learn's `average`; `'none'` is its `None`). */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted' | 'none';

const AVERAGES: readonly Average[] = ['binary', 'macro', 'micro', 'weighted', 'none'];

/** Options of the precision / recall / F family. */
export interface PrfOptions extends ZeroDivisionOptions {
  /**
   * `'binary'` (default): the score of `posLabel` only, labels must have at most two values;
   * `'macro'`: unweighted mean over classes; `'micro'`: from global counts; `'weighted'`: mean
   * weighted by class support; `'none'`: one score per class.
   */
  average?: Average;
  /** The positive class when `average` is `'binary'`. Default 1. */
  posLabel?: number;
  /** Classes to score, in order (scikit-learn's `labels`). Default: the sorted labels present. */
  labels?: number[];
  /** Alternative to `labels`: the classes are 0..numClasses-1. */
  numClasses?: number;
}

/** Options asking for one score per class. */
export interface PrfOptionsNone extends PrfOptions {
  /** `'none'`: return one score per class. */
  average: 'none';
}

/** Per-class (or averaged) precision, recall, F-beta and support. */
export interface PrfResult {
  /** Precision tp / (tp + fp). */
  precision: number[];
  /** Recall tp / (tp + fn). */
  recall: number[];
  /** F-beta (1 + b^2) P R / (b^2 P + R). */
  fbeta: number[];
  /** True-class counts per class (summed over classes when averaged). */
  support: number[];
  /** The classes in the order of the arrays (one entry per class, or all classes when averaged). */
  labels: number[];
}

function divide(
  num: number[],
  den: number[],
  opts: ZeroDivisionOptions,
  metric: string,
  what: string,
  labels: number[],
): number[] {
  const z = opts.zeroDivision ?? 0;
  const bad: number[] = [];
  const out = num.map((v, i) => {
    if (den[i] === 0) {
      bad.push(labels[i] as number);
      return z;
    }
    return v / (den[i] as number);
  });
  if (bad.length > 0) {
    warn(
      opts,
      metric,
      `${metric} is ill-defined and set to ${z} for label(s) [${bad.join(', ')}] with no ${what} samples`,
    );
  }
  return out;
}

function mean(v: number[], w?: number[]): number {
  if (!w) return v.reduce((s, x) => s + x, 0) / v.length;
  let sw = 0;
  let s = 0;
  v.forEach((x, i) => {
    s += x * (w[i] as number);
    sw += w[i] as number;
  });
  return s / sw;
}

/** Resolve the labels scored under `average`, following scikit-learn's `_check_set_wise_labels`. */
function setWiseLabels(t: Float64Array, p: Float64Array, opts: PrfOptions, fn: string): number[] {
  const average = opts.average ?? 'binary';
  checkOneOf(average, AVERAGES, 'average', fn);
  if (average !== 'binary') return resolveLabels(t, p, opts, fn);
  const present = uniqueLabels(t, p);
  const pos = opts.posLabel ?? 1;
  if (present.length > 2) {
    throw new Error(
      `${fn}: labels have ${present.length} classes but average is 'binary'; choose 'macro', 'micro', 'weighted' or 'none'`,
    );
  }
  if (!present.includes(pos) && present.length >= 2) {
    throw new Error(
      `${fn}: 'posLabel' ${pos} is not a valid label; it should be one of [${present.join(', ')}]`,
    );
  }
  return [pos];
}

/**
 * Precision, recall, F-beta and support per class or averaged, exactly as
 * `sklearn.metrics.precision_recall_fscore_support` (ill-defined ratios become `zeroDivision`).
 * `options.beta` weights recall in the F score (default 1, i.e. F1).
 */
export function precisionRecallFscoreSupport(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: PrfOptions & { beta?: number } = {},
  fn = 'precisionRecallFscoreSupport',
): PrfResult {
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  const beta = options.beta ?? 1;
  checkRange(beta, 'beta', fn, { lo: 0 });
  const average = options.average ?? 'binary';
  const labels = setWiseLabels(t, p, options, fn);
  const c = labelCounts(t, p, labels);
  let { tp, predSum, trueSum } = c;
  if (average === 'micro') {
    const sum = (a: number[]): number[] => [a.reduce((s, x) => s + x, 0)];
    tp = sum(tp);
    predSum = sum(predSum);
    trueSum = sum(trueSum);
  }
  const names = average === 'micro' ? [NaN] : labels;
  const precision = divide(tp, predSum, options, 'precision', 'predicted', names);
  const recall = divide(tp, trueSum, options, 'recall', 'true', names);
  const b2 = beta * beta;
  const fbeta = precision.map((pr, i) => {
    const r = recall[i] as number;
    if (beta === Infinity) return r;
    const den = b2 * pr + r;
    return den === 0 ? 0 : ((1 + b2) * pr * r) / den;
  });
  if (average === 'none') return { precision, recall, fbeta, support: trueSum, labels };
  let weights: number[] | undefined;
  if (average === 'weighted') {
    weights = trueSum;
    if (trueSum.reduce((s, x) => s + x, 0) === 0) {
      const z = options.zeroDivision ?? 0;
      warn(options, 'weighted average', `no true samples for any label; scores set to ${z}`);
      const allNeg = predSum.reduce((s, x) => s + x, 0) === 0;
      return { precision: [allNeg ? z : 0], recall: [z], fbeta: [allNeg ? z : 0], support: [0], labels };
    }
  }
  const support = [trueSum.reduce((s, x) => s + x, 0)];
  return {
    precision: [mean(precision, weights)],
    recall: [mean(recall, weights)],
    fbeta: [mean(fbeta, weights)],
    support,
    labels,
  };
}

function pick(
  r: PrfResult,
  key: 'precision' | 'recall' | 'fbeta',
  average: Average | undefined,
): number | number[] {
  return average === 'none' ? r[key] : (r[key][0] as number);
}

/** Precision tp / (tp + fp), as `sklearn.metrics.precision_score`. */
export function precision(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: PrfOptionsNone): number[];
/** Precision tp / (tp + fp), as `sklearn.metrics.precision_score`. */
export function precision(yTrue: ArrayLike1D, yPred: ArrayLike1D, options?: PrfOptions): number;
export function precision(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: PrfOptions = {},
): number | number[] {
  return pick(precisionRecallFscoreSupport(yTrue, yPred, options, 'precision'), 'precision', options.average);
}

/** Recall (sensitivity) tp / (tp + fn), as `sklearn.metrics.recall_score`. */
export function recall(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: PrfOptionsNone): number[];
/** Recall (sensitivity) tp / (tp + fn), as `sklearn.metrics.recall_score`. */
export function recall(yTrue: ArrayLike1D, yPred: ArrayLike1D, options?: PrfOptions): number;
export function recall(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: PrfOptions = {}): number | number[] {
  return pick(precisionRecallFscoreSupport(yTrue, yPred, options, 'recall'), 'recall', options.average);
}

/** F1 = 2 P R / (P + R), as `sklearn.metrics.f1_score` (default `average: 'binary'`). */
export function f1(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: PrfOptionsNone): number[];
/** F1 = 2 P R / (P + R), as `sklearn.metrics.f1_score` (default `average: 'binary'`). */
export function f1(yTrue: ArrayLike1D, yPred: ArrayLike1D, options?: PrfOptions): number;
export function f1(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: PrfOptions = {}): number | number[] {
  return pick(
    precisionRecallFscoreSupport(yTrue, yPred, { ...options, beta: 1 }, 'f1'),
    'fbeta',
    options.average,
  );
}

/** F-beta = (1 + b^2) P R / (b^2 P + R), as `sklearn.metrics.fbeta_score`. */
export function fbeta(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  beta: number,
  options: PrfOptionsNone,
): number[];
/** F-beta = (1 + b^2) P R / (b^2 P + R), as `sklearn.metrics.fbeta_score`. */
export function fbeta(yTrue: ArrayLike1D, yPred: ArrayLike1D, beta: number, options?: PrfOptions): number;
export function fbeta(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  beta: number,
  options: PrfOptions = {},
): number | number[] {
  return pick(
    precisionRecallFscoreSupport(yTrue, yPred, { ...options, beta }, 'fbeta'),
    'fbeta',
    options.average,
  );
}

/**
 * Specificity (true-negative rate) tn / (tn + fp) of each class against the rest; `'binary'` scores
 * `posLabel` (so it equals the recall of the other class), `'weighted'` weights by class support,
 * `'micro'` pools the one-vs-rest counts. Not in scikit-learn; defined from its
 * `multilabel_confusion_matrix`.
 */
export function specificity(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: PrfOptionsNone): number[];
/** Specificity (true-negative rate) tn / (tn + fp); see the overload above. */
export function specificity(yTrue: ArrayLike1D, yPred: ArrayLike1D, options?: PrfOptions): number;
export function specificity(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: PrfOptions = {},
): number | number[] {
  const fn = 'specificity';
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  const labels = setWiseLabels(t, p, options, fn);
  const c = labelCounts(t, p, labels);
  let fp = c.tp.map((x, i) => (c.predSum[i] as number) - x);
  let tn = c.tp.map((x, i) => c.n - (c.predSum[i] as number) - (c.trueSum[i] as number) + x);
  const average = options.average ?? 'binary';
  if (average === 'micro') {
    fp = [fp.reduce((s, x) => s + x, 0)];
    tn = [tn.reduce((s, x) => s + x, 0)];
  }
  const spec = divide(
    tn,
    tn.map((x, i) => x + (fp[i] as number)),
    options,
    'specificity',
    'negative',
    average === 'micro' ? [NaN] : labels,
  );
  if (average === 'none') return spec;
  if (average === 'weighted') {
    if (c.trueSum.every((x) => x === 0)) return options.zeroDivision ?? 0;
    return mean(spec, c.trueSum);
  }
  return mean(spec);
}

/** Options of {@link accuracy}. */
export interface AccuracyOptions {
  /** Return the number of correct samples instead of the fraction. Default false. */
  normalize?: boolean;
}

/** Fraction of exact matches, as `sklearn.metrics.accuracy_score`. */
export function accuracy(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: AccuracyOptions = {}): number {
  const [t, p] = readLabelPair(yTrue, yPred, 'accuracy');
  let ok = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) ok++;
  return options.normalize === false ? ok : ok / t.length;
}

/** Options of {@link balancedAccuracy}. */
export interface BalancedAccuracyOptions extends ZeroDivisionOptions {
  /** Rescale so chance scores 0 and perfect scores 1: (score - 1/K) / (1 - 1/K). Default false. */
  adjusted?: boolean;
}

/**
 * Mean of per-class recalls over the classes present in `yTrue`, as
 * `sklearn.metrics.balanced_accuracy_score` (a class only predicted triggers a warning and is skipped).
 */
export function balancedAccuracy(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: BalancedAccuracyOptions = {},
): number {
  const [t, p] = readLabelPair(yTrue, yPred, 'balancedAccuracy');
  const labels = uniqueLabels(t, p);
  const cm = countMatrix(t, p, labels);
  const perClass: number[] = [];
  cm.forEach((row, i) => {
    const n = row.reduce((s, x) => s + x, 0);
    if (n > 0) perClass.push((row[i] as number) / n);
  });
  if (perClass.length < labels.length)
    warn(options, 'balancedAccuracy', 'yPred contains classes not in yTrue');
  let score = mean(perClass);
  if (options.adjusted) {
    const chance = 1 / perClass.length;
    score = (score - chance) / (1 - chance);
  }
  return score;
}
