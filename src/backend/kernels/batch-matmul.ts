import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { release, transposeK } from './util';

function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
}

/**
 * BatchMatMul with transpose flags as an explicit Transpose then the untransposed stock
 * kernel, whose XNNPACK path is several times faster than its transposed-operand path.
 */
export function batchMatMul(
  args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig,
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  if (!transposeA && !transposeB) return stock.kernelFunc(args as never) as TensorInfo;
  const a = transposeA ? transposeK('wasm', backend, inputs.a, swapLast(inputs.a.shape.length)) : inputs.a;
  const b = transposeB ? transposeK('wasm', backend, inputs.b, swapLast(inputs.b.shape.length)) : inputs.b;
  const out = stock.kernelFunc({
    inputs: { a, b },
    backend,
    attrs: { ...attrs, transposeA: false, transposeB: false },
  }) as TensorInfo;
  if (transposeA) release(backend, a);
  if (transposeB) release(backend, b);
  return out;
}
