import type { KernelFunc } from '@tensorflow/tfjs-core';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';
import { conv2DBackpropFilterWasm } from './wasm-conv';

/** Conv2DBackpropFilter for wasm (absent from tfjs-backend-wasm). */
export const conv2DBackpropFilterWasmEntry: KernelEntry = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kind: 'missing',
  why: 'absent on wasm; the native addon when loaded, else one XNNPACK Conv2D with the batch moved into channels, dy as a stride-dilated filter',
  make: () => withNative('Conv2DBackpropFilter', conv2DBackpropFilterWasm as unknown as KernelFunc),
};
