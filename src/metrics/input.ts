/**
 * Conversion of metric inputs (plain arrays, typed arrays or tensors) to flat Float64Arrays,
 * and the zero-division warning channel every metric shares.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Labels or scores: a plain array, a typed array, or a tensor (its data is read synchronously). */
export type ArrayLike1D = ArrayLike<number> | tf.Tensor;

/**
 * A score matrix for multi-class metrics: `[n][K]` nested arrays, or a `[n, K]` tensor.
 */
export type ArrayLike2D = ArrayLike<ArrayLike<number>> | tf.Tensor;

/** What a metric reports when a quantity is ill-defined (scikit-learn's `UndefinedMetricWarning`). */
export interface MetricWarning {
  /** The metric that hit the undefined case, e.g. `'precision'`. */
  metric: string;
  /** A sentence saying what was undefined and which value was used instead. */
  message: string;
}

/** Options shared by every metric that can divide by zero. */
export interface ZeroDivisionOptions {
  /**
   * Value used where a ratio is 0/0 (scikit-learn's `zero_division`). Default 0, as scikit-learn's
   * `'warn'` default returns 0.
   */
  zeroDivision?: 0 | 1;
  /**
   * Called once per ill-defined quantity (the JavaScript counterpart of scikit-learn's
   * `UndefinedMetricWarning`). Default: silent; pass `console.warn` to log them.
   */
  onWarning?: (warning: MetricWarning) => void;
}

function isTensor(x: unknown): x is tf.Tensor {
  return typeof x === 'object' && x !== null && 'dataSync' in x && 'shape' in x && 'dtype' in x;
}

/** Flatten any supported 1-D input to a Float64Array (a tensor of any rank is flattened). */
export function toFloat64(x: ArrayLike1D, arg: string, fn: string): Float64Array {
  if (isTensor(x)) return Float64Array.from(x.dataSync() as ArrayLike<number>);
  if (x == null || typeof (x as ArrayLike<number>).length !== 'number') {
    throw new Error(`${fn}: '${arg}' must be an array, a typed array or a tensor`);
  }
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number') throw new Error(`${fn}: '${arg}[${i}]' must be a number; got ${typeof v}`);
    out[i] = v;
  }
  return out;
}

/** A row-major matrix: `data[i * cols + j]`. */
export interface Matrix {
  /** Row-major values. */
  data: Float64Array;
  /** Number of rows (samples). */
  rows: number;
  /** Number of columns (classes). */
  cols: number;
}

/**
 * Read a 2-D input; a 1-D input becomes a one-column matrix so binary scores and
 * `[n, 1]` sigmoid outputs share one code path.
 */
export function toMatrix(x: ArrayLike2D | ArrayLike1D, arg: string, fn: string): Matrix {
  if (isTensor(x)) {
    if (x.rank > 2) throw new Error(`${fn}: '${arg}' must be 1-D or 2-D; got shape [${x.shape.join(', ')}]`);
    const data = Float64Array.from(x.dataSync() as ArrayLike<number>);
    const cols = x.rank === 2 ? (x.shape[1] as number) : 1;
    return { data, rows: x.rank === 0 ? 1 : (x.shape[0] as number), cols };
  }
  const rows = x.length;
  if (rows > 0 && typeof x[0] === 'object' && x[0] !== null) {
    const m = x as ArrayLike<ArrayLike<number>>;
    const cols = (m[0] as ArrayLike<number>).length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = m[i] as ArrayLike<number>;
      if (row.length !== cols)
        throw new Error(`${fn}: '${arg}' rows must all have ${cols} columns; row ${i} has ${row.length}`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j] as number;
    }
    return { data, rows, cols };
  }
  const data = toFloat64(x as ArrayLike<number>, arg, fn);
  return { data, rows: data.length, cols: 1 };
}

/** Throw unless two inputs have the same number of samples. */
export function checkSameLength(
  a: { length: number },
  b: { length: number },
  argA: string,
  argB: string,
  fn: string,
): void {
  if (a.length !== b.length) {
    throw new Error(
      `${fn}: '${argA}' and '${argB}' must have the same length; got ${a.length} and ${b.length}`,
    );
  }
}

/** Sorted distinct values of the given arrays (scikit-learn's `unique_labels` for numeric labels). */
export function uniqueLabels(...arrays: Float64Array[]): number[] {
  const set = new Set<number>();
  for (const a of arrays) for (const v of a) set.add(v);
  return [...set].sort((p, q) => p - q);
}

/** Emit a warning through the user's hook, if any. */
export function warn(opts: ZeroDivisionOptions | undefined, metric: string, message: string): void {
  opts?.onWarning?.({ metric, message });
}
