import type { KernelFunc } from '@tensorflow/tfjs-core';
import { BN_TRAIN_GRAD_KERNEL } from './batch-norm';
import { bnTrainGrad } from './batch-norm-grad';
import type { KernelEntry } from './registry';

/** The gradient of the fused training batch norm for wasm. */
export const batchNormTrainGradWasmEntry: KernelEntry = {
  kernelName: BN_TRAIN_GRAD_KERNEL,
  backendName: 'wasm',
  kind: 'speed',
  why: 'the gradient of MedinetsBatchNormTrain in two passes',
  make: () => bnTrainGrad as unknown as KernelFunc,
};
