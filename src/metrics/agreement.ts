/**
 * Chance-corrected agreement between label arrays: Matthews correlation coefficient and
 * Cohen's kappa, computed from the confusion matrix as scikit-learn does.
 */
import { checkOneOf } from '../util/checks';
import { countMatrix, readLabelPair, resolveLabels } from './confusion';
import { type ArrayLike1D, type ZeroDivisionOptions, warn } from './input';

/**
 * Matthews correlation coefficient (multi-class R_K of Gorodkin 2004), as
 * `sklearn.metrics.matthews_corrcoef`:
 * (c s - t.p) / sqrt((s^2 - p.p)(s^2 - t.t)) with t, p the true/predicted class counts, c the
 * correct count and s the sample count; 0 (with a warning) when a denominator factor is 0.
 */
export function matthewsCorrcoef(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: ZeroDivisionOptions = {},
): number {
  const fn = 'matthewsCorrcoef';
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  const cm = countMatrix(t, p, resolveLabels(t, p, {}, fn));
  const k = cm.length;
  const tSum = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const pSum = Array.from({ length: k }, (_, j) => cm.reduce((a, row) => a + (row[j] as number), 0));
  const correct = cm.reduce((a, row, i) => a + (row[i] as number), 0);
  const n = pSum.reduce((a, b) => a + b, 0);
  const dot = (u: number[], v: number[]): number => u.reduce((a, x, i) => a + x * (v[i] as number), 0);
  const covTP = correct * n - dot(tSum, pSum);
  const covPP = n * n - dot(pSum, pSum);
  const covTT = n * n - dot(tSum, tSum);
  if (covPP * covTT === 0) {
    warn(options, 'matthewsCorrcoef', 'a label array holds a single class; MCC set to 0');
    return 0;
  }
  return covTP / Math.sqrt(covTT * covPP);
}

/** Options of {@link cohenKappa}. */
export interface CohenKappaOptions extends ZeroDivisionOptions {
  /** Disagreement weights: none (default), `'linear'` |i - j| or `'quadratic'` (i - j)^2. */
  weights?: 'linear' | 'quadratic';
  /** Classes, in order (their order matters for weighted kappa). Default: sorted labels present. */
  labels?: number[];
}

/**
 * Cohen's kappa = 1 - sum(w * C) / sum(w * E), E the outer product of the marginals over n, as
 * `sklearn.metrics.cohen_kappa_score`. Cohen, Educ. Psychol. Meas. 1960. When the expected
 * disagreement is 0 (both raters use one and the same class) scikit-learn 1.2 returns NaN; this
 * returns `zeroDivision` (default 0) and emits a warning.
 */
export function cohenKappa(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: CohenKappaOptions = {}): number {
  const fn = 'cohenKappa';
  if (options.weights !== undefined) checkOneOf(options.weights, ['linear', 'quadratic'], 'weights', fn);
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  const cm = countMatrix(t, p, resolveLabels(t, p, options, fn));
  const k = cm.length;
  const sum0 = Array.from({ length: k }, (_, j) => cm.reduce((a, row) => a + (row[j] as number), 0));
  const sum1 = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const total = sum0.reduce((a, b) => a + b, 0);
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const d = Math.abs(i - j);
      const w = options.weights === 'linear' ? d : options.weights === 'quadratic' ? d * d : d === 0 ? 0 : 1;
      observed += w * (cm[i]![j] as number);
      expected += (w * (sum0[i] as number) * (sum1[j] as number)) / total;
    }
  }
  if (expected === 0) {
    const z = options.zeroDivision ?? 0;
    warn(options, 'cohenKappa', `expected disagreement is 0; kappa set to ${z}`);
    return z;
  }
  return 1 - observed / expected;
}
