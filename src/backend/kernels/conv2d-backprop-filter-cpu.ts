import { conv2DBackpropFilterCpu, type ConvArgs } from './cpu-conv';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** Conv2DBackpropFilter for cpu: im2col + blocked GEMM. */
export const conv2DBackpropFilterCpuEntry: KernelEntry = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'cpu',
  kind: 'speed',
  why: 'the native addon when loaded; else: stock runs at ~3 MFLOP/s; transposed im2col blocks times dy, accumulated by GEMM',
  make: (stock) => withNative('Conv2DBackpropFilter', (a: ConvArgs) => conv2DBackpropFilterCpu(a, stock)),
};
