import type { KernelFunc } from '@tensorflow/tfjs-core';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';
import { conv2DBackpropInputWasm } from './wasm-conv';

/** Conv2DBackpropInput for wasm. */
export const conv2DBackpropInputWasmEntry: KernelEntry = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kind: 'speed',
  why: 'stock is a naive loop; the native addon when loaded, else one XNNPACK product W dy^T + col2im where the images are small against the filter, or XNNPACK Conv2Ds of dy with each stride phase of the flipped filter (sub-pixel)',
  make: () => withNative('Conv2DBackpropInput', conv2DBackpropInputWasm as unknown as KernelFunc),
};
