import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkRange } from '../util/checks';
import { reduceLoss } from './loss-reduce';
import { LOSS_REDUCTIONS, type LossFn, type LossReduction } from './loss-types';

/** Options shared by the cross-entropy losses. */
export interface CrossEntropyOptions {
  /**
   * One weight per class (binary: `[negative, positive]`), e.g. 004's
   * `[3876/5218, 1342/5218]` to counter class imbalance. Default: all ones.
   */
  classWeights?: number[];
  /** `yPred` holds logits (pre-sigmoid / pre-softmax) rather than probabilities. Default false. */
  fromLogits?: boolean;
  /**
   * Label smoothing epsilon: targets become `y (1 - eps) + eps / K` (K = classes; 2 for
   * binary, as Keras). Default 0.
   */
  labelSmoothing?: number;
  /** How element losses are combined; see {@link LossReduction}. Default `'weighted'`. */
  reduction?: LossReduction;
  /** Probabilities are clipped to `[epsilon, 1 - epsilon]` before the log (Keras' 1e-7). */
  epsilon?: number;
}

interface Resolved {
  classWeights: number[] | null;
  fromLogits: boolean;
  labelSmoothing: number;
  reduction: LossReduction;
  epsilon: number;
}

function resolve(opts: CrossEntropyOptions, fn: string, numClasses?: number): Resolved {
  const {
    classWeights,
    fromLogits = false,
    labelSmoothing = 0,
    reduction = 'weighted',
    epsilon = 1e-7,
  } = opts;
  checkRange(labelSmoothing, 'labelSmoothing', fn, { lo: 0, hi: 1 });
  checkRange(epsilon, 'epsilon', fn, { lo: 0, hi: 0.5, hiOpen: true });
  checkOneOf(reduction, LOSS_REDUCTIONS, 'reduction', fn);
  if (classWeights !== undefined) {
    if (!Array.isArray(classWeights) || classWeights.some((w) => !(w >= 0) || !Number.isFinite(w))) {
      throw new Error(`${fn}: 'classWeights' must be an array of finite non-negative numbers`);
    }
    if (numClasses !== undefined && classWeights.length !== numClasses) {
      throw new Error(`${fn}: 'classWeights' must have ${numClasses} entries; got ${classWeights.length}`);
    }
  }
  return { classWeights: classWeights ?? null, fromLogits, labelSmoothing, reduction, epsilon };
}

function checkClassCount(o: Resolved, k: number, fn: string): void {
  if (o.classWeights !== null && o.classWeights.length !== k) {
    throw new Error(`${fn}: 'classWeights' has ${o.classWeights.length} entries but yPred has ${k} classes`);
  }
}

/**
 * Binary cross-entropy `-[y log p + (1 - y) log(1 - p)]`, optionally class-weighted
 * (`w = w0 (1 - y) + w1 y`) and label-smoothed. `yTrue` and `yPred` have the same shape,
 * typically `[batch, 1]` (a sigmoid output); targets may be soft (in [0, 1]).
 * With `fromLogits` the stable form `max(x, 0) - x y + log(1 + exp(-|x|))` is used.
 */
export function binaryCrossEntropy(opts: CrossEntropyOptions = {}): LossFn {
  const fn = 'binaryCrossEntropy';
  const o = resolve(opts, fn, opts.classWeights ? 2 : undefined);
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      let y = tf.reshape(tf.cast(yTrue, 'float32'), yPred.shape);
      if (o.labelSmoothing > 0) y = tf.add(tf.mul(y, 1 - o.labelSmoothing), 0.5 * o.labelSmoothing);
      let l: tf.Tensor;
      if (o.fromLogits) {
        const x = yPred;
        l = tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
      } else {
        const p = tf.clipByValue(yPred, o.epsilon, 1 - o.epsilon);
        l = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
      }
      const w = o.classWeights
        ? tf.add(tf.mul(tf.sub(1, y), o.classWeights[0] as number), tf.mul(y, o.classWeights[1] as number))
        : null;
      return reduceLoss(l, w, o.reduction);
    });
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}

/** Per-position `-sum_c w_c y_c log p_c` and the per-position weight `sum_c w_c y_c`. */
function categoricalTerms(
  y: tf.Tensor,
  yPred: tf.Tensor,
  o: Resolved,
): { l: tf.Tensor; w: tf.Tensor | null } {
  const k = yPred.shape[yPred.rank - 1] as number;
  if (o.labelSmoothing > 0) y = tf.add(tf.mul(y, 1 - o.labelSmoothing), o.labelSmoothing / k);
  const logp = o.fromLogits
    ? tf.logSoftmax(yPred, -1)
    : tf.log(tf.clipByValue(yPred, o.epsilon, 1 - o.epsilon));
  if (o.classWeights === null) return { l: tf.neg(tf.sum(tf.mul(y, logp), -1)), w: null };
  const cw = tf.tensor1d(o.classWeights, 'float32');
  const wy = tf.mul(y, cw);
  // For one-hot targets sum_c w_c y_c = w_{label}: the weighted mean is then torch's.
  return {
    l: tf.div(tf.neg(tf.sum(tf.mul(wy, logp), -1)), tf.maximum(tf.sum(wy, -1), 1e-12)),
    w: tf.sum(wy, -1),
  };
}

/**
 * Categorical cross-entropy `-sum_c w_c y_c log p_c` over the last axis. `yTrue` is one-hot
 * or soft (mixup / CutMix labels), `yPred` the softmax output (or logits with `fromLogits`),
 * both `[batch, classes]` or `[batch, height, width, classes]` for segmentation.
 * The default `'weighted'` reduction divides by `sum_i sum_c w_c y_ic`, which for one-hot
 * targets is exactly PyTorch `CrossEntropyLoss(weight=w)`.
 */
export function categoricalCrossEntropy(opts: CrossEntropyOptions = {}): LossFn {
  const fn = 'categoricalCrossEntropy';
  const o = resolve(opts, fn);
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      checkClassCount(o, yPred.shape[yPred.rank - 1] as number, fn);
      const y = tf.reshape(tf.cast(yTrue, 'float32'), yPred.shape);
      const { l, w } = categoricalTerms(y, yPred, o);
      // l was divided by the position weight so that w * l is the weighted term again.
      return reduceLoss(l, w, o.reduction);
    });
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}

/**
 * Sparse categorical cross-entropy (000 trains with it): `yTrue` holds class indices,
 * shape `[batch]` or `[batch, 1]` (float or int, as `model.fit` passes them), or
 * `[batch, height, width]` for segmentation; `yPred` is `[..., classes]`.
 * Same options and reductions as {@link categoricalCrossEntropy}.
 *
 * Note: tfjs-layers' `model.fit` / `trainOnBatch` only accept `[batch, 1]` targets for its
 * own built-in `'sparseCategoricalCrossentropy'`; with any custom loss the targets must have
 * the output's shape. So inside `fit`, pass one-hot targets (this loss accepts them too) or
 * use the built-in string loss when no class weights are needed; index targets work in
 * custom loops and direct calls.
 */
export function sparseCategoricalCrossEntropy(opts: CrossEntropyOptions = {}): LossFn {
  const fn = 'sparseCategoricalCrossEntropy';
  const o = resolve(opts, fn);
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      const k = yPred.shape[yPred.rank - 1] as number;
      checkClassCount(o, k, fn);
      // Targets already shaped like yPred (one-hot) pass through: see the note on model.fit.
      const y =
        tf.util.arraysEqual(yTrue.shape, yPred.shape) && k > 1
          ? tf.cast(yTrue, 'float32')
          : tf.reshape(tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), k), yPred.shape);
      const { l, w } = categoricalTerms(y, yPred, o);
      return reduceLoss(l, w, o.reduction);
    });
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}

/** Options of {@link labelSmoothedCrossEntropy}. */
export interface LabelSmoothedCrossEntropyOptions {
  /** Smoothing epsilon; targets become `y (1 - eps) + eps / K`. Default 0.1. */
  smoothing?: number;
  /** `yPred` holds logits. Default false. */
  fromLogits?: boolean;
}

/**
 * Cross-entropy against soft, smoothed targets: `-sum_c y'_c log p_c` with
 * `y' = y (1 - eps) + eps / K`, averaged over the batch. `yTrue` may be mixed labels
 * (`lambda y_a + (1 - lambda) y_b` from mixup / CutMix), `[batch, classes]`.
 * Equals PyTorch `cross_entropy(logits, soft_targets, label_smoothing=eps)` and timm's
 * `SoftTargetCrossEntropy` applied to smoothed targets.
 */
export function labelSmoothedCrossEntropy(opts: LabelSmoothedCrossEntropyOptions = {}): LossFn {
  const fn = 'labelSmoothedCrossEntropy';
  const { smoothing = 0.1, fromLogits = false } = opts;
  checkRange(smoothing, 'smoothing', fn, { lo: 0, hi: 1 });
  const inner = categoricalCrossEntropy({ labelSmoothing: smoothing, fromLogits, reduction: 'mean' });
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => inner(yTrue, yPred);
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}
