/**
 * Per-kernel timings: each medinets kernel against the stock kernel it replaces, on
 * ResNet-like shapes (`npm run bench -- kernels`). Ratios are stock / medinets.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { stockKernel } from '../src/backend/kernels/registry';
import { benchDepthwise } from './depthwise';
import { activeAddon, nativeKernelsInUse } from '../src/backend/native';
import { allocFloat, release, viewFloat } from '../src/backend/kernels/util';
import { rowMajorGemm, runGemm, useGemmWorkers } from '../src/backend/kernels/wasm-gemm';
import { wasmSimd } from '../src/backend/kernels/wasm-simd';

interface Case {
  backend: 'wasm' | 'cpu';
  kernel: string;
  label: string;
  inputs: () => Record<string, tf.Tensor>;
  attrs: NamedAttrMap;
}

/**
 * Median time of `fn` over `reps` calls, each with its outputs read back (`read`, default) or not:
 * the wasm and cpu kernels are synchronous, so a kernel rate leaves out the read, a copy of the
 * whole output (51 MB for ResNet-50's 1x1 convolution, a third of its time).
 */
function time(fn: () => TensorInfo | TensorInfo[], reps: number, read = true): number {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    if (read) for (const o of outs) tf.backend().readSync(o.dataId);
    ts.push(performance.now() - t);
    for (const o of outs) tf.backend().disposeData(o.dataId);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor((ts.length - 1) / 2)] as number;
}

const r = (shape: number[]): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', 7);
const conv = (x: number[], f: number[], s: number): NamedAttrMap => ({
  strides: [s, s],
  pad: 'same',
  dataFormat: 'NHWC',
  dilations: [1, 1],
  filterShape: f,
  inputShape: x,
});

const CASES: Case[] = [
  {
    backend: 'wasm',
    kernel: 'Conv2DBackpropInput',
    label: 'dy [8,32,32,64] 3x3 64->64 s1',
    inputs: () => ({ dy: r([8, 32, 32, 64]), filter: r([3, 3, 64, 64]) }),
    attrs: conv([8, 32, 32, 64], [3, 3, 64, 64], 1),
  },
  {
    backend: 'wasm',
    kernel: 'Conv2DBackpropInput',
    label: 'dy [8,8,8,256] 3x3 128->256 s2',
    inputs: () => ({ dy: r([8, 8, 8, 256]), filter: r([3, 3, 128, 256]) }),
    attrs: conv([8, 16, 16, 128], [3, 3, 128, 256], 2),
  },
  {
    backend: 'wasm',
    kernel: 'Tile',
    label: '[1,1,1,64] x [8,32,32,1]',
    inputs: () => ({ x: r([1, 1, 1, 64]) }),
    attrs: { reps: [8, 32, 32, 1] },
  },
  {
    backend: 'wasm',
    kernel: 'BatchMatMul',
    label: '[1,512,8]^T x [1,8,512]',
    inputs: () => ({ a: r([1, 8, 512]), b: r([1, 8, 512]) }),
    attrs: { transposeA: true, transposeB: false },
  },
  {
    backend: 'wasm',
    kernel: 'GatherV2',
    label: '[4096,64] gather 4096 rows',
    inputs: () => ({ x: r([4096, 64]), indices: tf.range(4095, -1, -1, 'int32') }),
    attrs: { axis: 0, batchDims: 0 },
  },
  {
    backend: 'wasm',
    kernel: 'Sum',
    label: '[8,32,32,64] over N,H,W',
    inputs: () => ({ x: r([8, 32, 32, 64]) }),
    attrs: { axis: [0, 1, 2], keepDims: false },
  },
  {
    backend: 'wasm',
    kernel: 'Identity',
    label: '[8,64,64,64] (tf.clone)',
    inputs: () => ({ x: r([8, 64, 64, 64]) }),
    attrs: {},
  },
  {
    backend: 'cpu',
    kernel: 'Conv2D',
    label: 'x [2,32,32,16] 3x3 16->32',
    inputs: () => ({ x: r([2, 32, 32, 16]), filter: r([3, 3, 16, 32]) }),
    attrs: conv([2, 32, 32, 16], [3, 3, 16, 32], 1),
  },
  {
    backend: 'cpu',
    kernel: 'Conv2DBackpropFilter',
    label: 'x [2,32,32,16] 3x3 16->32',
    inputs: () => ({ x: r([2, 32, 32, 16]), dy: r([2, 32, 32, 32]) }),
    attrs: conv([2, 32, 32, 16], [3, 3, 16, 32], 1),
  },
  {
    backend: 'cpu',
    kernel: 'Conv2DBackpropInput',
    label: 'x [2,32,32,16] 3x3 16->32',
    inputs: () => ({ dy: r([2, 32, 32, 32]), filter: r([3, 3, 16, 32]) }),
    attrs: conv([2, 32, 32, 16], [3, 3, 16, 32], 1),
  },
  {
    backend: 'cpu',
    kernel: 'Multiply',
    label: '[2359296] x scalar (Adam)',
    inputs: () => ({ a: r([2359296]), b: tf.scalar(0.9) }),
    attrs: {},
  },
  {
    backend: 'cpu',
    kernel: 'Add',
    label: '[8,32,32,64] + [64]',
    inputs: () => ({ a: r([8, 32, 32, 64]), b: r([64]) }),
    attrs: {},
  },
];

/** Print stock vs medinets times for every case. */
export async function benchKernels(reps = 3): Promise<void> {
  console.log('\nkernels (median ms; stock / medinets)');
  for (const c of CASES) {
    await tf.setBackend(c.backend);
    const ins = c.inputs();
    const mine = tf.getKernel(c.kernel, c.backend);
    const stock = stockKernel(c.kernel, c.backend);
    if (mine == null || stock == null) continue;
    const call = (k: typeof mine) => () =>
      k.kernelFunc({ inputs: ins, attrs: c.attrs, backend: tf.backend() }) as TensorInfo;
    time(call(mine), 1);
    const tm = time(call(mine), reps);
    const ts = time(call(stock), c.backend === 'cpu' && c.kernel.startsWith('Conv') ? 1 : reps);
    console.log(
      `  ${c.backend.padEnd(5)} ${c.kernel.padEnd(22)} ${c.label.padEnd(34)} stock ${ts.toFixed(1).padStart(8)}  medinets ${tm.toFixed(1).padStart(7)}  ${(ts / tm).toFixed(1).padStart(6)}x`,
    );
    tf.dispose(Object.values(ins));
  }
  await benchDepthwise();
}

/** A native kernel case of {@link benchKernelRates}: its FLOPs (2 per multiply-add). */
interface RateCase {
  kernel: string;
  label: string;
  flops: number;
  inputs: () => Record<string, tf.Tensor>;
  attrs: NamedAttrMap;
}

/** conv FLOPs: 2 x batch x output pixels x out-channels x taps x in-channels. */
const convFlops = (n: number, ho: number, wo: number, co: number, k: number, ci: number): number =>
  2 * n * ho * wo * co * k * k * ci;

const RATE_CASES: RateCase[] = [
  ...(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const).map((kernel) => ({
    kernel,
    label: '[8,32,32,64] 3x3 64->64 s1',
    flops: convFlops(8, 32, 32, 64, 3, 64),
    inputs: (): Record<string, tf.Tensor> =>
      kernel === 'Conv2D'
        ? { x: r([8, 32, 32, 64]), filter: r([3, 3, 64, 64]) }
        : kernel === 'Conv2DBackpropInput'
          ? { dy: r([8, 32, 32, 64]), filter: r([3, 3, 64, 64]) }
          : { x: r([8, 32, 32, 64]), dy: r([8, 32, 32, 64]) },
    attrs: conv([8, 32, 32, 64], [3, 3, 64, 64], 1),
  })),
  {
    kernel: 'Conv2D',
    label: '[8,8,8,256] 3x3 256->256 s1',
    flops: convFlops(8, 8, 8, 256, 3, 256),
    inputs: () => ({ x: r([8, 8, 8, 256]), filter: r([3, 3, 256, 256]) }),
    attrs: conv([8, 8, 8, 256], [3, 3, 256, 256], 1),
  },
  {
    kernel: 'Conv2D',
    label: '[8,64,64,32] 3x3 32->32 s1 (UNet)',
    flops: convFlops(8, 64, 64, 32, 3, 32),
    inputs: () => ({ x: r([8, 64, 64, 32]), filter: r([3, 3, 32, 32]) }),
    attrs: conv([8, 64, 64, 32], [3, 3, 32, 32], 1),
  },
  {
    kernel: 'Conv2D',
    label: '[16,56,56,64] 1x1 64->256 (ResNet-50)',
    flops: convFlops(16, 56, 56, 256, 1, 64),
    inputs: () => ({ x: r([16, 56, 56, 64]), filter: r([1, 1, 64, 256]) }),
    attrs: conv([16, 56, 56, 64], [1, 1, 64, 256], 1),
  },
  {
    kernel: 'Conv2D',
    label: '[8,128,128,1] 7x7 1->64 s2 (stem)',
    flops: convFlops(8, 64, 64, 64, 7, 1),
    inputs: () => ({ x: r([8, 128, 128, 1]), filter: r([7, 7, 1, 64]) }),
    attrs: conv([8, 128, 128, 1], [7, 7, 1, 64], 2),
  },
  {
    kernel: 'BatchMatMul',
    label: '[1,1024,1024] x [1,1024,1024]',
    flops: 2 * 1024 ** 3,
    inputs: () => ({ a: r([1, 1024, 1024]), b: r([1, 1024, 1024]) }),
    attrs: { transposeA: false, transposeB: false },
  },
];

/**
 * The native kernels' GFLOP/s (wasm backend, addon active) beside the machine's measured
 * limit: the addon's FMA loop on one thread (fmaPeak) times the addon's threads.
 */
export async function benchKernelRates(reps = 5): Promise<void> {
  const addon = activeAddon();
  if (addon == null) {
    console.log('\nkernel GFLOP/s: the native addon is not active');
    return;
  }
  await tf.setBackend('wasm');
  const threads = nativeKernelsInUse().threads;
  const peak1 = addon.fmaPeak(1);
  const peak = peak1 * threads;
  console.log(
    `\nnative kernels, GFLOP/s (median of ${reps}) beside the FMA peak: ${peak1.toFixed(1)} per thread x ${threads} = ${peak.toFixed(1)} (${nativeKernelsInUse().simd})`,
  );
  for (const c of RATE_CASES) {
    const k = tf.getKernel(c.kernel, 'wasm');
    if (k == null) continue;
    const ins = c.inputs();
    const call = () => k.kernelFunc({ inputs: ins, attrs: c.attrs, backend: tf.backend() }) as TensorInfo;
    // a 3x3 stride-1 layer runs as Winograd where it pays (native/winograd.c), its forward, dx
    // and dW: its rate is then the direct product's multiply-adds over its time, and the direct
    // product is timed too
    const winograd = c.label.includes('3x3') && c.label.includes(' s1');
    for (const on of winograd ? [1, 0] : [1]) {
      addon.setWinograd(on as 0 | 1);
      time(call, 1, false);
      const ms = time(call, reps, false);
      const g = c.flops / (ms * 1e6);
      const how = !winograd ? '' : on === 1 ? '  (Winograd: direct-equivalent)' : '  (direct)';
      console.log(
        `  ${c.kernel.padEnd(22)} ${c.label.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms ${g.toFixed(1).padStart(7)} GFLOP/s ${((100 * g) / peak).toFixed(0).padStart(4)} % of peak${how}`,
      );
    }
    addon.setWinograd(1);
    tf.dispose(Object.values(ins));
  }
}

/**
 * The wasm SIMD module's matrix product (wasm/gemm.c, what wasm-only training multiplies with)
 * on one thread, GFLOP/s beside the module's own multiply-add peak (its register block over
 * one k block in L1), on ResNet-18's product shapes (M pixels x K taps x N filters).
 */
export function benchWasmProductRates(reps = 5): void {
  const backend = tf.backend();
  const simd = wasmSimd(backend);
  if (tf.getBackend() !== 'wasm' || simd == null) {
    console.log('\nwasm product GFLOP/s: the wasm SIMD kernels are not active');
    return;
  }
  const s = allocFloat(backend, [4096]); // gemm_peak_floats() is 3,104
  const peak = simd.gemmPeak(200_000, viewFloat(backend, s.info));
  release(backend, s.info);
  const relaxed = simd.gemmWorkers().relaxed;
  console.log(
    `\nwasm product (one thread, ${relaxed ? 'relaxed SIMD: fused multiply-add' : 'multiply then add'}), GFLOP/s (median of ${reps}) beside its register block's peak ${peak.toFixed(1)}`,
  );
  useGemmWorkers(false);
  try {
    for (const [m, n, k] of [
      [8192, 64, 576],
      [2048, 128, 1152],
      [512, 256, 2304],
      [128, 512, 4608],
    ] as const) {
      const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
      const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
      const c = allocFloat(backend, [m, n]);
      const g = rowMajorGemm(m, n, k, a, b, c.info);
      const ms = time(() => {
        runGemm(backend, simd, g);
        return [];
      }, reps + 1);
      const gf = (2 * m * n * k) / (ms * 1e6);
      console.log(
        `  ${`${m} x ${k} x ${n}`.padEnd(22)} ${ms.toFixed(1).padStart(7)} ms ${gf.toFixed(1).padStart(7)} GFLOP/s ${((100 * gf) / peak).toFixed(0).padStart(4)} % of peak`,
      );
      release(backend, c.info);
      tf.dispose([a, b]);
    }
  } finally {
    useGemmWorkers(true);
  }
}
