export { registerTrainingKernels } from './register';
export { listTrainingKernels, suspendTrainingKernels } from './registry';
export type { TrainingKernelInfo, TrainingKernelKind } from './registry';
export type { KernelTarget } from './util';
