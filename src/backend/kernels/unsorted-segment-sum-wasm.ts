import type { KernelFunc } from '@tensorflow/tfjs-core';
import { unsortedSegmentSum } from './gather';
import type { KernelEntry } from './registry';

/** UnsortedSegmentSum for wasm (absent from tfjs-backend-wasm). */
export const unsortedSegmentSumWasmEntry: KernelEntry = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kind: 'missing',
  why: 'absent on wasm (gradient of tf.gather, e.g. embeddings); JS segment sum',
  make: () => unsortedSegmentSum as unknown as KernelFunc,
};
