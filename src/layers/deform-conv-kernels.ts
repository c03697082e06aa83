/**
 * Registers the deformable-convolution im2col / col2im kernels for the cpu and wasm backends.
 * Both read their inputs into JS typed arrays (the wasm heap is copied once), run the loops of
 * `deform-conv-math.ts`, and hand the result back to the backend; the matrix products stay on
 * the backend's own matMul (XNNPACK on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { sgemmAcc } from '../backend/kernels/gemm';
import { deformCol2im, deformIm2col, type DeformGeometry } from './deform-conv-math';

/** Kernel name of the bilinear im2col gather: inputs `x, offset[, mask]` → `cols`. */
export const DEFORM_IM2COL = 'MedinetsDeformIm2Col';
/** Kernel name of the col2im scatter: inputs `x, offset, dcols[, mask]` → `dx, dOffset[, dMask]`. */
export const DEFORM_COL2IM = 'MedinetsDeformCol2Im';
/**
 * Kernel name of a plain 2-D matrix product `op(a) · op(b)` (attrs `transposeA`, `transposeB`)
 * for the cpu backend only, where the stock MatMul is several times slower than the packed
 * GEMM medinets' backend already ships; wasm keeps its XNNPACK MatMul.
 */
export const DEFORM_GEMM = 'MedinetsDeformGemm';
/** The backends that get the fast kernels; every other backend uses the composed-ops path. */
export const DEFORM_KERNEL_BACKENDS: readonly string[] = ['cpu', 'wasm'];

type Values = Float32Array | Int32Array | Uint8Array;
interface CpuLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}
interface WasmLike {
  readSync(dataId: tf.DataId): unknown;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Values): tf.TensorInfo;
}

function reader(backend: unknown) {
  return (t: tf.TensorInfo | undefined): Float32Array | null =>
    t ? ((backend as CpuLike).readSync(t.dataId) as Float32Array) : null;
}

function writer(backend: unknown, backendName: string) {
  return (shape: number[], values: Float32Array): tf.TensorInfo =>
    backendName === 'wasm'
      ? (backend as WasmLike).makeOutput(shape, 'float32', undefined, values)
      : (backend as CpuLike).makeTensorInfo(shape, 'float32', values);
}

function geometryOf(attrs: tf.NamedAttrMap | undefined): DeformGeometry {
  return (attrs as unknown as { geometry: DeformGeometry }).geometry;
}

function register(backendName: string): void {
  if (!tf.getKernel(DEFORM_IM2COL, backendName)) {
    tf.registerKernel({
      kernelName: DEFORM_IM2COL,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const g = geometryOf(attrs);
        const read = reader(backend);
        const cols = deformIm2col(g, read(inputs.x)!, read(inputs.offset)!, read(inputs.mask));
        return writer(backend, backendName)([g.n * g.ho * g.wo, g.kh * g.kw * g.cin], cols);
      },
    });
  }
  if (!tf.getKernel(DEFORM_COL2IM, backendName)) {
    tf.registerKernel({
      kernelName: DEFORM_COL2IM,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const g = geometryOf(attrs);
        const read = reader(backend);
        const write = writer(backend, backendName);
        const r = deformCol2im(
          g,
          read(inputs.x)!,
          read(inputs.offset)!,
          read(inputs.mask),
          read(inputs.dcols)!,
        );
        const K = g.kh * g.kw;
        const outs = [
          write([g.n, g.h, g.w, g.cin], r.dx),
          write([g.n, g.ho, g.wo, 2 * g.groups * K], r.dOffset),
        ];
        if (r.dMask) outs.push(write([g.n, g.ho, g.wo, g.groups * K], r.dMask));
        return outs;
      },
    });
  }
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let j = 0; j < cols; j++) t[j * rows + i] = a[r + j];
  }
  return t;
}

function registerGemm(backendName: string): void {
  if (tf.getKernel(DEFORM_GEMM, backendName)) return;
  tf.registerKernel({
    kernelName: DEFORM_GEMM,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const read = reader(backend);
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const [ar, ac] = inputs.a!.shape;
      const [br, bc] = inputs.b!.shape;
      const a = transposeA ? transpose(read(inputs.a)!, ar, ac) : read(inputs.a)!;
      const b = transposeB ? transpose(read(inputs.b)!, br, bc) : read(inputs.b)!;
      const [m, k] = transposeA ? [ac, ar] : [ar, ac];
      const n = transposeB ? br : bc;
      const c = new Float32Array(m * n);
      sgemmAcc(m, n, k, a, 0, k, b, 0, n, c, 0, n);
      return writer(backend, backendName)([m, n], c);
    },
  });
}

/** Registers the kernels for every backend in {@link DEFORM_KERNEL_BACKENDS}; safe to call again. */
export function registerDeformConvKernels(): void {
  for (const b of DEFORM_KERNEL_BACKENDS) register(b);
  registerGemm('cpu');
}

registerDeformConvKernels();
