import type { KernelFunc } from '@tensorflow/tfjs-core';
import { DEFORM_GEMM, deformGemmKernel } from './deform-gemm';
import type { KernelEntry } from './registry';

/** The deformable convolution's matrix product for cpu. */
export const deformGemmCpuEntry: KernelEntry = {
  kernelName: DEFORM_GEMM,
  backendName: 'cpu',
  kind: 'speed',
  why: "stock cpu MatMul is several times slower on deformable convolution's [N*Ho*Wo, K*Cin] products; the packed JS GEMM",
  make: () => deformGemmKernel as unknown as KernelFunc,
};
