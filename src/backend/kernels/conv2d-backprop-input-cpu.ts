import { conv2DBackpropInputCpu, type ConvArgs } from './cpu-conv';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** Conv2DBackpropInput for cpu: im2col + blocked GEMM. */
export const conv2DBackpropInputCpuEntry: KernelEntry = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'cpu',
  kind: 'speed',
  why: 'the native addon when loaded; else: stock is a direct loop; GEMM with the transposed filter then col2im, blocked over rows',
  make: (stock) => withNative('Conv2DBackpropInput', (a: ConvArgs) => conv2DBackpropInputCpu(a, stock)),
};
