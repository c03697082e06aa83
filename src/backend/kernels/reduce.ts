import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import type { KernelEntry } from './registry';
import { allocFloat, release, viewFloat, type KernelTarget } from './util';
import { wasmSimd } from './wasm-simd';

/**
 * Sum / Mean of a float32 tensor over one run of CONSECUTIVE axes that is not the last axis
 * (the batch-norm and bias gradients: NHWC reduced over N, H, W; global average pooling:
 * over H, W) as one pass of per-column float64 accumulators, in the addon on its pool when
 * it is active, else on wasm in the SIMD module (wasm/copy.c reduce_mid), else in JavaScript
 * (the same sums in the same order, so the same bits); the stock kernel
 * transposes the reduced axes innermost first. Other reductions go to the stock kernel.
 */
function reduceRun(
  args: { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
  mean: boolean,
  backendName: KernelTarget,
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  const first = axes[0] ?? 0;
  const last = axes[axes.length - 1] ?? 0;
  const run = axes.length > 0 && last < rank - 1 && axes.every((a, i) => a === first + i);
  if (!run || x.dtype !== 'float32' || stock == null) {
    if (stock == null) throw new Error('medinets: no stock reduction kernel');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const pre = tf.util.sizeFromShape(x.shape.slice(0, first));
  const mid = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
  const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
  const outShape =
    attrs.keepDims === true
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : x.shape.filter((_, i) => i < first || i > last);
  const out = allocFloat(backend, outShape);
  const scale = mean ? 1 / mid : 1;
  const addon = activeAddon();
  if (addon?.reduceMid != null) {
    const o = viewFloat(backend, out.info);
    if (o.length > 0) addon.reduceMid(viewFloat(backend, x), o, new Int32Array([pre, mid, inner]), scale);
    return out.info;
  }
  const simd = backendName === 'wasm' ? wasmSimd(backend) : null;
  if (simd != null) {
    const acc = allocFloat(backend, [2 * inner]);
    // views taken now: the allocations may have grown (replaced) the heap's buffer
    simd.reduceMid(
      viewFloat(backend, x),
      viewFloat(backend, out.info),
      pre,
      mid,
      inner,
      scale,
      viewFloat(backend, acc.info),
    );
    release(backend, acc.info);
    return out.info;
  }
  const xs = viewFloat(backend, x);
  const o = out.data;
  const acc = new Float64Array(inner);
  for (let p = 0; p < pre; p++) {
    acc.fill(0);
    for (let i = 0; i < mid; i++) {
      const b = (p * mid + i) * inner;
      for (let j = 0; j < inner; j++) acc[j] += xs[b + j] as number;
    }
    for (let j = 0; j < inner; j++) o[p * inner + j] = (acc[j] as number) * scale;
  }
  return out.info;
}

/** Sum or Mean over consecutive axes for wasm or cpu: the entry for one kernel name and backend. */
export function reduceEntry(kernelName: 'Sum' | 'Mean', backendName: KernelTarget): KernelEntry {
  return {
    kernelName,
    backendName,
    kind: 'speed',
    why: 'stock transposes before reducing over N,H,W (batch-norm / bias gradients) or H,W (global pooling); one pass (the addon on its pool when loaded)',
    make: (stock) =>
      ((a: Parameters<typeof reduceRun>[0]) =>
        reduceRun(a, stock, kernelName === 'Mean', backendName)) as unknown as KernelFunc,
  };
}
