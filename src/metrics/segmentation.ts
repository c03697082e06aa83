/**
 * Overlap metrics for segmentation label maps: Dice (F1) and IoU (Jaccard) per class.
 */
import { checkPositiveInt } from '../util/checks';
import { labelCounts, readLabelPair, resolveLabels } from './confusion';
import { type ArrayLike1D, type ZeroDivisionOptions, warn } from './input';

/** Options of {@link dice} and {@link iou}. */
export interface OverlapOptions extends ZeroDivisionOptions {
  /** Number of classes K; label maps hold integers in [0, K). Required. */
  numClasses: number;
}

function overlap(
  yTrue: ArrayLike1D,
  yPred: ArrayLike1D,
  options: OverlapOptions,
  fn: string,
  kind: 'dice' | 'iou',
): number[] {
  if (options == null) throw new Error(`${fn}: options with 'numClasses' are required`);
  checkPositiveInt(options.numClasses, 'numClasses', fn);
  const [t, p] = readLabelPair(yTrue, yPred, fn);
  const c = labelCounts(t, p, resolveLabels(t, p, { numClasses: options.numClasses }, fn));
  const z = options.zeroDivision ?? 0;
  const empty: number[] = [];
  const out = c.tp.map((tp, i) => {
    const union = (c.predSum[i] as number) + (c.trueSum[i] as number);
    if (union === 0) {
      empty.push(i);
      return z;
    }
    return kind === 'dice' ? (2 * tp) / union : tp / (union - tp);
  });
  if (empty.length > 0)
    warn(options, fn, `class(es) [${empty.join(', ')}] absent from both maps; set to ${z}`);
  return out;
}

/**
 * Dice coefficient 2|A n B| / (|A| + |B|) of each class, over label maps of any shape (flattened),
 * equal to `sklearn.metrics.f1_score(average=None, labels=range(K))`. A class absent from both maps
 * scores `zeroDivision` (default 0, scikit-learn's convention; pass 1 for the usual segmentation one).
 * @param yTrue integer label map, e.g. `[batch, height, width]`.
 * @param yPred integer label map of the same size.
 * @returns K numbers.
 */
export function dice(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: OverlapOptions): number[] {
  return overlap(yTrue, yPred, options, 'dice', 'dice');
}

/**
 * Intersection over union |A n B| / |A u B| (Jaccard index) of each class, equal to
 * `sklearn.metrics.jaccard_score(average=None, labels=range(K))`; empty classes as in {@link dice}.
 * @returns K numbers.
 */
export function iou(yTrue: ArrayLike1D, yPred: ArrayLike1D, options: OverlapOptions): number[] {
  return overlap(yTrue, yPred, options, 'iou', 'iou');
}
