import type { KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { resizeBilinearGrad } from './resize-grad';

/** ResizeBilinearGrad for cpu. */
export const resizeBilinearGradCpuEntry: KernelEntry = {
  kernelName: 'ResizeBilinearGrad',
  backendName: 'cpu',
  kind: 'fix',
  why: 'stock ignores halfPixelCenters (gradient silently wrong); exact adjoint of the forward',
  make: () => resizeBilinearGrad as unknown as KernelFunc,
};
