import type { KernelFunc } from '@tensorflow/tfjs-core';
import { depthwiseBackpropFilter } from './depthwise-grad';
import type { KernelEntry } from './registry';

/** DepthwiseConv2dNativeBackpropFilter for wasm (absent from tfjs-backend-wasm). */
export const depthwiseConv2dBackpropFilterWasmEntry: KernelEntry = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kind: 'missing',
  why: 'absent on wasm (depthwise / separable convolutions); direct JS loops',
  make: () => depthwiseBackpropFilter as unknown as KernelFunc,
};
