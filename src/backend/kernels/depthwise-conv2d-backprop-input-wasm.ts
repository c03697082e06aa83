import type { KernelFunc } from '@tensorflow/tfjs-core';
import { depthwiseBackpropInput } from './depthwise-grad';
import type { KernelEntry } from './registry';

/** DepthwiseConv2dNativeBackpropInput for wasm (absent from tfjs-backend-wasm). */
export const depthwiseConv2dBackpropInputWasmEntry: KernelEntry = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kind: 'missing',
  why: 'absent on wasm (depthwise / separable convolutions); direct JS loops',
  make: () => depthwiseBackpropInput as unknown as KernelFunc,
};
