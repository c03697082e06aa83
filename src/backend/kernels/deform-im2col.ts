/**
 * The forward half of deformable convolution v2 on cpu and wasm: the bilinear im2col gather of
 * `deform-conv-math.ts` as a kernel; the product with the weights stays on the backend's matMul
 * (XNNPACK on wasm). `deformConv2d` (layers) wires it with `tf.customGrad`.
 */
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { deformIm2col, geometryAttr } from './deform-conv-math';
import { fromValues, viewFloat } from './util';

/** Kernel name of the bilinear im2col gather: inputs `x, offset[, mask]`, attrs `{ geometry }` → `cols`. */
export const DEFORM_IM2COL = 'MedinetsDeformIm2Col';

/** `cols [N*Ho*Wo, kh*kw*Cin]` from `x [N,H,W,Cin]`, `offset [N,Ho,Wo,2GK]`, `mask [N,Ho,Wo,GK]`. */
export function deformIm2colKernel(args: {
  inputs: { x: TensorInfo; offset: TensorInfo; mask?: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const g = geometryAttr(args.attrs);
  // The views alias the wasm heap: they are read before the output is allocated.
  const mask = inputs.mask ? viewFloat(backend, inputs.mask) : null;
  const cols = deformIm2col(g, viewFloat(backend, inputs.x), viewFloat(backend, inputs.offset), mask);
  return fromValues(backend, [g.n * g.ho * g.wo, g.kh * g.kw * g.cin], cols);
}
