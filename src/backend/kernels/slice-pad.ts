import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { alloc, view } from './util';

type Args = { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * Copy the box `begin .. begin + size` of a row-major array of `shape` into `out` at
 * `outBegin` of `outShape` (equal ranks), as contiguous runs: every axis after the last one
 * the box does not span whole is copied as one block by TypedArray.set (a memcpy), so a
 * batch of NHWC images moves as rows of W x C values instead of element by element.
 */
export function copyBox(
  src: Float32Array | Int32Array | Uint8Array,
  shape: number[],
  begin: number[],
  size: number[],
  dst: Float32Array | Int32Array | Uint8Array,
  outShape: number[],
  outBegin: number[],
): void {
  const rank = shape.length;
  // the innermost axis the box (and its place in the output) does not cover whole
  let k = rank - 1;
  while (k > 0 && size[k] === shape[k] && size[k] === outShape[k]) k--;
  const sStr = tf.util.computeStrides(shape);
  const dStr = tf.util.computeStrides(outShape);
  sStr.push(1);
  dStr.push(1);
  const run = (size[k] as number) * (sStr[k] as number);
  // A large float32 copy goes to the addon as a list of runs, copied on its threads (bound by
  // memory bandwidth, which two cores' streams raise); the same values either way.
  const addon =
    src instanceof Float32Array &&
    dst instanceof Float32Array &&
    tf.util.sizeFromShape(size) >= NATIVE_COPY_MIN &&
    Math.max(src.length, dst.length) < 2 ** 31
      ? activeAddon()
      : null;
  const runs: number[] = [];
  const rec = (dim: number, so: number, dO: number): void => {
    const s = so + (begin[dim] as number) * (sStr[dim] as number);
    const d = dO + (outBegin[dim] as number) * (dStr[dim] as number);
    if (dim === k) {
      if (addon?.copyRuns != null) runs.push(s, d, run);
      else dst.set(src.subarray(s, s + run), d);
      return;
    }
    for (let i = 0; i < (size[dim] as number); i++)
      rec(dim + 1, s + i * (sStr[dim] as number), d + i * (dStr[dim] as number));
  };
  rec(0, 0, 0);
  if (runs.length > 0) addon?.copyRuns?.(src as Float32Array, dst as Float32Array, Int32Array.from(runs));
}

// Values from which copyBox hands a float32 copy to the addon (64K: 256 KB, where the pool's
// hand-off is repaid).
const NATIVE_COPY_MIN = 65536;

/**
 * Write `value` into the padding of a row-major array of `outShape` whose interior (the box
 * after `paddings[i][0]` of each axis) a copy fills: each axis' leading and trailing slabs
 * are contiguous runs, and the axes after the last padded one are not walked.
 */
export function fillPadding(
  dst: Float32Array | Int32Array | Uint8Array,
  outShape: number[],
  paddings: [number, number][],
  value: number,
): void {
  const rank = outShape.length;
  const strides = tf.util.computeStrides(outShape);
  strides.push(1);
  let last = rank - 1; // the last axis with padding
  while (last >= 0 && (paddings[last]?.[0] ?? 0) === 0 && (paddings[last]?.[1] ?? 0) === 0) last--;
  const rec = (dim: number, o: number): void => {
    const [lo, hi] = paddings[dim] ?? [0, 0];
    const st = strides[dim] as number;
    const len = outShape[dim] as number;
    if (lo > 0) dst.fill(value, o, o + lo * st);
    if (hi > 0) dst.fill(value, o + (len - hi) * st, o + len * st);
    if (dim < last) for (let i = lo; i < len - hi; i++) rec(dim + 1, o + i * st);
  };
  if (last >= 0) rec(0, 0);
}

const plain = (t: TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

/**
 * Slice on cpu by block copies. The stock kernel returns a view for a contiguous slice but
 * copies any other one element by element through TensorBuffer index arithmetic: ~0.8 us per
 * element, 10.8 s of ResNet-50's batch-16 training step in the one Slice that is the
 * gradient of the stem's ZeroPadding2D. Contiguous slices, strings and bools stay stock.
 */
export function sliceByBlocks(args: Args, stock: KernelConfig | undefined): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x,
    attrs.begin as number | number[],
    attrs.size as number | number[] | undefined,
  ) as [number[], number[]];
  tf.slice_util.assertParamsValid(x, begin, size);
  const n = tf.util.sizeFromShape(size);
  if (!plain(x) || n === 0 || x.shape.length === 0 || tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    if (stock == null) throw new Error('medinets: no stock Slice kernel');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const out = alloc(backend, size, x.dtype);
  copyBox(view(backend, x), x.shape, begin, size, out.data, size, new Array<number>(size.length).fill(0));
  return out.info;
}

/**
 * PadV2 into a new tensor on `backend`: the constant written into the padding
 * ({@link fillPadding}; an int32 output stores it truncated, as the stock kernel's Int32Array
 * would), x copied into the rest as contiguous runs ({@link copyBox}). The output need not be
 * zeroed (the wasm heap is not).
 */
export function padInto(
  backend: KernelBackend,
  x: TensorInfo,
  paddings: [number, number][],
  value: number,
): TensorInfo {
  const outShape = x.shape.map((d, i) => (paddings[i]?.[0] ?? 0) + d + (paddings[i]?.[1] ?? 0));
  const out = alloc(backend, outShape, x.dtype);
  fillPadding(out.data, outShape, paddings, value);
  // x's view after the allocation: on wasm it may move the heap
  const zeros = new Array<number>(x.shape.length).fill(0);
  copyBox(
    view(backend, x),
    x.shape,
    zeros,
    x.shape,
    out.data,
    outShape,
    paddings.map((p) => p[0]),
  );
  return out.info;
}

/**
 * PadV2 on cpu by block copies ({@link padInto}). The stock kernel moves every element through
 * per-element index arithmetic (2.1 s per ResNet-50 batch-16 forward for its two ZeroPadding2D
 * layers).
 */
export function padByBlocks(args: Args, stock: KernelConfig | undefined): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (!plain(x) || x.shape.length === 0 || tf.util.sizeFromShape(x.shape) === 0) {
    if (stock == null) throw new Error('medinets: no stock PadV2 kernel');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  return padInto(
    backend,
    x,
    attrs.paddings as [number, number][],
    (attrs.constantValue as number | undefined) ?? 0,
  );
}
