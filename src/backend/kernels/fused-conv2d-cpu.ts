import { fusedConv2D, type ConvArgs } from './cpu-conv';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** FusedConv2D for cpu: im2col + blocked GEMM. */
export const fusedConv2DCpuEntry: KernelEntry = {
  kernelName: 'FusedConv2D',
  backendName: 'cpu',
  kind: 'speed',
  why: 'the native addon when loaded; else: stock is a direct loop plus separate bias/activation; im2col + GEMM with fused epilogue',
  make: (stock) => withNative('FusedConv2D', (a: ConvArgs) => fusedConv2D(a, stock, true)),
};
