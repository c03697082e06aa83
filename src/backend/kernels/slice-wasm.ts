import type { KernelFunc } from '@tensorflow/tfjs-core';
import { orStock, sliceRuns } from './heap-copy';
import type { KernelEntry } from './registry';

/** Slice for wasm. */
export const sliceWasmEntry: KernelEntry = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kind: 'speed',
  why: 'stock copies value by value; runs of contiguous values moved with one copyWithin each on the heap',
  make: (stock) => orStock(sliceRuns, stock, 'Slice') as unknown as KernelFunc,
};
