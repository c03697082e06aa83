import type { KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { resizeNearestGrad } from './resize-grad';

/** ResizeNearestNeighborGrad for cpu (wasm's is right and is kept). */
export const resizeNearestNeighborGradCpuEntry: KernelEntry = {
  kernelName: 'ResizeNearestNeighborGrad',
  backendName: 'cpu',
  kind: 'fix',
  why: 'stock is wrong for batch > 1; exact adjoint of the forward resize',
  make: () => resizeNearestGrad as unknown as KernelFunc,
};
