import type { KernelFunc } from '@tensorflow/tfjs-core';
import { gatherV2 } from './gather';
import type { KernelEntry } from './registry';

/** GatherV2 for wasm. */
export const gatherV2WasmEntry: KernelEntry = {
  kernelName: 'GatherV2',
  backendName: 'wasm',
  kind: 'speed',
  why: 'stock is an element-wise loop; JS block copies of the gathered slices',
  make: (stock) => ((a: Parameters<typeof gatherV2>[0]) => gatherV2(a, stock)) as unknown as KernelFunc,
};
