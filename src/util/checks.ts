/**
 * Boundary validation shared by every folder: each error names the function, the argument
 * and what was expected, so a user can fix the call without reading our source.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Throw unless `x` has one of the given ranks. */
export function checkRank(x: tf.Tensor, ranks: number | number[], arg: string, fn: string): void {
  const ok = Array.isArray(ranks) ? ranks : [ranks];
  if (!ok.includes(x.rank)) {
    const want = ok.map((r) => `${r}-D`).join(' or ');
    throw new Error(`${fn}: '${arg}' must be a ${want} tensor; got shape [${x.shape.join(', ')}]`);
  }
}

/** Throw unless `x` is a float32 tensor. */
export function checkFloat(x: tf.Tensor, arg: string, fn: string): void {
  if (x.dtype !== 'float32') throw new Error(`${fn}: '${arg}' must be float32; got ${x.dtype}`);
}

/** Throw unless `value` is a finite number within [lo, hi] (either bound may be open). */
export function checkRange(
  value: number,
  arg: string,
  fn: string,
  { lo = -Infinity, hi = Infinity, loOpen = false, hiOpen = false } = {},
): void {
  const okLo = loOpen ? value > lo : value >= lo;
  const okHi = hiOpen ? value < hi : value <= hi;
  if (typeof value !== 'number' || Number.isNaN(value) || !okLo || !okHi) {
    const l = lo === -Infinity ? '(-inf' : `${loOpen ? '(' : '['}${lo}`;
    const h = hi === Infinity ? 'inf)' : `${hi}${hiOpen ? ')' : ']'}`;
    throw new Error(`${fn}: '${arg}' must be a number in ${l}, ${h}; got ${value}`);
  }
}

/** Throw unless `value` is a positive integer. */
export function checkPositiveInt(value: number, arg: string, fn: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${fn}: '${arg}' must be a positive integer; got ${value}`);
  }
}

/** An integer from `lo` to `hi` inclusive. */
export function checkIntRange(value: number, lo: number, hi: number, arg: string, fn: string): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new Error(`${fn}: '${arg}' must be an integer from ${lo} to ${hi}; got ${String(value)}`);
  }
}

/** Throw unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(value: T, allowed: readonly T[], arg: string, fn: string): void {
  if (!allowed.includes(value)) {
    throw new Error(
      `${fn}: '${arg}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got '${value}'`,
    );
  }
}

/** Throw unless two tensors agree on the batch (first) dimension. */
export function checkSameBatch(a: tf.Tensor, b: tf.Tensor, argA: string, argB: string, fn: string): void {
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(
      `${fn}: '${argA}' and '${argB}' must have the same batch size; got ${a.shape[0]} and ${b.shape[0]}`,
    );
  }
}
