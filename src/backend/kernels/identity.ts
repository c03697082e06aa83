import type { KernelBackend, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

// The wasm backend's bookkeeping of one buffer (tfjs-backend-wasm 4.x).
interface WasmData {
  refCount: number;
}
interface WasmStorage {
  dataIdMap: { get(dataId: object): WasmData | undefined };
}

/**
 * Identity (`tf.clone`, and the copies tfjs-layers and the gradient tape make) sharing the
 * input's buffer with one more reference, as the cpu and webgl backends do; the stock wasm
 * kernel copies the whole tensor every time. No wasm kernel writes into its inputs, so a
 * shared buffer is never changed under a clone; the engine frees it with its last tensor.
 */
export function identityShared(
  args: { inputs: { x: TensorInfo }; backend: KernelBackend },
  stock: KernelConfig | undefined,
): TensorInfo {
  const { x } = args.inputs;
  const data = (args.backend as unknown as Partial<WasmStorage>).dataIdMap?.get(x.dataId);
  if (data == null || typeof data.refCount !== 'number' || x.dtype === 'string') {
    if (stock == null) throw new Error('medinets: no stock Identity kernel for wasm');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  data.refCount++;
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
