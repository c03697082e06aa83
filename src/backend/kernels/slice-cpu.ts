import type { KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { sliceByBlocks } from './slice-pad';

/** Slice for cpu. */
export const sliceCpuEntry: KernelEntry = {
  kernelName: 'Slice',
  backendName: 'cpu',
  kind: 'speed',
  why: 'stock copies a non-contiguous slice element by element (10.8 s of a ResNet-50 b16 step: the ZeroPadding2D gradient); JS block copies',
  make: (stock) =>
    ((a: Parameters<typeof sliceByBlocks>[0]) => sliceByBlocks(a, stock)) as unknown as KernelFunc,
};
