/**
 * Score-based (ranking) metrics: ROC and precision-recall curves, their areas and the
 * Youden-optimal threshold, following scikit-learn 1.2's `_binary_clf_curve` tie handling.
 */
import { checkOneOf } from '../util/checks';
import {
  type ArrayLike1D,
  type ArrayLike2D,
  type ZeroDivisionOptions,
  checkSameLength,
  toFloat64,
  toMatrix,
  uniqueLabels,
  warn,
} from './input';

/** Cumulative counts at each distinct score, highest score first. */
interface ClfCurve {
  fps: number[];
  tps: number[];
  thresholds: number[];
}

function readBinary(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D,
  posLabel: number | undefined,
  fn: string,
): [Float64Array, Float64Array] {
  const t = toFloat64(yTrue, 'yTrue', fn);
  const s = toFloat64(scores, 'scores', fn);
  checkSameLength(t, s, 'yTrue', 'scores', fn);
  if (t.length === 0) throw new Error(`${fn}: 'yTrue' must not be empty`);
  const classes = uniqueLabels(t);
  if (classes.length > 2)
    throw new Error(`${fn}: 'yTrue' must be binary; got ${classes.length} classes [${classes.join(', ')}]`);
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) throw new Error(`${fn}: 'scores' must be finite; got ${s[i]} at index ${i}`);
  }
  const pos = posLabel ?? 1;
  if (posLabel === undefined && !classes.every((c) => c === 0 || c === 1 || c === -1)) {
    throw new Error(`${fn}: labels [${classes.join(', ')}] are not {0, 1} or {-1, 1}; pass 'posLabel'`);
  }
  return [t.map((v) => (v === pos ? 1 : 0)), s];
}

/** Counts of positives/negatives scored at or above each distinct threshold (descending). */
function binaryClfCurve(y: Float64Array, s: Float64Array): ClfCurve {
  const order = Array.from(s.keys()).sort((a, b) => (s[b] as number) - (s[a] as number));
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    tp += y[i] as number;
    const next = order[k + 1];
    if (next === undefined || s[next] !== s[i]) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(s[i] as number);
    }
  }
  return { fps, tps, thresholds };
}

/** Options shared by the binary curves. */
export interface CurveOptions extends ZeroDivisionOptions {
  /** Label of the positive class. Default 1 (labels must then be {0, 1} or {-1, 1}). */
  posLabel?: number;
}

/** Options of {@link rocCurve}. */
export interface RocCurveOptions extends CurveOptions {
  /** Drop thresholds that are collinear on the curve (scikit-learn's default). Default true. */
  dropIntermediate?: boolean;
}

/** A ROC curve: `fpr[i]`, `tpr[i]` are the rates when predicting positive for score >= `thresholds[i]`. */
export interface RocCurveResult {
  /** False-positive rates, increasing from 0. */
  fpr: number[];
  /** True-positive rates, increasing from 0. */
  tpr: number[];
  /** Decreasing thresholds; the first is `max(score) + 1` (scikit-learn 1.2's convention). */
  thresholds: number[];
}

/**
 * Receiver operating characteristic, as `sklearn.metrics.roc_curve` (scikit-learn 1.2): one point
 * per distinct score (ties share a point), collinear points dropped by default, and a first point
 * (0, 0) at threshold `max + 1`. With no negatives (positives) `fpr` (`tpr`) is all NaN and a warning
 * is emitted.
 * @param yTrue binary labels, length n.
 * @param scores scores or probabilities of the positive class, length n.
 */
export function rocCurve(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D,
  options: RocCurveOptions = {},
): RocCurveResult {
  const fn = 'rocCurve';
  const [y, s] = readBinary(yTrue, scores, options.posLabel, fn);
  let { fps, tps, thresholds } = binaryClfCurve(y, s);
  if ((options.dropIntermediate ?? true) && fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = (fps[i + 1] as number) - 2 * (fps[i] as number) + (fps[i - 1] as number);
      const d2t = (tps[i + 1] as number) - 2 * (tps[i] as number) + (tps[i - 1] as number);
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i] as number);
    tps = keep.map((i) => tps[i] as number);
    thresholds = keep.map((i) => thresholds[i] as number);
  }
  fps = [0, ...fps];
  tps = [0, ...tps];
  thresholds = [(thresholds[0] as number) + 1, ...thresholds];
  const nNeg = fps[fps.length - 1] as number;
  const nPos = tps[tps.length - 1] as number;
  if (nNeg <= 0) warn(options, 'rocCurve', 'no negative samples in yTrue; fpr is NaN');
  if (nPos <= 0) warn(options, 'rocCurve', 'no positive samples in yTrue; tpr is NaN');
  return {
    fpr: fps.map((v) => (nNeg > 0 ? v / nNeg : NaN)),
    tpr: tps.map((v) => (nPos > 0 ? v / nPos : NaN)),
    thresholds,
  };
}

/** Trapezoidal area under a curve given by points (x[i], y[i]) with x monotonic, as `sklearn.metrics.auc`. */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length < 2) throw new Error(`auc: at least 2 points are needed; got ${x.length}`);
  checkSameLength(x, y, 'x', 'y', 'auc');
  let direction = 1;
  for (let i = 1; i < x.length; i++) {
    if ((x[i] as number) < (x[i - 1] as number)) direction = -1;
  }
  if (direction === -1) {
    for (let i = 1; i < x.length; i++) {
      if ((x[i] as number) > (x[i - 1] as number))
        throw new Error('auc: x is neither increasing nor decreasing');
    }
  }
  let area = 0;
  for (let i = 1; i < x.length; i++) {
    area += (((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number))) / 2;
  }
  return direction * area;
}

/** Options of {@link rocAuc}. */
export interface RocAucOptions {
  /** Multi-class strategy for `[n, K]` scores: one-vs-rest (the only one offered). Default `'ovr'`. */
  multiClass?: 'ovr';
  /** How per-class AUCs combine for `[n, K]` scores: `'macro'` (default) or `'weighted'` by prevalence. */
  average?: 'macro' | 'weighted';
}

function binaryAuc(y: Float64Array, s: Float64Array, fn: string): number {
  let pos = 0;
  for (const v of y) pos += v;
  if (pos === 0 || pos === y.length) {
    throw new Error(`${fn}: only one class present in yTrue; ROC AUC is not defined in that case`);
  }
  const c = rocCurve(y, s);
  return auc(c.fpr, c.tpr);
}

/**
 * Area under the ROC curve, as `sklearn.metrics.roc_auc_score`.
 * - Binary: `rocAuc(yTrue, scores)` with scores of the positive (larger) label, shape `[n]`, `[n, 1]`,
 *   or `[n, 2]` (column 1 is used).
 * - Multi-class: `rocAuc(yTrue, probs, { multiClass: 'ovr', average: 'macro' })` with `[n, K]`
 *   probabilities summing to 1 per row and yTrue holding the K classes (column j = j-th sorted class).
 * Throws, as scikit-learn does, when yTrue holds a single class.
 * @returns the AUC.
 */
export function rocAuc(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D | ArrayLike2D,
  options: RocAucOptions = {},
): number {
  const average = options.average ?? 'macro';
  checkOneOf(average, ['macro', 'weighted'], 'average', 'rocAuc');
  return aucImpl(yTrue, scores, options, average, 'rocAuc') as number;
}

/**
 * One-vs-rest AUC of each class for `[n, K]` probabilities (scikit-learn's `average=None`);
 * for binary scores a one-element array.
 */
export function rocAucPerClass(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D | ArrayLike2D,
  options: Pick<RocAucOptions, 'multiClass'> = {},
): number[] {
  const r = aucImpl(yTrue, scores, options, 'none', 'rocAucPerClass');
  return Array.isArray(r) ? r : [r];
}

function aucImpl(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D | ArrayLike2D,
  options: Pick<RocAucOptions, 'multiClass'>,
  average: 'macro' | 'weighted' | 'none',
  fn: string,
): number | number[] {
  checkOneOf(options.multiClass ?? 'ovr', ['ovr'], 'multiClass', fn);
  const t = toFloat64(yTrue, 'yTrue', fn);
  const m = toMatrix(scores, 'scores', fn);
  checkSameLength(t, { length: m.rows }, 'yTrue', 'scores', fn);
  const classes = uniqueLabels(t);
  if (m.cols === 1 || (m.cols === 2 && classes.length <= 2)) {
    const col =
      m.cols === 1 ? m.data : Float64Array.from({ length: m.rows }, (_, i) => m.data[i * 2 + 1] as number);
    const pos = classes[classes.length - 1] as number;
    return binaryAuc(
      t.map((v) => (v === pos && classes.length === 2 ? 1 : 0)),
      col,
      fn,
    );
  }
  if (classes.length !== m.cols) {
    throw new Error(
      `${fn}: number of classes in yTrue (${classes.length}) does not equal the number of score columns (${m.cols})`,
    );
  }
  for (let i = 0; i < m.rows; i++) {
    let sum = 0;
    for (let j = 0; j < m.cols; j++) sum += m.data[i * m.cols + j] as number;
    if (Math.abs(sum - 1) > 1e-8 + 1e-5) {
      throw new Error(
        `${fn}: multi-class scores must be probabilities summing to 1 per row; row ${i} sums to ${sum}`,
      );
    }
  }
  const aucs: number[] = [];
  const weights: number[] = [];
  for (let j = 0; j < m.cols; j++) {
    const y = t.map((v) => (v === classes[j] ? 1 : 0));
    weights.push(y.reduce((a, b) => a + b, 0));
    aucs.push(
      binaryAuc(
        y,
        Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j] as number),
        fn,
      ),
    );
  }
  if (average === 'none') return aucs;
  if (average === 'macro') return aucs.reduce((a, b) => a + b, 0) / aucs.length;
  const sw = weights.reduce((a, b) => a + b, 0);
  return aucs.reduce((a, v, j) => a + v * (weights[j] as number), 0) / sw;
}

/** A precision-recall curve as scikit-learn returns it (recall decreasing). */
export interface PrCurve {
  /** Precision at each threshold, then a final 1. */
  precision: number[];
  /** Recall at each threshold, then a final 0. */
  recall: number[];
  /** Increasing distinct scores. */
  thresholds: number[];
}

/**
 * Precision-recall pairs for every distinct score, as `sklearn.metrics.precision_recall_curve`
 * (scikit-learn 1.2): thresholds increasing, final point (recall 0, precision 1); with no positives
 * recall is set to 1 everywhere and a warning is emitted.
 */
export function precisionRecallCurve(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D,
  options: CurveOptions = {},
): PrCurve {
  const [y, s] = readBinary(yTrue, scores, options.posLabel, 'precisionRecallCurve');
  const { fps, tps, thresholds } = binaryClfCurve(y, s);
  const nPos = tps[tps.length - 1] as number;
  if (nPos === 0)
    warn(
      options,
      'precisionRecallCurve',
      'no positive class found in yTrue; recall is set to one for all thresholds',
    );
  const precision = tps.map((tp, i) => (tp + (fps[i] as number) === 0 ? 0 : tp / (tp + (fps[i] as number))));
  const recall = tps.map((tp) => (nPos === 0 ? 1 : tp / nPos));
  return {
    precision: [...precision.reverse(), 1],
    recall: [...recall.reverse(), 0],
    thresholds: [...thresholds].reverse(),
  };
}

/** Options of {@link averagePrecision}. */
export interface AveragePrecisionOptions extends CurveOptions {
  /** How per-class APs combine for `[n, K]` scores: `'macro'` (default) or `'weighted'` by prevalence. */
  average?: 'macro' | 'weighted';
}

/**
 * Average precision AP = sum_n (R_n - R_{n-1}) P_n (step integral, no interpolation), as
 * `sklearn.metrics.average_precision_score`; `[n, K]` scores give one-vs-rest AP averaged over classes.
 */
export function averagePrecision(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D | ArrayLike2D,
  options: AveragePrecisionOptions = {},
): number {
  const fn = 'averagePrecision';
  const m = toMatrix(scores, 'scores', fn);
  const binary = (y: ArrayLike1D, s: ArrayLike1D, posLabel?: number): number => {
    const c = precisionRecallCurve(y, s, { ...options, posLabel });
    let ap = 0;
    for (let i = 0; i < c.recall.length - 1; i++) {
      ap -= ((c.recall[i + 1] as number) - (c.recall[i] as number)) * (c.precision[i] as number);
    }
    return ap;
  };
  if (m.cols === 1) return binary(yTrue, m.data, options.posLabel);
  const average = options.average ?? 'macro';
  checkOneOf(average, ['macro', 'weighted'], 'average', fn);
  const t = toFloat64(yTrue, 'yTrue', fn);
  checkSameLength(t, { length: m.rows }, 'yTrue', 'scores', fn);
  let total = 0;
  let wsum = 0;
  for (let j = 0; j < m.cols; j++) {
    const y = t.map((v) => (v === j ? 1 : 0));
    const w = average === 'weighted' ? y.reduce((a, b) => a + b, 0) : 1;
    total +=
      w *
      binary(
        y,
        Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j] as number),
      );
    wsum += w;
  }
  return total / wsum;
}

/** The ROC point maximising Youden's J = tpr - fpr. */
export interface YoudenResult {
  /** Predict positive when score >= threshold. */
  threshold: number;
  /** Youden's J statistic at the threshold (sensitivity + specificity - 1). */
  j: number;
  /** True-positive rate (sensitivity) at the threshold. */
  tpr: number;
  /** False-positive rate (1 - specificity) at the threshold. */
  fpr: number;
}

/**
 * The threshold maximising Youden's J = sensitivity + specificity - 1 on the ROC curve
 * (first maximum along the curve returned by {@link rocCurve}, i.e. the highest such threshold).
 * Youden, "Index for rating diagnostic tests", Cancer 1950.
 */
export function youdenThreshold(
  yTrue: ArrayLike1D,
  scores: ArrayLike1D,
  options: CurveOptions = {},
): YoudenResult {
  const c = rocCurve(yTrue, scores, options);
  let best = 0;
  for (let i = 1; i < c.fpr.length; i++) {
    if ((c.tpr[i] as number) - (c.fpr[i] as number) > (c.tpr[best] as number) - (c.fpr[best] as number))
      best = i;
  }
  return {
    threshold: c.thresholds[best] as number,
    j: (c.tpr[best] as number) - (c.fpr[best] as number),
    tpr: c.tpr[best] as number,
    fpr: c.fpr[best] as number,
  };
}
