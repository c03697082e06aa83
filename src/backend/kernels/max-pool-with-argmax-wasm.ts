import type { KernelFunc } from '@tensorflow/tfjs-core';
import { maxPoolWithArgmax } from './pool-grad';
import type { KernelEntry } from './registry';

/** MaxPoolWithArgmax for wasm. */
export const maxPoolWithArgmaxWasmEntry: KernelEntry = {
  kernelName: 'MaxPoolWithArgmax',
  backendName: 'wasm',
  kind: 'fix',
  why: 'stock returns wrong maxima / indices when a window maximum is <= 0; JS first-maximum scan',
  make: () => maxPoolWithArgmax as unknown as KernelFunc,
};
