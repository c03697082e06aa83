import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, viewFloat } from './util';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: KernelBackend; attrs: NamedAttrMap };

/** A view of the whole wasm heap and the float offset of a tensor's data in it. */
function heapOf(backend: KernelBackend, t: TensorInfo): { heap: Float32Array; at: number } {
  const v = viewFloat(backend, t);
  return { heap: new Float32Array(v.buffer), at: v.byteOffset / 4 };
}

/**
 * Slice of a float32 tensor on wasm as runs of contiguous values (the trailing axes the slice
 * keeps whole, times the last axis it cuts), each moved with one copyWithin on the heap: the
 * stock kernel walks the values one by one (MobileNetV2's four ZeroPadding2D gradients took
 * 10 ms a step). Null when not float32 or empty (the stock kernel takes those).
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
  const shape = x.shape;
  const rank = shape.length;
  if (rank === 0 || size.some((s) => s <= 0)) return null;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d] as number;
  }
  // the run: whole trailing axes, then the last cut axis's span of them
  let d = rank - 1;
  let run = 1;
  while (d >= 0 && begin[d] === 0 && size[d] === shape[d]) run *= shape[d--] as number;
  if (d >= 0) run *= size[d] as number;
  const out = allocFloat(backend, size);
  const { heap, at: xAt } = heapOf(backend, x); // after the allocation: it may move the heap
  const outAt = out.data.byteOffset / 4;
  const start = begin.reduce((acc, b, i) => acc + b * (strides[i] as number), 0);
  const outer = d <= 0 ? 1 : size.slice(0, d).reduce((a, v) => a * v, 1);
  const idx = new Array<number>(Math.max(d, 0)).fill(0);
  for (let r = 0; r < outer; r++) {
    let off = start;
    for (let i = 0; i < idx.length; i++) off += (idx[i] as number) * (strides[i] as number);
    heap.copyWithin(outAt + r * run, xAt + off, xAt + off + run);
    for (let i = idx.length - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (size[i] as number)) break;
      idx[i] = 0;
    }
  }
  return out.info;
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
