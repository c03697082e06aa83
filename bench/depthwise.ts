/**
 * Depthwise convolution (issue 19, issue 15 item 5): the addon's depthwise passes on
 * MobileNetV2's shapes at batch 8, 128x128 input, in GFLOP/s beside a dense 3x3 convolution
 * of the same map in the same run (the addon's GEMM, on its pool and on one thread), and the
 * stock wasm forward (XNNPACK) and medinets' JS gradients (what wasm runs without the addon)
 * against the native ones. `npm run bench -- kernels` prints it after the per-kernel table.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { disableNativeKernels, enableNativeKernels, nativeKernelsInUse } from '../src/backend';
import { stockKernel } from '../src/backend/kernels/registry';

/** [height = width, channels, stride] of MobileNetV2's depthwise layers at 128x128 input. */
const SHAPES: [number, number, number][] = [
  [64, 32, 1],
  [64, 96, 2],
  [32, 144, 1],
  [16, 192, 1],
  [8, 576, 1],
  [4, 960, 1],
];
const BATCH = 8;

// Rates are per core, from the CPU time of the process (every thread): on this shared 2-core
// machine the wall clock also measures the neighbours; CPU time measures the work, so GFLOP/s
// are comparable between the depthwise passes and the GEMM on any thread count. The wall
// time of the native passes on the pool is printed beside them.
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const mid = (ts: number[]): number =>
  [...ts].sort((a, b) => a - b)[Math.floor((ts.length - 1) / 2)] as number;

/** Median CPU ms and median wall ms of `reps` calls after a warm-up. */
function timed(fn: () => TensorInfo, reps: number): { cpu: number; wall: number } {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t = cpuMs();
    const w = performance.now();
    // no readSync: the kernels here are synchronous, and copying the output out would be
    // timed as the kernel's (on the biggest maps more than the native pass itself)
    tf.backend().disposeData(fn().dataId);
    if (i > 0) {
      cpu.push(cpuMs() - t); // the first call warms up
      wall.push(performance.now() - w);
    }
  }
  return { cpu: mid(cpu), wall: mid(wall) };
}

const median = (fn: () => TensorInfo, reps: number): number => timed(fn, reps).cpu;

function run(
  kernel: string,
  inputs: Record<string, tf.Tensor>,
  attrs: NamedAttrMap,
  stock = false,
): () => TensorInfo {
  const k = stock ? stockKernel(kernel, 'wasm') : tf.getKernel(kernel, 'wasm');
  if (k == null) throw new Error(`bench: no ${kernel} on wasm`);
  return () => k.kernelFunc({ inputs, attrs, backend: tf.backend() }) as TensorInfo;
}

const gflops = (flops: number, ms: number): string => (flops / ms / 1e6).toFixed(1).padStart(6);

/** Prints the depthwise table (wasm backend; the addon must be active for the native columns). */
export async function benchDepthwise(reps = 5): Promise<void> {
  await tf.setBackend('wasm');
  const report = nativeKernelsInUse();
  if (!report.active) {
    console.log(`\ndepthwise: the native addon is not active (${report.reason ?? ''}); skipped`);
    return;
  }
  const threads = report.threads;
  console.log(
    `\ndepthwise 3x3 (batch ${BATCH}, MobileNetV2 at 128x128; addon ${report.simd}; GFLOP/s per core from CPU time; depthwise and dense GEMM on the pool of ${threads} thread(s), dense also on 1; wall ms of the native passes on the pool)`,
  );
  console.log(
    '  map         s   dw fwd    dx    dW | wall ms fwd   dx   dW | dense fwd@pool @1 thr | dw fwd/dense | fwd ms: XNNPACK native  x | dx+dW ms: JS native  x',
  );
  for (const [hw, c, s] of SHAPES) {
    const x = tf.randomNormal([BATCH, hw, hw, c], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, c, 1], 0, 1, 'float32', 2);
    const attrs = { strides: [s, s], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC' } as NamedAttrMap;
    const ho = Math.ceil(hw / s);
    const dy = tf.randomNormal([BATCH, ho, ho, c], 0, 1, 'float32', 3);
    const dwFlops = 2 * BATCH * ho * ho * c * 9;
    const bpi = { ...attrs, inputShape: x.shape };
    const bpf = { ...attrs, filterShape: w.shape };
    enableNativeKernels();
    const tf_ = timed(run('DepthwiseConv2dNative', { x, filter: w }, attrs), reps);
    const tx = timed(run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, bpi), reps);
    const tw = timed(run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, bpf), reps);
    const [fwd, dx, dW] = [tf_.cpu, tx.cpu, tw.cpu];
    const xnn = median(run('DepthwiseConv2dNative', { x, filter: w }, attrs, true), reps);
    // the dense 3x3 convolution of the same input map, c -> c channels, same stride
    const wd = tf.randomNormal([3, 3, c, c], 0, 1, 'float32', 4);
    const denseFlops = dwFlops * c;
    const dense = median(run('Conv2D', { x, filter: wd }, attrs), reps);
    enableNativeKernels({ threads: 1 });
    const dense1 = median(run('Conv2D', { x, filter: wd }, attrs), reps);
    enableNativeKernels({ threads });
    disableNativeKernels();
    const jsGrad =
      median(run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, bpi), Math.min(reps, 2)) +
      median(run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, bpf), Math.min(reps, 2));
    enableNativeKernels({ threads });
    const dw1 = (dwFlops / fwd / (denseFlops / dense)) * 100;
    const ms = (v: number): string => v.toFixed(2).padStart(5);
    console.log(
      `  ${`${hw}x${hw}x${c}`.padEnd(11)} ${s}  ${gflops(dwFlops, fwd)}${gflops(dwFlops, dx)}${gflops(dwFlops, dW)} |    ${ms(tf_.wall)}${ms(tx.wall)}${ms(tw.wall)} |  ${gflops(denseFlops, dense)}   ${gflops(denseFlops, dense1)} | ${dw1.toFixed(0).padStart(10)}% | ${xnn.toFixed(2).padStart(13)} ${fwd.toFixed(2).padStart(6)} ${(xnn / fwd).toFixed(1).padStart(4)} | ${jsGrad.toFixed(1).padStart(11)} ${(dx + dW).toFixed(2).padStart(6)} ${(jsGrad / (dx + dW)).toFixed(0).padStart(3)}`,
    );
    tf.dispose([x, w, dy, wd]);
  }
}
