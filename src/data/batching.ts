import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt } from '../util/checks';
import { type Rng, makeRng } from '../util/random';

/** Options of {@link batchIndices} and {@link BatchIterator}. */
export interface BatchOptions {
  /** Samples per batch. Default 32. */
  batchSize?: number;
  /** Shuffle the order every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffle (or a generator). Default 0. */
  seed?: number | Rng;
  /** Drop a last, smaller batch. Default false. */
  dropRemainder?: boolean;
}

/**
 * One epoch's batches of indices 0..n-1, shuffled with `rng` when asked.
 * @returns an array of index arrays, each of at most `batchSize` entries.
 */
export function batchIndices(
  n: number,
  options: BatchOptions = {},
  rng: Rng = makeRng(options.seed ?? 0),
): number[][] {
  const { batchSize = 32, shuffle = true, dropRemainder = false } = options;
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`batchIndices: 'n' must be a non-negative integer; got ${n}`);
  checkPositiveInt(batchSize, 'batchSize', 'batchIndices');
  const order = Array.from({ length: n }, (_, i) => i);
  if (shuffle) rng.shuffle(order);
  const out: number[][] = [];
  for (let s = 0; s < n; s += batchSize) {
    const b = order.slice(s, s + batchSize);
    if (dropRemainder && b.length < batchSize) break;
    out.push(b);
  }
  return out;
}

/** One batch: the gathered tensors (the caller disposes them) and the indices they came from. */
export interface Batch {
  /** `[b, ...]` rows of the inputs. */
  xs: tf.Tensor;
  /** `[b, ...]` rows of the targets, or null when there are none. */
  ys: tf.Tensor | null;
  /** Which samples are in this batch. */
  indices: number[];
}

/**
 * Mini-batches over in-memory tensors, reshuffled each epoch from one seeded generator, so a
 * run repeats exactly. Iterating it once is one epoch; iterate again for the next. Each
 * yielded batch owns new tensors (`tf.gather`), which the caller disposes.
 *
 * @example
 * for (let e = 0; e < 3; e++) for (const b of it) { await model.trainOnBatch(b.xs, b.ys!); tf.dispose([b.xs, b.ys!]); }
 */
export class BatchIterator implements Iterable<Batch> {
  private readonly rng: Rng;
  /** Number of samples. */
  readonly size: number;

  /**
   * @param xs `[n, ...]` inputs.
   * @param ys `[n, ...]` targets, or null.
   */
  constructor(
    private readonly xs: tf.Tensor,
    private readonly ys: tf.Tensor | null,
    private readonly options: BatchOptions = {},
  ) {
    if (xs.rank < 1) throw new Error(`BatchIterator: 'xs' must have a batch dimension; got a scalar`);
    if (ys && ys.shape[0] !== xs.shape[0]) {
      throw new Error(
        `BatchIterator: 'xs' and 'ys' must have the same batch size; got ${xs.shape[0]} and ${ys.shape[0]}`,
      );
    }
    checkPositiveInt(options.batchSize ?? 32, 'batchSize', 'BatchIterator');
    this.size = xs.shape[0] as number;
    this.rng = makeRng(options.seed ?? 0);
  }

  /** Batches per epoch. */
  get length(): number {
    const b = this.options.batchSize ?? 32;
    return this.options.dropRemainder ? Math.floor(this.size / b) : Math.ceil(this.size / b);
  }

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<Batch> {
    for (const indices of batchIndices(this.size, this.options, this.rng)) {
      const idx = tf.tensor1d(indices, 'int32');
      const xs = tf.gather(this.xs, idx);
      const ys = this.ys ? tf.gather(this.ys, idx) : null;
      idx.dispose();
      yield { xs, ys, indices };
    }
  }
}

/** Shorthand for `new BatchIterator(xs, ys, options)`. */
export function batches(xs: tf.Tensor, ys: tf.Tensor | null, options: BatchOptions = {}): BatchIterator {
  return new BatchIterator(xs, ys, options);
}

/** Rows `indices` of each tensor (new tensors; the inputs are not disposed). */
export function takeRows<T extends tf.Tensor>(x: T, indices: ArrayLike<number>): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(Array.from(indices), 'int32')) as T);
}
