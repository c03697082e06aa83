import { fusedConv2D, type ConvArgs } from './cpu-conv';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** Conv2D for cpu: im2col + blocked GEMM. */
export const conv2DCpuEntry: KernelEntry = {
  kernelName: 'Conv2D',
  backendName: 'cpu',
  kind: 'speed',
  why: 'the native addon when loaded; else: stock is a direct 6-deep loop; blocked im2col + packed 4x4 GEMM',
  make: (stock) => withNative('Conv2D', (a: ConvArgs) => fusedConv2D(a, stock, false)),
};
