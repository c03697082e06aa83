/**
 * The backward half of deformable convolution v2 on cpu and wasm: the col2im scatter of
 * `deform-conv-math.ts` (the adjoint of the im2col gather), which also yields the offset and
 * mask gradients.
 */
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { deformCol2im, geometryAttr } from './deform-conv-math';
import { fromValues, viewFloat } from './util';

/**
 * Kernel name of the col2im scatter: inputs `x, offset, dcols[, mask]`, attrs `{ geometry }` →
 * `dx, dOffset[, dMask]`.
 */
export const DEFORM_COL2IM = 'MedinetsDeformCol2Im';

export function deformCol2imKernel(args: {
  inputs: { x: TensorInfo; offset: TensorInfo; dcols: TensorInfo; mask?: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo[] {
  const { inputs, backend } = args;
  const g = geometryAttr(args.attrs);
  // The views alias the wasm heap: every result is computed before the first output is allocated.
  const mask = inputs.mask ? viewFloat(backend, inputs.mask) : null;
  const r = deformCol2im(
    g,
    viewFloat(backend, inputs.x),
    viewFloat(backend, inputs.offset),
    mask,
    viewFloat(backend, inputs.dcols),
  );
  const K = g.kh * g.kw;
  const outs = [
    fromValues(backend, [g.n, g.h, g.w, g.cin], r.dx),
    fromValues(backend, [g.n, g.ho, g.wo, 2 * g.groups * K], r.dOffset),
  ];
  if (r.dMask) outs.push(fromValues(backend, [g.n, g.ho, g.wo, g.groups * K], r.dMask));
  return outs;
}
