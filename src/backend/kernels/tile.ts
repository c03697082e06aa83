import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { alloc, view } from './util';

/**
 * Tile by block copies: the innermost axis is copied row by row, then each outer axis
 * replicates the block just written with copyWithin.
 */
export function tile(
  args: { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
): TensorInfo {
  const { inputs, backend } = args;
  const reps = args.attrs.reps as number[];
  const { x } = inputs;
  if ((x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) && stock != null) {
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => d * (reps[i] as number));
  const out = alloc(backend, outShape, x.dtype);
  if (out.data.length === 0) return out.info;
  const xs = view(backend, x);
  const o = out.data;
  const xStr = tf.util.computeStrides(shape);
  const oStr = tf.util.computeStrides(outShape);
  xStr.push(1);
  oStr.push(1);
  const last = shape[rank - 1] as number;
  const lastReps = reps[rank - 1] as number;
  const rec = (dim: number, xo: number, oo: number): void => {
    if (dim === rank - 1) {
      for (let r = 0; r < lastReps; r++) {
        const at = oo + r * last;
        if (last >= 16) o.set(xs.subarray(xo, xo + last), at);
        else for (let j = 0; j < last; j++) o[at + j] = xs[xo + j] as number;
      }
      return;
    }
    const d = shape[dim] as number;
    for (let i = 0; i < d; i++) rec(dim + 1, xo + i * (xStr[dim] as number), oo + i * (oStr[dim] as number));
    const block = d * (oStr[dim] as number);
    for (let r = 1; r < (reps[dim] as number); r++) o.copyWithin(oo + r * block, oo, oo + block);
  };
  rec(0, 0, 0);
  return out.info;
}
