import type { KernelFunc } from '@tensorflow/tfjs-core';
import { maxPoolGrad } from './pool-grad';
import type { KernelEntry } from './registry';

/** MaxPoolGrad for wasm. */
export const maxPoolGradWasmEntry: KernelEntry = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kind: 'fix',
  why: 'stock routes dy wrongly when a window maximum is <= 0; first-maximum scatter in the native addon when loaded, else in JS',
  make: () => maxPoolGrad as unknown as KernelFunc,
};
