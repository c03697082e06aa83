/**
 * A plain 2-D matrix product for the cpu backend, used by deformable convolution's forward and
 * backward products: the stock cpu MatMul is several times slower than the packed GEMM of
 * `gemm.ts`. wasm keeps its XNNPACK MatMul.
 */
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { sgemmAcc } from './gemm';
import { allocFloat, viewFloat } from './util';

/** Kernel name of `op(a) · op(b)` for 2-D `a`, `b` (attrs `transposeA`, `transposeB`); cpu only. */
export const DEFORM_GEMM = 'MedinetsDeformGemm';

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) t[j * rows + i] = a[r + j] as number;
  }
  return t;
}

export function deformGemmKernel(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
  const [ar, ac] = inputs.a.shape as [number, number];
  const [br, bc] = inputs.b.shape as [number, number];
  const av = viewFloat(backend, inputs.a);
  const bv = viewFloat(backend, inputs.b);
  const a = transposeA ? transpose(av, ar, ac) : av;
  const b = transposeB ? transpose(bv, br, bc) : bv;
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const n = transposeB ? br : bc;
  // A cpu output is a fresh zeroed array, so the accumulating GEMM writes the product itself.
  const out = allocFloat(backend, [m, n]);
  sgemmAcc(m, n, k, a, 0, k, b, 0, n, out.data, 0, n);
  return out.info;
}
