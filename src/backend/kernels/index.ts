export { registerTrainingKernels } from './register';
export { listTrainingKernels } from './registry';
export type { TrainingKernelInfo, TrainingKernelKind } from './registry';
export type { KernelTarget } from './util';
