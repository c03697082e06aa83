import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { alloc, view } from './util';

/**
 * out[s, ...] = sum of x[i, ...] over i with segmentIds[i] = s (ids outside [0, numSegments)
 * are dropped). The gradient of `tf.gather`.
 */
export function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const numSegments = args.attrs.numSegments as number;
  const { x, segmentIds } = inputs;
  const nIds = tf.util.sizeFromShape(segmentIds.shape);
  const inner = tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = alloc(backend, outShape, x.dtype);
  const xs = view(backend, x);
  const ids = view(backend, segmentIds);
  const o = out.data;
  o.fill(0);
  for (let i = 0; i < nIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const ob = s * inner;
    const xb = i * inner;
    for (let j = 0; j < inner; j++) o[ob + j] += xs[xb + j];
  }
  return out.info;
}

/** Gather along one axis with block copies; batchDims > 0 goes to the stock kernel. */
export function gatherV2(
  args: { inputs: { x: TensorInfo; indices: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs;
  const batchDims = (attrs.batchDims as number | undefined) ?? 0;
  if ((batchDims !== 0 || x.dtype === 'string' || x.dtype === 'complex64') && stock != null) {
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const dim = x.shape[axis] as number;
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const nIdx = tf.util.sizeFromShape(indices.shape);
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = alloc(backend, outShape, x.dtype);
  const xs = view(backend, x);
  const idx = view(backend, indices);
  const o = out.data;
  for (let i = 0; i < nIdx; i++) {
    const k = idx[i] as number;
    if (k < 0 || k >= dim) throw new Error(`GatherV2: index ${k} is not in [0, ${dim})`);
  }
  let p = 0;
  for (let a = 0; a < outer; a++) {
    const xb = a * dim * inner;
    for (let i = 0; i < nIdx; i++) {
      const src = xb + (idx[i] as number) * inner;
      if (inner >= 16) {
        o.set(xs.subarray(src, src + inner), p);
      } else {
        for (let j = 0; j < inner; j++) o[p + j] = xs[src + j] as number;
      }
      p += inner;
    }
  }
  return out.info;
}

/**
 * Gradient of `tf.gatherND` (tfjs registers none): scatter dy back to the gathered
 * positions, summing repeats. The indices get no gradient.
 */
export const gatherNdGradient: tf.GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved as [tf.Tensor, tf.Tensor];
    const g = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
    return {
      params: () => tf.scatterND(indices, g, params.shape),
      indices: () => tf.zerosLike(indices),
    };
  },
};
