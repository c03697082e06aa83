import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The backends medinets registers kernels for: training kernels on wasm and cpu, and on webgl
 * the deformable convolution tfjs lacks.
 */
export type KernelTarget = 'wasm' | 'cpu' | 'webgl';

// Structural views of the backend internals the kernels use; the backends' own types are not
// imported so that neither optional backend package becomes a type dependency of medinets.
interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}
interface CpuLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Int32Array): TensorInfo;
  data: { get(dataId: object): { values: Float32Array | Int32Array | Uint8Array } };
  disposeData(dataId: object): boolean;
  disposeIntermediateTensorInfo?(info: TensorInfo): void;
}

function isWasm(backend: KernelBackend): boolean {
  return typeof (backend as unknown as Partial<WasmLike>).typedArrayFromHeap === 'function';
}

/**
 * A float32 output tensor, allocated on the backend, and a writable view of its storage.
 * On wasm the view aliases the heap: fill it before any other allocation on the backend; it is
 * NOT zeroed there.
 */
export function allocFloat(
  backend: KernelBackend,
  shape: number[],
): { info: TensorInfo; data: Float32Array } {
  const { info, data } = alloc(backend, shape, 'float32');
  return { info, data: data as Float32Array };
}

/**
 * A float32 output tensor holding a copy of `values` (computed in JS). Allocating may move the
 * wasm heap: take no view of an input after calling it.
 */
export function fromValues(backend: KernelBackend, shape: number[], values: Float32Array): TensorInfo {
  const out = allocFloat(backend, shape);
  out.data.set(values);
  return out.info;
}

/** An output tensor of a numeric dtype and a writable view of its storage (see {@link allocFloat}). */
export function alloc(
  backend: KernelBackend,
  shape: number[],
  dtype: tf.DataType,
): { info: TensorInfo; data: Float32Array | Int32Array | Uint8Array } {
  if (isWasm(backend)) {
    const w = backend as unknown as WasmLike;
    const info = w.makeOutput(shape, dtype);
    return { info, data: w.typedArrayFromHeap(info) };
  }
  const size = tf.util.sizeFromShape(shape);
  const data =
    dtype === 'float32'
      ? new Float32Array(size)
      : dtype === 'int32'
        ? new Int32Array(size)
        : new Uint8Array(size);
  const info = (backend as unknown as CpuLike).makeTensorInfo(shape, dtype, data as Float32Array);
  return { info, data };
}

/**
 * The storage of a tensor as a typed array, without copying where the backend allows.
 * On wasm this is a view of the heap, invalidated by the next allocation.
 */
export function view(backend: KernelBackend, info: TensorInfo): Float32Array | Int32Array | Uint8Array {
  if (isWasm(backend)) return (backend as unknown as WasmLike).typedArrayFromHeap(info);
  return (backend as unknown as CpuLike).data.get(info.dataId).values;
}

/** A float32 copy-free view when the tensor is float32, else a converted copy. */
export function viewFloat(backend: KernelBackend, info: TensorInfo): Float32Array {
  const v = view(backend, info);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** Release an intermediate tensor a kernel created and does not return. */
export function release(backend: KernelBackend, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/**
 * Run another kernel registered for this backend directly, without the engine (so nothing
 * is traced or tracked); the caller releases the result when it is an intermediate.
 */
export function callKernel(
  kernelName: string,
  backendName: KernelTarget,
  backend: KernelBackend,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const k = tf.getKernel(kernelName, backendName);
  if (k == null)
    throw new Error(`medinets: kernel '${kernelName}' is not registered for backend '${backendName}'`);
  const out = k.kernelFunc({ inputs, attrs, backend });
  return Array.isArray(out) ? (out[0] as TensorInfo) : out;
}

/**
 * Rows [start, start + count) of a [1, rows, cols] tensor: the tensor itself when that is all
 * of it (the caller releases the result only when it is not `x`), else a Slice copy.
 */
export function rowsOf(
  backendName: KernelTarget,
  backend: KernelBackend,
  x: TensorInfo,
  start: number,
  count: number,
): TensorInfo {
  if (start === 0 && count === x.shape[1]) return x;
  return callKernel(
    'Slice',
    backendName,
    backend,
    { x },
    { begin: [0, start, 0], size: [1, count, x.shape[2] as number] },
  );
}

/** Transpose through the backend's own Transpose kernel. */
export function transposeK(
  backendName: KernelTarget,
  backend: KernelBackend,
  x: TensorInfo,
  perm: number[],
): TensorInfo {
  return callKernel('Transpose', backendName, backend, { x }, { perm });
}

/** Whether a convolution's attributes describe channels-last data (the default). */
export function isNHWC(attrs: NamedAttrMap): boolean {
  return attrs.dataFormat == null || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
}

/**
 * The channels-last geometry of a 2-D convolution of `xShape` by `fShape` from a kernel's
 * attributes (strides, pad, dimRoundingMode); `dilations` defaults to 1. The one geometry
 * helper of the kernels (regular and depthwise convolutions and their gradients).
 */
export function conv2DInfoNHWC(
  xShape: number[],
  fShape: number[],
  attrs: NamedAttrMap,
  dilations: unknown = 1,
  depthwise = false,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    attrs.strides as [number, number],
    (dilations as [number, number] | number | undefined) ?? 1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
    depthwise,
    'channelsLast',
  );
}
