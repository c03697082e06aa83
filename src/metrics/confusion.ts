/**
 * Confusion matrix and per-label counts, the sufficient statistics of every
 * threshold-based classification metric.
 */
import { checkPositiveInt } from '../util/checks';
import { type ArrayLike1D, checkSameLength, toFloat64, uniqueLabels } from './input';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * Number of classes K; labels must then be integers in [0, K). When omitted the classes are
   * the sorted distinct values of `yTrue` and `yPred` (scikit-learn's default).
   */
  numClasses?: number;
  /** Explicit class list (scikit-learn's `labels`); samples with other labels are ignored. */
  labels?: number[];
}

/** Resolve the class list from the options or the data, validating `numClasses`. */
export function resolveLabels(
  yTrue: Float64Array,
  yPred: Float64Array,
  opts: { numClasses?: number; labels?: number[] },
  fn: string,
): number[] {
  if (opts.labels !== undefined) {
    if (opts.labels.length === 0) throw new Error(`${fn}: 'labels' must not be empty`);
    return [...opts.labels];
  }
  if (opts.numClasses !== undefined) {
    checkPositiveInt(opts.numClasses, 'numClasses', fn);
    const k = opts.numClasses;
    for (const [name, a] of [
      ['yTrue', yTrue],
      ['yPred', yPred],
    ] as const) {
      for (let i = 0; i < a.length; i++) {
        const v = a[i] as number;
        if (!Number.isInteger(v) || v < 0 || v >= k) {
          throw new Error(
            `${fn}: '${name}[${i}]' must be an integer class in [0, ${k}) (numClasses); got ${v}`,
          );
        }
      }
    }
    return Array.from({ length: k }, (_, i) => i);
  }
  return uniqueLabels(yTrue, yPred);
}

/** Read and validate a pair of label arrays. */
export function readLabelPair(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  fn: string,
): [Float64Array, Float64Array] {
  const t = toFloat64(yTrue, 'yTrue', fn);
  const p = toFloat64(yPred, 'yPred', fn);
  checkSameLength(t, p, 'yTrue', 'yPred', fn);
  for (const [name, a] of [
    ['yTrue', t],
    ['yPred', p],
  ] as const) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isInteger(a[i])) {
        throw new Error(`${fn}: '${name}' must hold integer class labels; got ${a[i]} at index ${i}`);
      }
    }
  }
  return [t, p];
}

/** Counts over `labels`: row = true class, column = predicted class. */
export function countMatrix(yTrue: Float64Array, yPred: Float64Array, labels: number[]): number[][] {
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l, i));
  const k = labels.length;
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const r = index.get(yTrue[i] as number);
    const c = index.get(yPred[i] as number);
    if (r !== undefined && c !== undefined) cm[r]![c]! += 1;
  }
  return cm;
}

/**
 * Confusion matrix C with `C[i][j]` = number of samples of true class i predicted as class j
 * (rows = true class, columns = predicted class), as `sklearn.metrics.confusion_matrix`.
 * @param yTrue integer labels, length n.
 * @param yPred integer labels, length n.
 * @returns a K x K matrix of counts.
 */
export function confusionMatrix(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: ConfusionMatrixOptions = {},
): number[][] {
  const fn = 'confusionMatrix';
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  return countMatrix(t, p, resolveLabels(t, p, options, fn));
}

/** Per-label one-vs-rest counts. */
export interface LabelCounts {
  /** The labels the counts refer to, in order. */
  labels: number[];
  /** True positives per label. */
  tp: number[];
  /** Predicted positives (tp + fp) per label. */
  predSum: number[];
  /** Actual positives (tp + fn), i.e. the support, per label. */
  trueSum: number[];
  /** Number of samples. */
  n: number;
}

/** One-vs-rest counts per label (scikit-learn's `multilabel_confusion_matrix` for multi-class input). */
export function labelCounts(yTrue: Float64Array, yPred: Float64Array, labels: number[]): LabelCounts {
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l, i));
  const k = labels.length;
  const tp = new Array<number>(k).fill(0);
  const predSum = new Array<number>(k).fill(0);
  const trueSum = new Array<number>(k).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const r = index.get(yTrue[i] as number);
    const c = index.get(yPred[i] as number);
    if (r !== undefined) trueSum[r]! += 1;
    if (c !== undefined) predSum[c]! += 1;
    if (r !== undefined && r === c) tp[r]! += 1;
  }
  return { labels, tp, predSum, trueSum, n: yTrue.length };
}
