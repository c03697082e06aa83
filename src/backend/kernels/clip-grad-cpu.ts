import type { KernelFunc } from '@tensorflow/tfjs-core';
import { CLIP_GRAD_KERNEL, clipGrad } from './clip-grad';
import type { KernelEntry } from './registry';

/** The ClipByValue gradient in one pass for cpu. */
export const clipGradCpuEntry: KernelEntry = {
  kernelName: CLIP_GRAD_KERNEL,
  backendName: 'cpu',
  kind: 'speed',
  why: "ClipByValue's gradient (ReLU6 layers) in one pass (the addon's loop when loaded) instead of GreaterEqual, LessEqual, LogicalAnd, Fill and Select",
  make: () => clipGrad as unknown as KernelFunc,
};
