import type { KernelFunc } from '@tensorflow/tfjs-core';
import { avgPoolGradNHWC, orStock } from './heap-copy';
import type { KernelEntry } from './registry';

/** AvgPoolGrad for wasm. */
export const avgPoolGradWasmEntry: KernelEntry = {
  kernelName: 'AvgPoolGrad',
  backendName: 'wasm',
  kind: 'speed',
  why: "tfjs cpu's arithmetic (the same bits) with each pixel's covering windows found once and the channels innermost",
  make: (stock) => orStock(avgPoolGradNHWC, stock, 'AvgPoolGrad') as unknown as KernelFunc,
};
