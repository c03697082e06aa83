import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat } from './util';

type Op = (a: number, b: number) => number;

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
 * Float32 elementwise binary op with the three broadcasts training uses (equal shapes, a
 * scalar, a trailing-axes vector such as a per-channel [1, 1, 1, C]) as flat loops; the
 * stock cpu kernels map every element through generic index arithmetic. Anything else
 * goes to the stock kernel.
 */
function binary(
  args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
  op: Op,
  name: string,
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
  const bSmall = aFull && (nb === 1 || isSuffix(b.shape, outShape));
  const aSmall = bFull && (na === 1 || isSuffix(a.shape, outShape));
  if (!(aFull && bFull) && !bSmall && !aSmall) return fallback();
  const out = allocFloat(backend, outShape);
  const av = viewFloat(backend, a);
  const bv = viewFloat(backend, b);
  const o = out.data;
  if (aFull && bFull) {
    for (let i = 0; i < n; i++) o[i] = op(av[i] as number, bv[i] as number);
  } else if (bSmall) {
    if (nb === 1) {
      const s = bv[0] as number;
      for (let i = 0; i < n; i++) o[i] = op(av[i] as number, s);
    } else {
      for (let i = 0; i < n; i += nb) for (let j = 0; j < nb; j++) o[i + j] = op(av[i + j] as number, bv[j] as number);
    }
  } else if (na === 1) {
    const s = av[0] as number;
    for (let i = 0; i < n; i++) o[i] = op(s, bv[i] as number);
  } else {
    for (let i = 0; i < n; i += na) for (let j = 0; j < na; j++) o[i + j] = op(av[j] as number, bv[i + j] as number);
  }
  return out.info;
}

const OPS: [string, Op][] = [
  ['Multiply', (x, y) => x * y],
  ['Add', (x, y) => x + y],
  ['Sub', (x, y) => x - y],
  ['RealDiv', (x, y) => x / y],
];

/** Fast float32 elementwise arithmetic for cpu. */
export const cpuBinaryEntries: KernelEntry[] = OPS.map(
  ([kernelName, op]): KernelEntry => ({
    kernelName,
    backendName: 'cpu',
    kind: 'speed',
    why: 'stock maps every element through broadcast index arithmetic (Adam / batch-norm); flat loops',
    make: (stock) => ((a: Parameters<typeof binary>[0]) => binary(a, stock, op, kernelName)) as unknown as KernelFunc,
  }),
);
