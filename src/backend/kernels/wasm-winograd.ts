/*
 * 3x3 stride-1 convolutions on wasm by Winograd's F(4x4, 3x3) (wasm/winograd.c): the filter
 * transformed into 36 packed [Cin, Cout] matrices, then blocks of 4x4 output tiles, each
 * block's input transformed, multiplied position by position on the matrix product's register
 * block and transformed back. 2.25 multiply-adds an output and channel pair instead of 9. The
 * results differ from the direct sum's in the last bits (within a relative 2e-5 of float64,
 * tested), as cuDNN's and oneDNN's Winograd convolutions do; a convolution's shape alone picks
 * the path ({@link winogradPays}), so every use of a filter, in training and at inference,
 * gives the same bits. Its dx, a 3x3 stride-1 convolution of dy with the flipped filter
 * (wasm-conv.ts), takes it too; dW stays a direct product.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, release, viewFloat } from './util';
import { GEOMETRY, readyWorkers, shareOut } from './wasm-gemm';
import type { GemmPool } from './wasm-pool';

/** wasm/winograd.c's exports. */
export interface WinogradExports {
  wino_filter_floats(cin: number, cout: number): number;
  wino_filter(...args: number[]): void;
  wino_scratch_floats(cin: number, cout: number, tb: number): number;
  wino_tiles(...args: number[]): void;
}

/** The exports a pool's jobs index after the product's (see {@link winogradKernels}). */
export const WINOGRAD_FNS = ['wino_filter', 'wino_tiles'];

/** One convolution for {@link WinogradKernels.winograd}: views on the heap. */
export interface WinogradArgs {
  /** The input [n, h, w, cin] (NHWC). */
  x: Float32Array;
  /** The filter [3, 3, cin, cout] (HWIO). */
  filter: Float32Array;
  /** cout values added to every output, if any. */
  bias?: Float32Array;
  /** The output [n, ho, wo, cout]. */
  y: Float32Array;
  /** [n, h, w, cin, padTop, padLeft, ho, wo, cout]. */
  shape: [number, number, number, number, number, number, number, number, number];
  /** {@link WinogradKernels.winogradScratchFloats} floats. */
  scratch: Float32Array;
}

/** The Winograd convolution's methods of the SIMD kernels. */
export interface WinogradKernels {
  /** The scratch floats a convolution of these channels needs (the transformed filter, each thread's block). */
  winogradScratchFloats(cin: number, cout: number): number;
  /** See {@link WinogradArgs}. */
  winograd(a: WinogradArgs): void;
}

/**
 * Each thread's block of tiles: its transformed input and products (36 x tiles x channels)
 * within about 512 KB, 4 to 64 tiles (measured: 32x32x64 and 8x8x256 layers alike from 256
 * KB to 1 MB).
 */
function tilesPerBlock(cin: number, cout: number): number {
  const t = Math.floor((1 << 17) / (36 * (cin + Math.ceil(cout / 8) * 8)));
  return Math.max(4, Math.min(64, t - (t % 4)));
}

/**
 * The Winograd convolution on exports `e` and the pool's workers (their jobs' export indices
 * start at `base`, the index of WINOGRAD_FNS[0]); `ptr` maps a view to its byte address.
 */
export function winogradKernels(
  e: WinogradExports,
  pool: GemmPool | null,
  base: number,
  ptr: (a: Float32Array) => number,
): WinogradKernels {
  const threads = 1 + (pool?.size ?? 0);
  const layout = (cin: number, cout: number): { tb: number; per: number; filter: number } => {
    const tb = tilesPerBlock(cin, cout);
    return { tb, per: e.wino_scratch_floats(cin, cout, tb), filter: e.wino_filter_floats(cin, cout) };
  };
  return {
    winogradScratchFloats(cin, cout) {
      const { per, filter } = layout(cin, cout);
      return GEOMETRY + filter + threads * per;
    },
    winograd(a) {
      const [n, , , cin, , , ho, wo, cout] = a.shape;
      const { tb, per, filter } = layout(cin, cout);
      const need = GEOMETRY + filter + threads * per;
      if (a.scratch.length < need)
        throw new Error(`medinets wasm winograd: scratch has ${a.scratch.length} floats, needs ${need}`);
      const tiles = n * Math.ceil(ho / 4) * Math.ceil(wo / 4);
      const g = ptr(a.scratch);
      new Int32Array(a.scratch.buffer, a.scratch.byteOffset, 10).set([...a.shape, tb]);
      const u = g + 4 * GEOMETRY;
      const own = u + 4 * filter;
      const ready = readyWorkers(pool);
      const f = ptr(a.filter);
      // the filter by panels of 8 output channels, then the tiles in units of 4
      const filterArgs = (j0: number, j1: number): number[] => [f, cin, cout, u, j0, j1];
      shareOut(pool, ready, Math.ceil(cout / 8), base, filterArgs, (args) => e.wino_filter(...args));
      const x = ptr(a.x);
      const y = ptr(a.y);
      const bias = a.bias != null ? ptr(a.bias) : 0;
      const tileArgs = (t0: number, t1: number, t: number): number[] => [
        x,
        u,
        bias,
        y,
        g,
        4 * t0,
        Math.min(tiles, 4 * t1),
        own + 4 * t * per,
      ];
      shareOut(pool, ready, Math.ceil(tiles / 4), base + 1, tileArgs, (args) => e.wino_tiles(...args));
    },
  };
}

/**
 * Whether a convolution costs less by {@link conv2DWinograd} than by a direct product: 3x3,
 * stride 1, no dilation, at least 16 input and 8 output channels (below that the transforms
 * cost more than the products save), and at least 32 tiles of 4x4 outputs and 2,048 tile and
 * output channel pairs. The filter's transform (36 values for 9) is made every call and read
 * once per block of tiles, so a few tiles do not pay for it, nor do the transforms of the input
 * where there are few outputs (8x8x8 128 -> 32, 32 tiles: 0.71 -> 0.97 ms). Measured on wasm,
 * 2 threads, against XNNPACK with the filter packed: 8x16x16 128 -> 128 (128 tiles) 10.3 -> 4.0
 * ms, 8x8x8 256 -> 256 (32 tiles) 10.5 -> 6.5 ms, 1x16x16 128 -> 128 (16 tiles) 1.3 -> 1.7 ms,
 * 8x4x4 512 -> 512 (8 tiles) 11.4 -> 13.8 ms.
 */
export function winogradPays(info: tf.backend_util.Conv2DInfo): boolean {
  const tiles = info.batchSize * Math.ceil(info.outHeight / 4) * Math.ceil(info.outWidth / 4);
  return (
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels >= 16 &&
    info.outChannels >= 8 &&
    tiles >= 32 &&
    tiles * info.outChannels >= 2048
  );
}

/** y = conv(x, filter) + bias by {@link WinogradKernels.winograd} on the wasm heap. */
export function conv2DWinograd(
  backend: KernelBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  k: WinogradKernels,
  bias?: TensorInfo,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const { outHeight: ho, outWidth: wo, padInfo } = info;
  const out = allocFloat(backend, [n, ho, wo, cout]);
  const s = allocFloat(backend, [k.winogradScratchFloats(cin, cout)]);
  // views taken now: the allocations may have grown (replaced) the heap's buffer
  k.winograd({
    x: viewFloat(backend, x),
    filter: viewFloat(backend, filter),
    bias: bias != null ? viewFloat(backend, bias) : undefined,
    y: viewFloat(backend, out.info),
    shape: [n, h, w, cin, padInfo.top, padInfo.left, ho, wo, cout],
    scratch: viewFloat(backend, s.info),
  });
  release(backend, s.info);
  return out.info;
}
