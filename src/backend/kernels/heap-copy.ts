import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { copyBox, padInto } from './slice-pad';
import { allocFloat, viewFloat } from './util';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * Slice of a float32 tensor on wasm as runs of contiguous values (the trailing axes the slice
 * keeps whole, times the last axis it cuts), each moved with one copy on the heap (cpu's
 * {@link copyBox}): the stock kernel walks the values one by one (MobileNetV2's four
 * ZeroPadding2D gradients took 10 ms a step). Null when not float32 or empty (the stock
 * kernel takes those).
 */
export function sliceRuns(args: Args): TensorInfo | null {
  const { backend, attrs } = args;
  const x = args.inputs.x;
  if (x == null || x.dtype !== 'float32') return null;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x,
    attrs.begin as number[],
    attrs.size as number[] | undefined,
  ) as [number[], number[]];
  if (x.shape.length === 0 || size.some((s) => s <= 0)) return null;
  const out = allocFloat(backend, size);
  // the input's view after the allocation: it may grow (and so replace) the heap
  copyBox(
    viewFloat(backend, x),
    x.shape,
    begin,
    size,
    out.data,
    size,
    new Array<number>(size.length).fill(0),
  );
  return out.info;
}

/**
 * PadV2 of a float32 tensor on wasm ({@link padInto}: the constant into the padding, the input
 * copied into the rest as runs of contiguous values). The stock kernel moves the
 * values one by one (MobileNetV2's four ZeroPadding2D layers took 2.6 ms of a 32 ms batch-8
 * inference). Null when not float32 or empty (the stock kernel takes those).
 */
export function padRuns(args: Args): TensorInfo | null {
  const { backend, attrs } = args;
  const x = args.inputs.x;
  if (x == null || x.dtype !== 'float32' || x.shape.length === 0 || tf.util.sizeFromShape(x.shape) === 0)
    return null;
  return padInto(
    backend,
    x,
    attrs.paddings as [number, number][],
    (attrs.constantValue as number | undefined) ?? 0,
  );
}

/**
 * AvgPoolGrad of a float32 NHWC tensor on wasm: tfjs cpu's arithmetic (each dx value the sum
 * of the dy values whose windows cover it, in the cpu kernel's window order, in float64,
 * times 1 / (window size)), so the same bits, with the covering windows found once per pixel
 * and the channels innermost. The stock wasm kernel took 16 ms of DenseNet-121's step.
 */
export function avgPoolGradNHWC(args: Args): TensorInfo | null {
  const { backend, attrs } = args;
  const dy = args.inputs.dy;
  const input = args.inputs.input;
  if (dy == null || input == null || dy.dtype !== 'float32' || input.shape.length !== 4) return null;
  const c = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same' | 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ch, outHeight: ho, outWidth: wo } = c;
  const padTop = c.effectiveFilterHeight - 1 - c.padInfo.top;
  const padLeft = c.effectiveFilterWidth - 1 - c.padInfo.left;
  const mult = 1 / (c.filterHeight * c.filterWidth);
  const out = allocFloat(backend, input.shape);
  const g = viewFloat(backend, dy);
  const dx = out.data;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let b = 0; b < n; b++)
    for (let r = 0; r < h; r++) {
      rows.length = 0;
      for (let wR = 0; wR < c.effectiveFilterHeight; wR += c.dilationHeight) {
        const y = (r - padTop + wR) / c.strideHeight;
        if (y >= 0 && y < ho && Math.floor(y) === y) rows.push(y);
      }
      for (let q = 0; q < w; q++) {
        cols.length = 0;
        for (let wC = 0; wC < c.effectiveFilterWidth; wC += c.dilationWidth) {
          const x = (q - padLeft + wC) / c.strideWidth;
          if (x >= 0 && x < wo && Math.floor(x) === x) cols.push(x);
        }
        const o = ((b * h + r) * w + q) * ch;
        if (rows.length === 1 && cols.length === 1) {
          const src = ((b * ho + (rows[0] as number)) * wo + (cols[0] as number)) * ch;
          for (let k = 0; k < ch; k++) dx[o + k] = (0 + (g[src + k] as number)) * mult; // 0 + : -0 sums to +0 there
          continue;
        }
        for (let k = 0; k < ch; k++) {
          let sum = 0;
          for (const y of rows) for (const x of cols) sum += g[((b * ho + y) * wo + x) * ch + k] as number;
          dx[o + k] = sum * mult;
        }
      }
    }
  return out.info;
}

/** A wasm kernel that runs `mine` and falls back to the stock kernel where it returns null. */
export function orStock(
  mine: (args: Args) => TensorInfo | null,
  stock: KernelConfig | undefined,
  name: string,
) {
  if (stock == null) throw new Error(`medinets: ${name} replacement needs the stock wasm kernel`);
  const fb = stock.kernelFunc as unknown as (args: Args) => TensorInfo;
  return (args: Args): TensorInfo => mine(args) ?? fb(args);
}
