import type { KernelFunc } from '@tensorflow/tfjs-core';
import { depthwiseBackpropInput } from './depthwise-grad';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** DepthwiseConv2dNativeBackpropInput for wasm (absent from tfjs-backend-wasm). */
export const depthwiseConv2dBackpropInputWasmEntry: KernelEntry = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kind: 'missing',
  why: 'absent on wasm (depthwise / separable convolutions); the native addon when loaded, else direct JS loops',
  make: () =>
    withNative('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput as unknown as KernelFunc),
};
