import type { KernelFunc } from '@tensorflow/tfjs-core';
import { orStock, padRuns, sliceRuns } from './heap-copy';
import type { KernelEntry } from './registry';

/** Slice for wasm. */
export const sliceWasmEntry: KernelEntry = {
  kernelName: 'Slice',
  backendName: 'wasm',
  kind: 'speed',
  why: 'stock copies value by value; runs of contiguous values moved with one copyWithin each on the heap',
  make: (stock) => orStock(sliceRuns, stock, 'Slice') as unknown as KernelFunc,
};

/** PadV2 for wasm. */
export const padV2WasmEntry: KernelEntry = {
  kernelName: 'PadV2',
  backendName: 'wasm',
  kind: 'speed',
  why: 'stock copies value by value; a fill and runs of contiguous values copied on the heap',
  make: (stock) => orStock(padRuns, stock, 'PadV2') as unknown as KernelFunc,
};
