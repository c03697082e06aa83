import type { KernelFunc } from '@tensorflow/tfjs-core';
import { depthwiseBackpropFilter } from './depthwise-grad';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** DepthwiseConv2dNativeBackpropFilter for wasm (absent from tfjs-backend-wasm). */
export const depthwiseConv2dBackpropFilterWasmEntry: KernelEntry = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kind: 'missing',
  why: 'absent on wasm (depthwise / separable convolutions); the native addon when loaded, else direct JS loops',
  make: () =>
    withNative('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter as unknown as KernelFunc),
};
