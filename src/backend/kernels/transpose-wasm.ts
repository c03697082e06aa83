import * as tf from '@tensorflow/tfjs-core';
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/** Below this many values the stock kernel's fixed cost is no worse. */
const SIMD_MIN = 1024;

/**
 * [batches, rows, cols] when permuting `shape` by `perm` moves the same values as
 * [B, R, C] -> [B, C, R] (size-1 axes dropped, runs of axes that stay together merged:
 * NHWC -> CNHW is [1, NHW, C]), else null (a plain copy is null too).
 */
export function asBatchedSwap(
  shape: readonly number[],
  perm: readonly number[],
): [number, number, number] | null {
  const kept = perm.filter((a) => shape[a] !== 1);
  // groups of output-adjacent axes that are input-adjacent too: [first input axis, size]
  const groups: [number, number][] = [];
  for (let i = 0; i < kept.length; i++) {
    const a = kept[i] as number;
    const last = groups[groups.length - 1];
    const prev = kept[i - 1];
    // input-adjacent ignoring size-1 axes between them
    const adjacent =
      last != null && prev != null && a > prev && shape.slice(prev + 1, a).every((d) => d === 1);
    if (adjacent) last[1] *= shape[a] as number;
    else groups.push([a, shape[a] as number]);
  }
  const order = groups.map((g) => g[0]);
  if (groups.length === 2 && (order[0] as number) > (order[1] as number))
    return [1, (groups[1] as [number, number])[1], (groups[0] as [number, number])[1]];
  if (groups.length === 3) {
    const [g0, g1, g2] = groups as [[number, number], [number, number], [number, number]];
    if (g0[0] < g2[0] && g2[0] < g1[0]) return [g0[1], g2[1], g1[1]];
  }
  return null;
}

function transposeWasm(
  args: { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig,
): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  const perm = args.attrs.perm as number[];
  const size = tf.util.sizeFromShape(x.shape);
  const swap = x.dtype === 'float32' && size >= SIMD_MIN ? asBatchedSwap(x.shape, perm) : null;
  const simd = swap == null ? null : wasmSimd(backend);
  if (swap == null || simd == null) return stock.kernelFunc(args as never) as TensorInfo;
  const out = allocFloat(
    backend,
    perm.map((a) => x.shape[a] as number),
  );
  // x's view taken after the allocation, which may have replaced the heap's buffer
  simd.transpose2d(viewFloat(backend, x), out.data, ...swap);
  return out.info;
}

/** Transpose for wasm. */
export const transposeWasmEntry: KernelEntry = {
  kernelName: 'Transpose',
  backendName: 'wasm',
  kind: 'speed',
  why: 'stock walks the output value by value (4.6-7 ns a value for NHWC -> CNHW); batched 2-D swaps of float32 by the SIMD module in 4x4 blocks (about 1 ns)',
  make: (stock) => {
    if (stock == null) throw new Error('medinets: Transpose replacement needs the stock wasm kernel');
    return ((a: Parameters<typeof transposeWasm>[0]) => transposeWasm(a, stock)) as unknown as KernelFunc;
  },
};
