import type { KernelFunc } from '@tensorflow/tfjs-core';
import { batchMatMul } from './batch-matmul';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';

/** BatchMatMul for wasm. */
export const batchMatMulWasmEntry: KernelEntry = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kind: 'speed',
  why: 'the native addon when loaded; else: stock is 5x slower with transpose flags (dense-layer gradients); explicit Transpose first',
  make: (stock) => {
    if (stock == null) throw new Error('medinets: BatchMatMul replacement needs the stock wasm kernel');
    return withNative('BatchMatMul', ((a: Parameters<typeof batchMatMul>[0]) =>
      batchMatMul(a, stock)) as unknown as KernelFunc);
  },
};
