import type { KernelFunc } from '@tensorflow/tfjs-core';
import { DEFORM_IM2COL_TILE, deformIm2colTileWebgl } from './deform-webgl';
import type { KernelEntry } from './registry';

/** The deformable im2col for webgl, one tile of output rows. */
export const deformIm2colTileWebglEntry: KernelEntry = {
  kernelName: DEFORM_IM2COL_TILE,
  backendName: 'webgl',
  kind: 'missing',
  why: 'tfjs has no deformable convolution and the composed version needs rank-5 Where (absent on webgl) and every sampling point at once. GLSL bilinear gather per tile',
  make: () => deformIm2colTileWebgl as unknown as KernelFunc,
};
