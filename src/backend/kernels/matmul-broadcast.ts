import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, type KernelTarget, release } from './util';

/**
 * The batch dimensions of a BatchMatMul's operands, left-padded with 1s to one rank, and
 * their numpy-style broadcast; null when they do not broadcast.
 */
export interface MatMulBatch {
  padA: number[];
  padB: number[];
  outer: number[];
}

/** The broadcast of the batch dimensions of `a` and `b` (all but the last two axes). */
export function matMulBatch(aShape: readonly number[], bShape: readonly number[]): MatMulBatch | null {
  const oa = aShape.slice(0, -2);
  const ob = bShape.slice(0, -2);
  const rank = Math.max(oa.length, ob.length);
  const padA = [...new Array<number>(rank - oa.length).fill(1), ...oa];
  const padB = [...new Array<number>(rank - ob.length).fill(1), ...ob];
  const outer: number[] = [];
  for (let d = 0; d < rank; d++) {
    const x = padA[d] as number;
    const y = padB[d] as number;
    if (x !== y && x !== 1 && y !== 1) return null;
    outer.push(x === 1 ? y : x);
  }
  return { padA, padB, outer };
}

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Whether tfjs' stock kernels get this broadcast right: they read batch `i % batch` of each
 * operand, which is correct only when one operand has the whole output batch and the other
 * is 1s followed by the output's trailing extents.
 */
function stockHandles(b: MatMulBatch): boolean {
  const suffix = (p: number[]): boolean => {
    let j = 0;
    while (j < p.length && p[j] === 1) j++;
    return p.slice(j).every((v, i) => v === b.outer[j + i]);
  };
  return (same(b.padA, b.outer) && suffix(b.padB)) || (same(b.padB, b.outer) && suffix(b.padA));
}

/** x [...pad, r, c] repeated along its broadcast axes to [...outer, r, c] (a new tensor). */
function expand(
  backendName: KernelTarget,
  backend: KernelBackend,
  x: TensorInfo,
  pad: number[],
  outer: number[],
): TensorInfo {
  const mat = x.shape.slice(-2);
  const shaped = callKernel('Reshape', backendName, backend, { x }, { shape: [...pad, ...mat] });
  const reps = [...outer.map((o, d) => o / (pad[d] as number)), 1, 1];
  const tiled = callKernel('Tile', backendName, backend, { x: shaped }, { reps });
  release(backend, shaped);
  return tiled;
}

type MatMulArgs = {
  inputs: Record<string, TensorInfo | undefined>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
};

/**
 * A BatchMatMul / _FusedMatMul fallback that first repeats the operands to the full output
 * batch when the stock kernel would compute the broadcast wrongly (tfjs 4.22 on cpu and wasm:
 * `[2,1,m,k] x [1,4,k,n]`, `[2,3,m,k] x [2,1,k,n]`).
 */
export function withBroadcast<R>(
  backendName: KernelTarget,
  kernel: (args: MatMulArgs) => R,
): (args: MatMulArgs) => R {
  return (args) => {
    const { a, b } = args.inputs;
    if (a == null || b == null || a.shape.length < 2 || b.shape.length < 2) return kernel(args);
    const bt = matMulBatch(a.shape, b.shape);
    if (bt == null || stockHandles(bt)) return kernel(args);
    const ea = expand(backendName, args.backend, a, bt.padA, bt.outer);
    const eb = expand(backendName, args.backend, b, bt.padB, bt.outer);
    try {
      return kernel({ ...args, inputs: { ...args.inputs, a: ea, b: eb } });
    } finally {
      release(args.backend, ea);
      release(args.backend, eb);
    }
  };
}

/** The gradient of x's broadcast use: dx summed over the axes x was repeated along. */
function unbroadcast(dx: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (same(dx.shape, shape)) return dx;
  const lead = dx.rank - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < dx.rank - 2; d++) if (d < lead || shape[d - lead] === 1) axes.push(d);
  return tf.reshape(tf.sum(dx, axes), [...shape]);
}

/**
 * BatchMatMul's gradient with broadcast batch dimensions (tfjs' own returns gradients of the
 * output's batch shape, which the engine rejects): the stock formulas, each summed back to
 * its operand's shape.
 */
export const batchMatMulGradient: GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const g = dy as tf.Tensor;
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    const da = (): tf.Tensor => (tA ? tf.matMul(b, g, tB, true) : tf.matMul(g, b, false, !tB));
    const db = (): tf.Tensor => (tB ? tf.matMul(g, a, true, tA) : tf.matMul(a, g, !tA, false));
    return { a: () => unbroadcast(da(), a.shape), b: () => unbroadcast(db(), b.shape) };
  },
};
