import type { KernelFunc } from '@tensorflow/tfjs-core';
import { maxPoolGrad } from './pool-grad';
import type { KernelEntry } from './registry';

/** MaxPoolGrad for cpu. */
export const maxPoolGradCpuEntry: KernelEntry = {
  kernelName: 'MaxPoolGrad',
  backendName: 'cpu',
  kind: 'speed',
  why: 'stock recomputes argmax positions with generic buffers (~2 s for a ResNet stem); one pass',
  make: () => maxPoolGrad as unknown as KernelFunc,
};
