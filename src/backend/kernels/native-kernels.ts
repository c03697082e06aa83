import * as tf from '@tensorflow/tfjs-core';
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { activeAddon, type NativeAddon } from '../native';
import { BIN_OP, type CpuBinaryKernel, NATIVE_MIN } from './cpu-binary';
import { matMulBatch, withBroadcast } from './matmul-broadcast';
import {
  nativeDepthwise,
  nativeDepthwiseBackpropFilter,
  nativeDepthwiseBackpropInput,
} from './native-depthwise';
import type { KernelEntry } from './registry';
import { allocFloat, conv2DInfoNHWC, isNHWC, release, viewFloat, type KernelTarget } from './util';
import { wasmSimd } from './wasm-simd';

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: KernelBackend; attrs: NamedAttrMap };
type Kernel = (args: Args) => TensorInfo | TensorInfo[];

/** Activations the addon applies in its GEMM epilogue, by its numeric code. */
const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 };

function isFloat(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t == null || t.dtype === 'float32');
}

function convParams(c: tf.backend_util.Conv2DInfo, act: number): Int32Array {
  return new Int32Array([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    act,
  ]);
}

/** Whether a bias tensor is absent or has n (per output channel) or 1 values. */
function biasOk(bias: TensorInfo | undefined, n: number): boolean {
  if (bias == null) return true;
  const size = tf.util.sizeFromShape(bias.shape);
  return size === n || size === 1;
}

/**
 * A length-c vector from a parameter tensor of c or 1 values (null when absent). Take it
 * after allocating the output: on wasm a heap view is invalidated by an allocation.
 */
function channelVector(backend: KernelBackend, t: TensorInfo | undefined, c: number): Float32Array | null {
  if (t == null) return null;
  const v = viewFloat(backend, t);
  return v.length === c ? v : new Float32Array(c).fill(v[0] as number);
}

/**
 * Conv2D / FusedConv2D in the addon, or null when it does not handle the case; with `affine`
 * ([2, outChannels]: an inference batch norm's scale and shift) applied after the bias and
 * before the activation, in the GEMM's epilogue (conv-bn-fusion.ts).
 */
export function conv2D(args: Args, fused: boolean, affine: Float32Array | null = null): TensorInfo | null {
  const addon = activeAddon();
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const bias = fused ? inputs.bias : undefined;
  const activation = (fused ? (attrs.activation as string | undefined) : undefined) ?? 'linear';
  const act = ACT[activation];
  if (addon == null || act === undefined || !isNHWC(attrs) || !isFloat(x, filter, bias)) return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const c = conv2DInfoNHWC(x.shape, filter.shape, attrs, attrs.dilations);
  if (!biasOk(bias, c.outChannels) || (affine != null && affine.length !== 2 * c.outChannels)) return null;
  const out = allocFloat(backend, c.outShape);
  const b = channelVector(backend, bias, c.outChannels);
  addon.conv2d(
    viewFloat(backend, x),
    viewFloat(backend, filter),
    b,
    out.data,
    convParams(c, act),
    (attrs.leakyreluAlpha as number | undefined) ?? 0.2,
    affine,
  );
  return out.info;
}

function backpropInput(args: Args): TensorInfo | null {
  const addon = activeAddon();
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  if (addon == null || !isNHWC(attrs) || !isFloat(dy, filter)) return null;
  const c = conv2DInfoNHWC(attrs.inputShape as number[], filter.shape, attrs, attrs.dilations);
  const out = allocFloat(backend, attrs.inputShape as number[]);
  addon.conv2dBackpropInput(viewFloat(backend, dy), viewFloat(backend, filter), out.data, convParams(c, 0));
  return out.info;
}

function backpropFilter(args: Args): TensorInfo | null {
  const addon = activeAddon();
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  if (addon == null || !isNHWC(attrs) || !isFloat(x, dy)) return null;
  const fShape = attrs.filterShape as number[];
  const c = conv2DInfoNHWC(x.shape, fShape, attrs, attrs.dilations);
  const out = allocFloat(backend, fShape);
  addon.conv2dBackpropFilter(viewFloat(backend, x), viewFloat(backend, dy), out.data, convParams(c, 0));
  return out.info;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** BatchMatMul / _FusedMatMul in the addon, with any numpy-style broadcast of the batch dimensions, or null. */
function matMul(args: Args, fused: boolean): TensorInfo | null {
  const addon = activeAddon();
  const { inputs, backend, attrs } = args;
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const bias = fused ? inputs.bias : undefined;
  const activation = (fused ? (attrs.activation as string | undefined) : undefined) ?? 'linear';
  const act = ACT[activation];
  if (addon == null || act === undefined || !isFloat(a, b, bias)) return null;
  if (a.shape.length < 2 || b.shape.length < 2) return null;
  const tA = attrs.transposeA === true;
  const tB = attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = a.shape[tA ? ra - 1 : ra - 2] as number;
  const k = a.shape[tA ? ra - 2 : ra - 1] as number;
  const n = b.shape[tB ? rb - 2 : rb - 1] as number;
  if ((b.shape[tB ? rb - 1 : rb - 2] as number) !== k) return null;
  const bt = matMulBatch(a.shape, b.shape);
  if (bt == null || bt.outer.length > 8) return null; // the stock kernel names the mismatch
  const outer = bt.outer;
  const batchA = tf.util.sizeFromShape(bt.padA);
  const batchB = tf.util.sizeFromShape(bt.padB);
  const head = [batchA, batchB, m, n, k, tA ? 1 : 0, tB ? 1 : 0, act];
  // batch extents only when the broadcast is more than equal batches or a single matrix
  const simple = sameDims(bt.padA, bt.padB) || batchA === 1 || batchB === 1;
  const params = simple ? head : [...head, outer.length, ...bt.padA, ...bt.padB];
  if (!biasOk(bias, n)) return null;
  const out = allocFloat(backend, [...outer, m, n]);
  addon.matmul(
    viewFloat(backend, a),
    viewFloat(backend, b),
    channelVector(backend, bias, n),
    out.data,
    new Int32Array(params),
    (attrs.leakyreluAlpha as number | undefined) ?? 0.2,
  );
  return out.info;
}

/** The addon's cap argument for a ReLU capped at `cap`: -1 for none (Infinity). */
export const nativeCap = (cap: number): number => (cap === Infinity ? -1 : cap);

/**
 * FusedBatchNorm (inference) in the addon, when every parameter has C (last axis) or 1 values;
 * without the addon on wasm, in the SIMD module (x a + b with a = scale / sqrt(variance + eps),
 * b = offset - mean a per channel, computed here in float32). With `cap` (Infinity: ReLU, 6:
 * ReLU6) the ReLU after it in the same pass, with the Relu / Relu6 kernels' bits.
 */
export function batchNormInference(args: Args, cap: number | null = null): TensorInfo | null {
  const addon = activeAddon();
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, scale, offset } = inputs;
  const simd = addon == null ? wasmSimd(backend) : null;
  if ((addon == null && simd == null) || x == null || mean == null || variance == null) return null;
  if (!isFloat(x, mean, variance, scale, offset) || x.shape.length === 0) return null;
  const c = x.shape[x.shape.length - 1] as number;
  const ok = [mean, variance, scale, offset].every((t) => {
    if (t == null) return true;
    const size = tf.util.sizeFromShape(t.shape);
    return size === 1 || (size === c && t.shape[t.shape.length - 1] === c);
  });
  if (!ok || c === 0) return null;
  const eps = (attrs.varianceEpsilon as number | undefined) ?? 1e-3;
  const out = allocFloat(backend, x.shape);
  if (simd != null) {
    const ab = allocFloat(backend, [2 * c]);
    const [m, v] = [channelVector(backend, mean, c), channelVector(backend, variance, c)] as Float32Array[];
    const [g, o] = [channelVector(backend, scale, c), channelVector(backend, offset, c)];
    const f = ab.data;
    for (let j = 0; j < c; j++) {
      const a = Math.fround(
        (g == null ? 1 : (g[j] as number)) / Math.fround(Math.sqrt((v[j] as number) + eps)),
      );
      f[j] = a;
      f[c + j] = (o == null ? 0 : (o[j] as number)) - Math.fround((m[j] as number) * a);
    }
    const [xv, abv, yv] = [x, ab.info, out.info].map((t) => viewFloat(backend, t)) as Float32Array[];
    simd.bnInferAB(xv as Float32Array, abv as Float32Array, yv as Float32Array, cap ?? undefined);
    release(backend, ab.info);
    return out.info;
  }
  const bnArgs = [
    viewFloat(backend, x),
    channelVector(backend, mean, c) as Float32Array,
    channelVector(backend, variance, c) as Float32Array,
    channelVector(backend, scale, c),
    channelVector(backend, offset, c),
    out.data,
    eps,
  ] as const;
  if (cap == null) (addon as NativeAddon).bnInfer(...bnArgs);
  else (addon as NativeAddon).bnInfer(...bnArgs, nativeCap(cap));
  return out.info;
}

/** Relu, or Relu6 with `cap` 6: one pass on the addon's threads (else in the wasm SIMD module). */
function relu(args: Args, cap?: number): TensorInfo | null {
  const { inputs, backend } = args;
  const addon = activeAddon() ?? wasmSimd(backend);
  const x = inputs.x;
  if (addon == null || x == null || x.dtype !== 'float32') return null;
  const out = allocFloat(backend, x.shape);
  if (cap === undefined) addon.relu(viewFloat(backend, x), out.data);
  else addon.relu(viewFloat(backend, x), out.data, cap);
  return out.info;
}

/**
 * Concat of float32 tensors along any axis: rows of `prod(shape[:axis])`, copied in turn (in
 * the addon, else in the wasm SIMD module).
 */
function concat(args: Args): TensorInfo | null {
  const { backend, attrs } = args;
  const addon = activeAddon() ?? wasmSimd(backend);
  const all = Object.values(args.inputs).filter((t): t is TensorInfo => t != null);
  if (addon == null || all.length === 0 || !isFloat(...all)) return null;
  const first = all[0] as TensorInfo;
  const axis = tf.util.parseAxisParam(attrs.axis as number, first.shape)[0] as number;
  const parts = all.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (parts.length === 0 || parts.some((t) => t.shape.length !== first.shape.length)) return null;
  const outShape = tf.backend_util.computeOutShape(
    parts.map((t) => t.shape),
    axis,
  );
  const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
  const out = allocFloat(backend, outShape);
  if (outer > 0)
    addon.concat(
      out.data,
      parts.map((t) => viewFloat(backend, t)),
      outer,
    );
  return out.info;
}

/** SplitV of a float32 tensor along any axis (the inverse of {@link concat}). */
function splitV(args: Args): TensorInfo[] | null {
  const { backend, attrs } = args;
  const addon = activeAddon() ?? wasmSimd(backend);
  const x = args.inputs.x;
  if (addon == null || x == null || !isFloat(x)) return null;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
  const sizes = tf.backend_util.prepareSplitSize(
    { shape: x.shape } as unknown as tf.Tensor,
    attrs.numOrSizeSplits as number | number[],
    axis,
  );
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  if (outer === 0 || sizes.some((s) => s <= 0)) return null;
  const infos = sizes.map((s) => {
    const shape = [...x.shape];
    shape[axis] = s;
    return allocFloat(backend, shape).info;
  });
  // Views after every allocation (on wasm an allocation may move the heap).
  addon.split(
    viewFloat(backend, x),
    infos.map((t) => viewFloat(backend, t)),
    outer,
  );
  return infos;
}

/**
 * Add / Sub / Multiply / RealDiv of two float32 tensors of one shape (a network's gradient
 * sums: DenseNet adds 58 a step) in one pass on the addon's threads: the same float32
 * operation per element, so the stock kernel's bits. Broadcasts go to the stock kernel.
 */
function binarySame(args: Args, op: CpuBinaryKernel): TensorInfo | null {
  const { backend } = args;
  const { a, b } = args.inputs;
  const addon = activeAddon();
  if (addon?.binary == null || a == null || b == null || !isFloat(a, b) || !sameDims(a.shape, b.shape))
    return null;
  if (tf.util.sizeFromShape(a.shape) < NATIVE_MIN) return null;
  const out = allocFloat(backend, a.shape);
  // views after the allocation (on wasm it may move the heap)
  addon.binary(BIN_OP[op], viewFloat(backend, a), viewFloat(backend, b), out.data);
  return out.info;
}

const NATIVE: Record<string, (args: Args) => TensorInfo | TensorInfo[] | null> = {
  Conv2D: (a) => conv2D(a, false),
  FusedConv2D: (a) => conv2D(a, true),
  Conv2DBackpropInput: backpropInput,
  Conv2DBackpropFilter: backpropFilter,
  DepthwiseConv2dNative: (a) => nativeDepthwise(a, false),
  FusedDepthwiseConv2D: (a) => nativeDepthwise(a, true),
  DepthwiseConv2dNativeBackpropInput: nativeDepthwiseBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: nativeDepthwiseBackpropFilter,
  BatchMatMul: (a) => matMul(a, false),
  _FusedMatMul: (a) => matMul(a, true),
  FusedBatchNorm: (a) => batchNormInference(a),
  Relu: (a) => relu(a),
  Relu6: (a) => relu(a, 6),
  Concat: concat,
  SplitV: splitV,
  Add: (a) => binarySame(a, 'Add'),
  Sub: (a) => binarySame(a, 'Sub'),
  Multiply: (a) => binarySame(a, 'Multiply'),
  RealDiv: (a) => binarySame(a, 'RealDiv'),
};

/**
 * A kernel that runs in the native addon when it is active and handles the case, else
 * `fallback` (medinets' wasm/JS kernel or the stock one).
 */
export function withNative(kernelName: string, fallback: Kernel | KernelFunc): KernelFunc {
  const native = NATIVE[kernelName];
  if (native == null) throw new Error(`medinets: no native kernel '${kernelName}'`);
  let fb = fallback as Kernel;
  if (kernelName === 'BatchMatMul' || kernelName === '_FusedMatMul') {
    // the stock kernels compute some broadcasts wrongly: repeat the operands first
    const plain = fb;
    fb = (args) => {
      const name = tf.getBackend();
      return name === 'cpu' || name === 'wasm' ? withBroadcast(name, plain)(args) : plain(args);
    };
  }
  return ((args: Args) => native(args) ?? fb(args)) as unknown as KernelFunc;
}

function stockOf(stock: KernelConfig | undefined, name: string, backend: string): Kernel {
  if (stock == null) throw new Error(`medinets: ${name} replacement needs the stock ${backend} kernel`);
  return stock.kernelFunc as unknown as Kernel;
}

const WHY =
  'the native addon (AVX2/FMA implicit GEMM on a thread pool, in place on the tensors) when loaded; else the stock kernel';

/** The stock kernels {@link nativeEntry} gives a native path. */
export type NativeOnlyKernel =
  | 'BatchMatMul'
  | '_FusedMatMul'
  | 'Concat'
  | 'SplitV'
  | 'Add'
  | 'Sub'
  | 'Multiply'
  | 'RealDiv'
  | 'Conv2D'
  | 'FusedConv2D'
  | 'FusedBatchNorm'
  | 'Relu'
  | 'Relu6'
  | 'DepthwiseConv2dNative'
  | 'FusedDepthwiseConv2D'
  | 'DepthwiseConv2dNativeBackpropInput'
  | 'DepthwiseConv2dNativeBackpropFilter';

/**
 * A stock kernel that only gains a native path (medinets' own wasm/cpu kernels wrap theirs):
 * the entry for one kernel name and backend.
 */
export function nativeEntry(kernelName: NativeOnlyKernel, backendName: KernelTarget): KernelEntry {
  return {
    kernelName,
    backendName,
    kind: 'speed',
    why:
      kernelName === 'Concat' || kernelName === 'SplitV'
        ? 'the native addon (row-wise memcpy) when loaded; else the stock kernel (strided copies, slow on the channel axis)'
        : kernelName in BIN_OP
          ? 'the native addon (one pass on its threads) for two float32 tensors of one shape when loaded; else the stock kernel (one thread)'
          : kernelName.includes('Depthwise')
            ? 'the native addon (direct per-channel FMA loops, AVX-512 / AVX2 by CPUID) when loaded; else the stock kernel'
            : WHY,
    make: (stock) => withNative(kernelName, stockOf(stock, kernelName, backendName)),
  };
}
