import type { KernelFunc } from '@tensorflow/tfjs-core';
import { BN_TRAIN_GRAD_KERNEL } from './batch-norm';
import { bnTrainGrad } from './batch-norm-grad';
import type { KernelEntry } from './registry';

/** The gradient of the fused training batch norm for cpu. */
export const batchNormTrainGradCpuEntry: KernelEntry = {
  kernelName: BN_TRAIN_GRAD_KERNEL,
  backendName: 'cpu',
  kind: 'speed',
  why: 'the gradient of MedinetsBatchNormTrain in two passes',
  make: () => bnTrainGrad as unknown as KernelFunc,
};
