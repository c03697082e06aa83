import * as tf from '@tensorflow/tfjs-core';
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { poolInfo, poolParams, type MaxPoolGradAttrs } from './pool-grad';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat } from './util';

type Args = { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * MaxPool in the addon (the window's largest value, NaN ignored, -Infinity for an empty
 * window: the stock kernel's bits), or null where the stock kernel is to run: no addon, not
 * float32 NHWC, or a 1x1 window that leaves the shape alone (stock returns the input itself).
 */
function nativeMaxPool({ inputs, backend, attrs }: Args): TensorInfo | null {
  const addon = activeAddon();
  const { x } = inputs;
  if (addon?.maxPool == null || x.dtype !== 'float32' || x.shape.length !== 4) return null;
  const info = poolInfo(x.shape, attrs as unknown as MaxPoolGradAttrs);
  if (info.filterHeight === 1 && info.filterWidth === 1 && tf.util.arraysEqual(info.inShape, info.outShape))
    return null;
  const out = allocFloat(backend, info.outShape);
  addon.maxPool(viewFloat(backend, x), out.data, poolParams(x.shape, info));
  return out.info;
}

function entry(backendName: 'cpu' | 'wasm', why: string): KernelEntry {
  return {
    kernelName: 'MaxPool',
    backendName,
    kind: 'speed',
    why,
    make: (stock: KernelConfig | undefined) => {
      if (stock == null)
        throw new Error(`medinets: the MaxPool replacement needs the stock ${backendName} kernel`);
      const fallback = stock.kernelFunc as unknown as (a: Args) => TensorInfo;
      return ((a: Args) => nativeMaxPool(a) ?? fallback(a)) as unknown as KernelFunc;
    },
  };
}

/** MaxPool for cpu: the addon's pass on its threads when loaded, else the stock kernel. */
export const maxPoolCpuEntry: KernelEntry = entry(
  'cpu',
  'stock walks every channel of every window through generic index arithmetic (~0.4 s on the ResNet-50 stem at batch 16); the addon in one vectorised pass',
);

/** MaxPool for wasm: the addon's pass when loaded, else the stock (XNNPACK) kernel. */
export const maxPoolWasmEntry: KernelEntry = entry(
  'wasm',
  "the native addon's pass when loaded (1.0-2.2x the speed of XNNPACK's 1-thread MaxPool on [8, 64, 64, 64], as wasm runs beside the addon); else the stock kernel",
);
