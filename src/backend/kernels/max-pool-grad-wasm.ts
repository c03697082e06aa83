import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { maxPoolGrad } from './pool-grad';
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
  const a = args.attrs as { filterSize: number | [number, number]; strides: number | [number, number] };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    args.attrs.pad as 'valid' | 'same' | number,
    args.attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const out = allocFloat(args.backend, input.shape);
  simd.maxPoolGrad(
    viewFloat(args.backend, dy),
    viewFloat(args.backend, input),
    out.data,
    new Int32Array([
      n,
      h,
      w,
      c,
      info.outHeight,
      info.outWidth,
      info.effectiveFilterHeight,
      info.effectiveFilterWidth,
      info.strideHeight,
      info.strideWidth,
      info.dilationHeight,
      info.dilationWidth,
      info.padInfo.top,
      info.padInfo.left,
    ]),
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
