import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { type Rng, makeRng } from '../util/random';

/** Labels as a plain array, a typed array or a 1-D tensor of class indices. */
export type LabelsLike = ArrayLike<number> | tf.Tensor;

/** Split fractions: `[train, val, test]`, `[train, test]`, or named. They must sum to 1. */
export type SplitFractions =
  | [number, number, number]
  | [number, number]
  | {
      /** Training fraction. */
      train: number;
      /** Validation fraction (default 0). */
      val?: number;
      /** Test fraction (default 0). */
      test?: number;
    };

/** Options of {@link stratifiedSplit}. */
export interface StratifiedSplitOptions {
  /** Fractions of each part. Default [0.7, 0.15, 0.15]. */
  fractions?: SplitFractions;
  /** Seed of the shuffle (or a generator); equal seeds give equal splits. Default 0. */
  seed?: number | Rng;
}

/** Indices into the labels of each part of a split, ascending. */
export interface SplitIndices {
  /** Training indices. */
  train: number[];
  /** Validation indices (empty when no validation fraction was given). */
  val: number[];
  /** Test indices (empty when no test fraction was given). */
  test: number[];
}

/** Read labels into a plain array of integers (a tensor is read, not disposed). */
export function labelsToArray(labels: LabelsLike, fn = 'labels'): number[] {
  let arr: number[];
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1)
      throw new Error(`${fn}: 'labels' must be a 1-D tensor; got shape [${labels.shape.join(', ')}]`);
    arr = Array.from(labels.dataSync());
  } else {
    arr = Array.from(labels);
  }
  for (const [i, v] of arr.entries()) {
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`${fn}: labels must be non-negative integers; labels[${i}] = ${v}`);
  }
  return arr;
}

function fractionsOf(f: SplitFractions): [number, number, number] {
  const out: [number, number, number] = Array.isArray(f)
    ? f.length === 2
      ? [f[0], 0, f[1]]
      : [f[0], f[1], f[2] as number]
    : [f.train, f.val ?? 0, f.test ?? 0];
  if (out.some((v) => !(v >= 0)) || Math.abs(out[0] + out[1] + out[2] - 1) > 1e-6) {
    throw new Error(
      `stratifiedSplit: 'fractions' must be non-negative and sum to 1; got ${JSON.stringify(f)}`,
    );
  }
  return out;
}

/** Split `count` items into parts proportional to `fr` by largest remainder. */
function apportion(count: number, fr: [number, number, number]): [number, number, number] {
  const exact = fr.map((f) => f * count);
  const base = exact.map(Math.floor) as [number, number, number];
  let left = count - base[0] - base[1] - base[2];
  const order = [0, 1, 2].sort(
    (a, b) =>
      (exact[b] as number) - (base[b] as number) - ((exact[a] as number) - (base[a] as number)) || a - b,
  );
  for (const k of order) {
    if (left <= 0) break;
    if ((fr[k] as number) > 0) {
      base[k as 0 | 1 | 2]++;
      left--;
    }
  }
  return base;
}

/**
 * Per-class part sizes whose totals match the overall largest-remainder sizes exactly:
 * floors first, then the leftover units go to the (class, part) pairs with the largest
 * fractional remainders.
 */
function allocate(counts: number[], fr: [number, number, number]): Array<[number, number, number]> {
  const n = counts.reduce((s, c) => s + c, 0);
  const target = apportion(n, fr);
  const alloc = counts.map((c) => fr.map((f) => Math.floor(f * c)) as [number, number, number]);
  const need = [0, 1, 2].map((k) => (target[k] as number) - alloc.reduce((s, a) => s + (a[k] as number), 0));
  const left = counts.map((c, i) => c - (alloc[i] as number[]).reduce((s, v) => s + v, 0));
  const pairs: Array<[number, number, number]> = [];
  for (const [i, c] of counts.entries())
    for (let k = 0; k < 3; k++) pairs.push([i, k, (fr[k] as number) * c - Math.floor((fr[k] as number) * c)]);
  pairs.sort((p, q) => q[2] - p[2] || p[0] - q[0] || p[1] - q[1]);
  const give = (i: number, k: number): void => {
    (alloc[i] as number[])[k]++;
    left[i] = (left[i] as number) - 1;
    need[k] = (need[k] as number) - 1;
  };
  for (const [i, k] of pairs)
    if ((need[k] as number) > 0 && (left[i] as number) > 0 && (fr[k] as number) > 0) give(i, k);
  // Whatever greedy could not place goes to any part still short.
  for (let i = 0; i < counts.length; i++) {
    for (let k = 0; k < 3; k++) while ((left[i] as number) > 0 && (need[k] as number) > 0) give(i, k);
  }
  return alloc;
}

/**
 * Stratified, reproducible train/val/test split: each class is shuffled with the seed and
 * divided in the given fractions (largest-remainder rounding), so every part keeps the class
 * balance of the whole, as scikit-learn's stratified splitters do.
 * @param labels class index per sample.
 * @returns ascending index arrays for each part.
 */
export function stratifiedSplit(labels: LabelsLike, options: StratifiedSplitOptions = {}): SplitIndices {
  const y = labelsToArray(labels, 'stratifiedSplit');
  const fr = fractionsOf(options.fractions ?? [0.7, 0.15, 0.15]);
  const rng = makeRng(options.seed ?? 0);
  const byClass = new Map<number, number[]>();
  for (const [i, c] of y.entries()) {
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const alloc = allocate(
    classes.map((c) => (byClass.get(c) as number[]).length),
    fr,
  );
  const out: SplitIndices = { train: [], val: [], test: [] };
  for (const [ci, c] of classes.entries()) {
    const idx = rng.shuffle(byClass.get(c) as number[]);
    const [a, b] = alloc[ci] as [number, number, number];
    out.train.push(...idx.slice(0, a));
    out.val.push(...idx.slice(a, a + b));
    out.test.push(...idx.slice(a + b));
  }
  for (const part of [out.train, out.val, out.test]) part.sort((p, q) => p - q);
  return out;
}

/** Number of samples of each class 0..numClasses-1. */
export function classCounts(labels: LabelsLike, numClasses?: number): number[] {
  const y = labelsToArray(labels, 'classCounts');
  const k = numClasses ?? (y.length ? Math.max(...y) + 1 : 0);
  const counts = new Array<number>(k).fill(0);
  for (const c of y) {
    if (c >= k) throw new Error(`classCounts: label ${c} is out of range for numClasses = ${k}`);
    counts[c] = (counts[c] as number) + 1;
  }
  return counts;
}

/** Options of {@link classWeights}. */
export interface ClassWeightOptions {
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
  /**
   * 'balanced' (default): n / (K * count_k), scikit-learn's `compute_class_weight('balanced')`.
   * 'complement': (n - count_k) / n, the form of document 004 (weights [3876/5218, 1342/5218]
   * for 1,342 NORMAL vs 3,876 PNEUMONIA).
   */
  mode?: 'balanced' | 'complement';
}

/**
 * Class weights from label counts, for weighted cross-entropy on imbalanced data.
 * Throws (naming the class) when a class has no samples, as a weight for it is meaningless.
 * @returns one weight per class.
 */
export function classWeights(labels: LabelsLike, options: ClassWeightOptions = {}): number[] {
  const { mode = 'balanced' } = options;
  checkOneOf(mode, ['balanced', 'complement'], 'mode', 'classWeights');
  if (options.numClasses !== undefined) checkPositiveInt(options.numClasses, 'numClasses', 'classWeights');
  const counts = classCounts(labels, options.numClasses);
  const n = counts.reduce((s, c) => s + c, 0);
  if (n === 0) throw new Error('classWeights: no labels given');
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) {
    throw new Error(
      `classWeights: class ${empty} has no samples (counts [${counts.join(', ')}]); a single-class dataset cannot be weighted`,
    );
  }
  return counts.map((c) => (mode === 'balanced' ? n / (counts.length * c) : (n - c) / n));
}
