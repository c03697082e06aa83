import type { KernelFunc } from '@tensorflow/tfjs-core';
import { DEFORM_DX_BAND, deformDxBandWebgl } from './deform-webgl';
import type { KernelEntry } from './registry';

/** The input gradient of deformable convolution for webgl, one band of rows. */
export const deformDxBandWebglEntry: KernelEntry = {
  kernelName: DEFORM_DX_BAND,
  backendName: 'webgl',
  kind: 'missing',
  why: 'gradients of the webgl deformable convolution; WebGL has no atomic scatter. GLSL gather over the sampling points whose bilinear cell can hold each pixel',
  make: () => deformDxBandWebgl as unknown as KernelFunc,
};
