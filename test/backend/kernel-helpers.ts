import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { stockKernel } from '../../src/backend/kernels/registry';
import type { KernelTarget } from '../../src/backend/kernels/util';
import { makeRng } from '../../src/util/random';

/** A kernel input as plain data, created afresh on whichever backend runs the kernel. */
export interface Input {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'float32' | 'int32';
}

export function randn(shape: number[], seed: number): Input {
  const rng = makeRng(seed);
  const data = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { shape, data };
}

/**
 * Run kernel `name` on backend `be` (switching to it) and return the output's values.
 * `stock` runs the kernel tfjs shipped (the one medinets replaced, if any) instead of
 * the registered one. Asserts nothing leaks: tensors and backend buffers are unchanged.
 */
export async function runKernel(
  be: KernelTarget,
  name: string,
  inputs: Record<string, Input>,
  attrs: NamedAttrMap,
  stock = false,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(be);
  const before = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape, v.dtype ?? 'float32');
  let out: tf.Tensor;
  if (stock) {
    const k = stockKernel(name, be) ?? tf.getKernel(name, be);
    if (k == null) throw new Error(`no ${name} on ${be}`);
    const info = k.kernelFunc({ inputs: ts, attrs, backend: tf.backend() }) as TensorInfo;
    out = tf.engine().makeTensorFromTensorInfo(info);
  } else {
    out = tf.engine().runKernel(name, ts, attrs) as tf.Tensor;
  }
  const values = Float32Array.from(out.dataSync());
  const shape = out.shape;
  out.dispose();
  for (const t of Object.values(ts)) t.dispose();
  if (tf.memory().numTensors !== before) throw new Error(`${name} on ${be} leaked tensors`);
  if (tf.backend().numDataIds() !== buffersBefore) throw new Error(`${name} on ${be} leaked backend buffers`);
  return { shape, values };
}

/** max |a - b| / max(|b|, 1e-6): one relative error for the whole output. */
export function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  let m = 1e-6;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs((a[i] as number) - (b[i] as number)));
    m = Math.max(m, Math.abs(b[i] as number));
  }
  return e / m;
}

/** Convolution geometry cases: strides 1/2, same/valid, dilation, batch > 1, non-square, 1 channel. */
export interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations: [number, number];
}

export const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 7, 3], f: [3, 3, 3, 4], strides: [1, 1], pad: 'same', dilations: [1, 1] },
  { x: [2, 9, 7, 3], f: [3, 3, 3, 4], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [3, 8, 11, 1], f: [3, 2, 1, 5], strides: [2, 2], pad: 'valid', dilations: [1, 1] },
  { x: [1, 12, 10, 2], f: [7, 7, 2, 3], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [1, 11, 11, 2], f: [4, 4, 2, 3], strides: [3, 3], pad: 'valid', dilations: [1, 1] },
  { x: [2, 10, 9, 3], f: [3, 3, 3, 2], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  { x: [1, 6, 6, 5], f: [2, 2, 5, 1], strides: [1, 2], pad: 'same', dilations: [1, 1] },
  { x: [2, 5, 5, 1], f: [3, 3, 1, 1], strides: [1, 1], pad: 'valid', dilations: [1, 1] },
  { x: [2, 8, 6, 3], f: [2, 2, 3, 4], strides: [2, 2], pad: 'same', dilations: [1, 1] },
  { x: [1, 9, 9, 2], f: [3, 3, 2, 2], strides: [3, 2], pad: 'same', dilations: [1, 1] },
];

export function convInfo(c: ConvCase, depthwise = false): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, c.dilations, c.pad, undefined, depthwise);
}

export function label(c: ConvCase): string {
  return `x${c.x.join('x')} f${c.f.join('x')} s${c.strides.join('')} ${c.pad} d${c.dilations.join('')}`;
}

/**
 * Runs a test child (`./child/<name>`, TypeScript through tsx) with the pool's `threads` and
 * MEDINETS_NATIVE_ISA=`isa` ('' for the CPU's best); its last stdout line, parsed as JSON.
 */
export function childJson<T>(name: string, threads: number, isa: string): T {
  const child = fileURLToPath(new URL(`./child/${name}`, import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(threads)], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, MEDINETS_NATIVE_ISA: isa },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as T;
}
