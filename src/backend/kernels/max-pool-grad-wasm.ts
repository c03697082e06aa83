import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { maxPoolGrad, poolInfo, poolParams, type MaxPoolGradAttrs } from './pool-grad';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

type Args = { inputs: { dy: TensorInfo; input: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * MaxPoolGrad in the wasm SIMD module (wasm/pool.c: the JS kernel's first-maximum scatter with
 * four channels a step, the same bits), or null where it does not run (the addon is loaded,
 * the module is missing, not float32).
 */
function maxPoolGradSimd(args: Args): TensorInfo | null {
  const { dy, input } = args.inputs;
  const simd = activeAddon() == null ? wasmSimd(args.backend) : null;
  if (simd == null || dy.dtype !== 'float32' || input.dtype !== 'float32' || input.shape.length !== 4)
    return null;
  const info = poolInfo(input.shape, args.attrs as unknown as MaxPoolGradAttrs);
  const out = allocFloat(args.backend, input.shape);
  simd.maxPoolGrad(
    viewFloat(args.backend, dy),
    viewFloat(args.backend, input),
    out.data,
    poolParams(input.shape, info),
  );
  return out.info;
}

/** MaxPoolGrad for wasm. */
export const maxPoolGradWasmEntry: KernelEntry = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kind: 'fix',
  why: 'stock routes dy wrongly when a window maximum is <= 0; first-maximum scatter in the native addon when loaded, else in the wasm SIMD module, else in JS',
  make: () => ((args: Args) => maxPoolGradSimd(args) ?? maxPoolGrad(args)) as unknown as KernelFunc,
};
