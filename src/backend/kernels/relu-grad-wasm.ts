import type { KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { RELU_GRAD_KERNEL, reluGrad } from './relu-grad';

/** The ReLU / ReLU6 gradient in one pass for wasm. */
export const reluGradWasmEntry: KernelEntry = {
  kernelName: RELU_GRAD_KERNEL,
  backendName: 'wasm',
  kind: 'speed',
  why: "ReLU/ReLU6 gradients in one pass (the addon's loop when loaded) instead of Step, Cast and Multiply",
  make: () => reluGrad as unknown as KernelFunc,
};
