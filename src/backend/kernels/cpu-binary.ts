import * as tf from '@tensorflow/tfjs-core';
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat } from './util';

/**
 * One loop per op and broadcast mode, written out so each stays monomorphic: mode 0 equal
 * shapes, 1 b scalar, 2 b a trailing vector, 3 a scalar, 4 a a trailing vector.
 */
type Loop = (
  a: Float32Array,
  b: Float32Array,
  o: Float32Array,
  n: number,
  na: number,
  nb: number,
  mode: number,
) => void;
const LOOPS: Record<CpuBinaryKernel, Loop> = {
  Multiply: (a, b, o, n, na, nb, mode) => {
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = (a[i] as number) * (b[i] as number);
    else if (mode === 1) {
      const s = b[0] as number;
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) * s;
    } else if (mode === 2) {
      for (let i = 0; i < n; i += nb)
        for (let j = 0; j < nb; j++) o[i + j] = (a[i + j] as number) * (b[j] as number);
    } else if (mode === 3) {
      const s = a[0] as number;
      for (let i = 0; i < n; i++) o[i] = s * (b[i] as number);
    } else {
      for (let i = 0; i < n; i += na)
        for (let j = 0; j < na; j++) o[i + j] = (a[j] as number) * (b[i + j] as number);
    }
  },
  Add: (a, b, o, n, na, nb, mode) => {
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = (a[i] as number) + (b[i] as number);
    else if (mode === 1) {
      const s = b[0] as number;
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) + s;
    } else if (mode === 2) {
      for (let i = 0; i < n; i += nb)
        for (let j = 0; j < nb; j++) o[i + j] = (a[i + j] as number) + (b[j] as number);
    } else if (mode === 3) {
      const s = a[0] as number;
      for (let i = 0; i < n; i++) o[i] = s + (b[i] as number);
    } else {
      for (let i = 0; i < n; i += na)
        for (let j = 0; j < na; j++) o[i + j] = (a[j] as number) + (b[i + j] as number);
    }
  },
  Sub: (a, b, o, n, na, nb, mode) => {
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = (a[i] as number) - (b[i] as number);
    else if (mode === 1) {
      const s = b[0] as number;
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) - s;
    } else if (mode === 2) {
      for (let i = 0; i < n; i += nb)
        for (let j = 0; j < nb; j++) o[i + j] = (a[i + j] as number) - (b[j] as number);
    } else if (mode === 3) {
      const s = a[0] as number;
      for (let i = 0; i < n; i++) o[i] = s - (b[i] as number);
    } else {
      for (let i = 0; i < n; i += na)
        for (let j = 0; j < na; j++) o[i + j] = (a[j] as number) - (b[i + j] as number);
    }
  },
  RealDiv: (a, b, o, n, na, nb, mode) => {
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = (a[i] as number) / (b[i] as number);
    else if (mode === 1) {
      const s = b[0] as number;
      for (let i = 0; i < n; i++) o[i] = (a[i] as number) / s;
    } else if (mode === 2) {
      for (let i = 0; i < n; i += nb)
        for (let j = 0; j < nb; j++) o[i + j] = (a[i + j] as number) / (b[j] as number);
    } else if (mode === 3) {
      const s = a[0] as number;
      for (let i = 0; i < n; i++) o[i] = s / (b[i] as number);
    } else {
      for (let i = 0; i < n; i += na)
        for (let j = 0; j < na; j++) o[i + j] = (a[j] as number) / (b[i + j] as number);
    }
  },
};

/** The addon's binary op codes (native/kernels.h enum bin_op). */
export const BIN_OP: Record<CpuBinaryKernel, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };
/** Below this many values a JS loop (or the stock kernel) is as fast as a call into the addon. */
export const NATIVE_MIN = 4096;

/** The shape with leading 1s removed: how far a broadcast operand really extends. */
function core(shape: number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

function isSuffix(small: number[], big: number[]): boolean {
  const s = core(small);
  if (s.length > big.length) return false;
  const off = big.length - s.length;
  return s.every((d, i) => d === big[off + i]);
}

/**
 * How a broadcast operand of `small` shape spans `out`: out as [outer, mid, inner] with the
 * operand [outer, 1, inner] (a scalar: [1, n, 1]; a channel vector [C]: [1, n / C, C]; a
 * per-image vector [N, 1, 1, C]: [N, H * W, C]), or null for any other broadcast.
 */
export function broadcastPlan(small: number[], out: number[]): [number, number, number] | null {
  const s = [...new Array<number>(Math.max(0, out.length - small.length)).fill(1), ...small];
  if (s.length !== out.length) return null;
  const dims = [1, 1, 1];
  let part = 0; // 0 the leading equal axes, 1 the broadcast axes, 2 the trailing equal axes
  for (let i = 0; i < out.length; i++) {
    const o = out[i] as number;
    if (o === 1) continue; // fits any part
    const equal = s[i] === o;
    if (!equal && s[i] !== 1) return null;
    if (part === 0 && !equal) part = 1;
    else if (part === 1 && equal) part = 2;
    else if (part === 2 && !equal) return null;
    dims[part] = (dims[part] as number) * o;
  }
  return dims as [number, number, number];
}

/**
 * Float32 elementwise binary op with the broadcasts training uses (equal shapes, a scalar, a
 * trailing-axes vector such as a per-channel [1, 1, 1, C], and with the addon any
 * {@link broadcastPlan} operand such as [N, 1, 1, C]) as flat loops; the stock cpu kernels
 * map every element through generic index arithmetic. Anything else goes to the stock kernel.
 */
function binary(
  args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
  name: CpuBinaryKernel,
): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const fallback = (): TensorInfo => {
    if (stock == null) throw new Error(`medinets: no stock cpu ${name}`);
    return stock.kernelFunc(args as never) as TensorInfo;
  };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback();
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const n = tf.util.sizeFromShape(outShape);
  const na = tf.util.sizeFromShape(a.shape);
  const nb = tf.util.sizeFromShape(b.shape);
  const aFull = na === n && tf.util.arraysEqual(core(a.shape), core(outShape));
  const bFull = nb === n && tf.util.arraysEqual(core(b.shape), core(outShape));
  // One operand broadcast against the other in the addon on its pool: the scalar, channel and
  // per-image ([N, 1, 1, C], the global-average-pool gradient) operands; the same float32
  // operation per element, so the bits of the JS loops and of the stock kernel.
  const addon = n >= NATIVE_MIN && aFull !== bFull ? activeAddon() : null;
  if (addon?.binaryBroadcast != null) {
    const plan = broadcastPlan(aFull ? b.shape : a.shape, outShape);
    if (plan != null) {
      const out = allocFloat(backend, outShape);
      const big = viewFloat(backend, aFull ? a : b);
      const small = viewFloat(backend, aFull ? b : a);
      addon.binaryBroadcast(BIN_OP[name], big, small, out.data, new Int32Array([...plan, aFull ? 0 : 1]));
      return out.info;
    }
  }
  const bSmall = aFull && (nb === 1 || isSuffix(b.shape, outShape));
  const aSmall = bFull && (na === 1 || isSuffix(a.shape, outShape));
  if (!(aFull && bFull) && !bSmall && !aSmall) return fallback();
  const out = allocFloat(backend, outShape);
  const av = viewFloat(backend, a);
  const bv = viewFloat(backend, b);
  const mode = aFull && bFull ? 0 : bSmall ? (nb === 1 ? 1 : 2) : na === 1 ? 3 : 4;
  // Equal shapes in the addon on its pool (the residual adds and the gradients' sums of
  // ResNet-50); the same float32 operation, so the same bits as the JS loop.
  const same = mode === 0 && n >= NATIVE_MIN ? activeAddon() : null;
  if (same?.binary != null) same.binary(BIN_OP[name], av, bv, out.data);
  else LOOPS[name](av, bv, out.data, n, na, nb, mode);
  return out.info;
}

/** The cpu arithmetic kernels {@link cpuBinaryEntry} serves, one flat loop each. */
export type CpuBinaryKernel = 'Multiply' | 'Add' | 'Sub' | 'RealDiv';

/** Fast float32 elementwise arithmetic for cpu: the entry for one kernel name. */
export function cpuBinaryEntry(kernelName: CpuBinaryKernel): KernelEntry {
  return {
    kernelName,
    backendName: 'cpu',
    kind: 'speed',
    why: 'stock maps every element through broadcast index arithmetic (Adam / batch-norm); flat loops',
    make: (stock) =>
      ((a: Parameters<typeof binary>[0]) => binary(a, stock, kernelName)) as unknown as KernelFunc,
  };
}
