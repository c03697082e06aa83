import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat, type KernelTarget } from './util';

/**
 * Sum / Mean of a float32 tensor over its LEADING axes (the batch-norm and bias gradients:
 * NHWC reduced over N, H, W) as one pass of per-channel float64 accumulators; the stock
 * kernel transposes the reduced axes innermost first. Other reductions go to the stock kernel.
 */
function reduceLeading(
  args: { inputs: { x: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
  mean: boolean,
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== 'float32' || stock == null) {
    if (stock == null) throw new Error('medinets: no stock reduction kernel');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const k = axes.length;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, k));
  const inner = tf.util.sizeFromShape(x.shape.slice(k));
  const outShape = attrs.keepDims === true ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const acc = new Float64Array(inner);
  const out = allocFloat(backend, outShape);
  const xs = viewFloat(backend, x);
  for (let i = 0; i < outer; i++) {
    const b = i * inner;
    for (let j = 0; j < inner; j++) acc[j] += xs[b + j] as number;
  }
  const scale = mean ? 1 / outer : 1;
  const o = out.data;
  for (let j = 0; j < inner; j++) o[j] = (acc[j] as number) * scale;
  return out.info;
}

/** Leading-axis Sum or Mean for wasm or cpu: the entry for one kernel name and backend. */
export function reduceEntry(kernelName: 'Sum' | 'Mean', backendName: KernelTarget): KernelEntry {
  return {
    kernelName,
    backendName,
    kind: 'speed',
    why: 'stock transposes before reducing over N,H,W (batch-norm / bias gradients); one JS pass',
    make: (stock) =>
      ((a: Parameters<typeof reduceLeading>[0]) =>
        reduceLeading(a, stock, kernelName === 'Mean')) as unknown as KernelFunc,
  };
}
