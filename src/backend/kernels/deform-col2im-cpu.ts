import type { KernelFunc } from '@tensorflow/tfjs-core';
import { DEFORM_COL2IM, deformCol2imKernel } from './deform-col2im';
import type { KernelEntry } from './registry';

/** The deformable col2im (im2col gradient) for cpu. */
export const deformCol2imCpuEntry: KernelEntry = {
  kernelName: DEFORM_COL2IM,
  backendName: 'cpu',
  kind: 'missing',
  why: 'the gradient of MedinetsDeformIm2Col: one JS col2im scatter gives dx, dOffset and dMask',
  make: () => deformCol2imKernel as unknown as KernelFunc,
};
