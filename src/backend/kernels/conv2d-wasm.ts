import * as tf from '@tensorflow/tfjs-core';
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { withNative } from './native-kernels';
import type { KernelEntry } from './registry';
import { callKernel, conv2DInfoNHWC, isNHWC, release } from './util';
import { conv2DForwardGemm, gemmForwardPays } from './wasm-gemm-conv';
import { wasmSimd } from './wasm-simd';
import { conv2DWinograd, winogradPays } from './wasm-winograd';

type Args = {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
};

/**
 * Filters (their data ids) a wasm convolution has already run with: tfjs-backend-wasm
 * keeps XNNPACK's packed copy of those until the filter is disposed, so a second use is
 * cheap on the stock path. A filter's first use (in training, every step's new weights)
 * would pay the packing.
 */
const seen = new WeakSet<object>();

let enabled = true;

/** Switch the first-use product off (the stock kernel always) or back on: for tests and the bench. @internal */
export function useFirstUseGemm(on: boolean): void {
  enabled = on;
}

let winogradOn = true;

/** Let convolutions use Winograd's F(4x4, 3x3) where it pays (default) or never: for tests and the bench. @internal */
export function useWinograd(on: boolean): void {
  winogradOn = on;
}

/** Activations applied after the product (others keep the stock kernel). */
const ACT: Record<string, string | null> = { linear: null, relu: 'Relu', relu6: 'Relu6' };

/**
 * The convolution by Winograd's F(4x4, 3x3) where that pays (see {@link winogradPays}), any
 * use of the filter; else as {@link conv2DForwardGemm} when this is the filter's first use (any
 * use where the module's product is relaxed SIMD's) and that pays (see {@link gemmForwardPays}):
 * FusedConv2D's bias inside either, its ReLU / ReLU6 after it; else null (the stock kernel then).
 */
function firstUseGemm(args: Args): TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const { x, filter, bias } = inputs;
  const id = filter.dataId as object;
  const first = !seen.has(id);
  seen.add(id);
  if (!enabled || x.dtype !== 'float32' || !isNHWC(attrs)) return null;
  const act = (attrs.activation as string | undefined) ?? 'linear';
  if (!(act in ACT) || (inputs as { preluActivationWeights?: TensorInfo }).preluActivationWeights != null)
    return null;
  const simd = wasmSimd(backend);
  if (simd == null) return null;
  const info = conv2DInfoNHWC(x.shape, filter.shape, attrs);
  if (bias != null && tf.util.sizeFromShape(bias.shape) !== info.outChannels) return null;
  // Winograd's F(4x4, 3x3) wherever it pays, first use or not, in training too
  const wino = winogradOn && winogradPays(info);
  // a filter XNNPACK has packed is as fast there as in the plain product; the relaxed one (fused
  // multiply-adds) is faster still (ResNet-18's 3x3 layers at inference 71 -> 52 ms), and keeps
  // every use of a filter on one path, so its results do not change between uses
  if (!wino && ((!first && !simd.gemmWorkers().relaxed) || !gemmForwardPays(info))) return null;
  let y = wino
    ? conv2DWinograd(backend, x, filter, info, simd, bias)
    : conv2DForwardGemm(backend, x, filter, info, simd, bias);
  const kernel = ACT[act];
  if (kernel != null) {
    const a = callKernel(kernel, 'wasm', backend, { x: y });
    release(backend, y);
    y = a;
  }
  return y;
}

function entry(kernelName: 'Conv2D' | 'FusedConv2D'): KernelEntry {
  return {
    kernelName,
    backendName: 'wasm',
    kind: 'speed',
    why: "the native addon when loaded; else, on a filter's first use (training's new weights; every use where the engine has relaxed SIMD), the SIMD module's product P W with P read from x, where it pays; else the stock kernel",
    make: (stock: KernelConfig | undefined) => {
      if (stock == null) throw new Error(`medinets: ${kernelName} replacement needs the stock wasm kernel`);
      const fallback = stock.kernelFunc as unknown as (a: Args) => TensorInfo;
      return withNative(kernelName, ((a: Args) => firstUseGemm(a) ?? fallback(a)) as unknown as KernelFunc);
    },
  };
}

/** Conv2D for wasm. */
export const conv2DWasmEntry: KernelEntry = entry('Conv2D');
/** FusedConv2D for wasm. */
export const fusedConv2DWasmEntry: KernelEntry = entry('FusedConv2D');
