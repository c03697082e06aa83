import type { KernelFunc } from '@tensorflow/tfjs-core';
import { BN_TRAIN_KERNEL, bnTrain } from './batch-norm';
import type { KernelEntry } from './registry';

/** The fused training batch norm for cpu. */
export const batchNormTrainCpuEntry: KernelEntry = {
  kernelName: BN_TRAIN_KERNEL,
  backendName: 'cpu',
  kind: 'speed',
  why: 'a training BatchNormalization layer runs ~10 ops forward and ~25 backward (moments, FusedBatchNorm and their gradients); one fused kernel each way',
  make: () => bnTrain as unknown as KernelFunc,
};
