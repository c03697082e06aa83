import type { KernelFunc } from '@tensorflow/tfjs-core';
import { DEFORM_IM2COL, deformIm2colKernel } from './deform-im2col';
import type { KernelEntry } from './registry';

/** The deformable im2col for cpu. */
export const deformIm2colCpuEntry: KernelEntry = {
  kernelName: DEFORM_IM2COL,
  backendName: 'cpu',
  kind: 'missing',
  why: 'tfjs has no deformable convolution; the composed-ops version (gathers) is several times slower. JS bilinear im2col, torchvision sampling',
  make: () => deformIm2colKernel as unknown as KernelFunc,
};
