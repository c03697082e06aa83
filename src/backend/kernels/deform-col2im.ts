/**
 * The backward half of deformable convolution v2 on cpu and wasm: the col2im scatter of
 * `deform-conv-math.ts` (the adjoint of the im2col gather), which also yields the offset and
 * mask gradients.
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { deformCol2im, geometryAttr } from './deform-conv-math';
import type { KernelEntry } from './registry';
import { fromValues, viewFloat, type KernelTarget } from './util';

/**
 * Kernel name of the col2im scatter: inputs `x, offset, dcols[, mask]`, attrs `{ geometry }` →
 * `dx, dOffset[, dMask]`.
 */
export const DEFORM_COL2IM = 'MedinetsDeformCol2Im';

function col2im(args: {
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

const entry = (backendName: KernelTarget): KernelEntry => ({
  kernelName: DEFORM_COL2IM,
  backendName,
  kind: 'missing',
  why: 'the gradient of MedinetsDeformIm2Col: one JS col2im scatter gives dx, dOffset and dMask',
  make: () => col2im as unknown as KernelFunc,
});

/** The deformable col2im kernel for wasm and cpu. */
export const deformCol2imEntries: KernelEntry[] = [entry('wasm'), entry('cpu')];
