import type { KernelFunc } from '@tensorflow/tfjs-core';
import { DEFORM_OFFSET_GRAD_TILE, deformOffsetGradTileWebgl } from './deform-webgl';
import type { KernelEntry } from './registry';

/** The offset and mask gradients of deformable convolution for webgl, per tile. */
export const deformOffsetGradTileWebglEntry: KernelEntry = {
  kernelName: DEFORM_OFFSET_GRAD_TILE,
  backendName: 'webgl',
  kind: 'missing',
  why: 'gradients of the webgl deformable convolution. GLSL reduction over the channels of the offset group per sampling point',
  make: () => deformOffsetGradTileWebgl as unknown as KernelFunc,
};
