/*
 * Convolutions on wasm as one matrix product of medinets' SIMD module (wasm/gemm.c, on the
 * calling thread and the module's workers). tfjs-backend-wasm hands XNNPACK the filter as
 * the product's weights, which XNNPACK repacks whenever the filter tensor is new: in
 * training, every step, for the forward convolution and again for dx's flipped filter, at
 * about 8-10 ns a filter value (a 3x3 512 -> 512 filter, 2.4M values, adds about 20 ms to a
 * 10 ms convolution of eight 4x4 images). The module packs its operands at under 1 ns a
 * value and reads the patches straight from x, so no patch matrix is written.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, callKernel, release, rowsOf, transposeK, viewFloat } from './util';
import { convGeometry, patchParams } from './wasm-filter-grad';
import { rowMajorGemm, runGemm } from './wasm-gemm';
import type { SimdKernels } from './wasm-simd';

/** The paths' choice: by the cost models (auto), or forced (for tests and the bench). */
let choice: 'auto' | 'always' | 'never' = 'auto';

/** Force the product paths of this file on or off, or back to their cost models. @internal */
export function setGemmConvChoice(c: 'auto' | 'always' | 'never'): void {
  choice = c;
}

/** Floats of one block of P^T = W dy^T: bounds the scratch (64 MiB) unless one image needs more. */
const BLOCK_FLOATS = 1 << 24;

/**
 * Whether dx by {@link conv2DBackpropInputGemm} costs less than the flipped-filter
 * convolutions: where the images are small against the filter, from per-value costs measured
 * on wasm (2 threads; the filter's repacking with the flipped copy about 13 ns a filter
 * value, against about 10 ns a value of dy^T and 4 ns a value of P), and for strided
 * convolutions of fewer than 8 input channels (the stem: each stride phase is then a
 * convolution with as few outputs, which XNNPACK runs at 6 GFLOP/s; ResNet-18's 7x7 stride-2
 * stem 30 -> 12 ms).
 */
export function gemmInputGradPays(info: tf.backend_util.Conv2DInfo): boolean {
  if (choice !== 'auto') return choice === 'always';
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const cout = info.outChannels;
  if (info.inChannels < 8 && (info.strideHeight > 1 || info.strideWidth > 1)) return true;
  return cout * m * 10 + k * m * 4 < k * cout * 13;
}

/**
 * dx of a convolution on wasm as P^T = W [kh*kw*Cin, Cout] x dy^T [Cout, M] (the SIMD
 * module's product packs dy^T; the filter is read as it lies, no flipped copy), then summed
 * back into dx by the SIMD module's col2im (wasm/conv.c), in channel planes [Cin, N, H, W]
 * and transposed to NHWC. Any stride and padding; blocks of images
 * keep P under {@link BLOCK_FLOATS} (`blockFloats` is for tests). Each dx value is the sum
 * of its taps in tap order, whatever the thread count.
 */
export function conv2DBackpropInputGemm(
  backend: KernelBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  simd: SimdKernels,
  blockFloats = BLOCK_FLOATS,
): TensorInfo {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: cin, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = info;
  const k = kh * kw * cin;
  const perImage = ho * wo;
  const nb = Math.max(1, Math.min(n, Math.floor(blockFloats / (k * perImage))));
  const w2 = callKernel('Reshape', 'wasm', backend, { x: filter }, { shape: [1, k, cout] });
  const dy2 = callKernel('Reshape', 'wasm', backend, { x: dy }, { shape: [1, n * perImage, cout] });
  const xt = allocFloat(backend, [cin, n, H, W]);
  for (let n0 = 0; n0 < n; n0 += nb) {
    const n1 = Math.min(n, n0 + nb);
    const m = (n1 - n0) * perImage;
    const part = rowsOf('wasm', backend, dy2, n0 * perImage, m);
    const dyT = transposeK('wasm', backend, part, [0, 2, 1]);
    if (part !== dy2) release(backend, part);
    const p = allocFloat(backend, [k, m]);
    // P^T [k, m] = W [k, Cout] dy^T [Cout, m]
    runGemm(backend, simd, rowMajorGemm(k, m, cout, w2, dyT, p.info));
    release(backend, dyT);
    // views taken now: the product's allocation may have grown (replaced) the heap's buffer
    simd.col2imT(viewFloat(backend, p.info), viewFloat(backend, xt.info), patchParams(info, n0, n1));
    release(backend, p.info);
  }
  release(backend, w2);
  release(backend, dy2);
  const out = transposeK('wasm', backend, xt.info, [1, 2, 3, 0]);
  release(backend, xt.info);
  return out;
}

/**
 * Whether a convolution with a filter XNNPACK has not packed yet costs less as
 * {@link conv2DForwardGemm}. Measured on wasm (2 threads), with a new filter each call:
 * every 3x3 layer of ResNet-18 (32x32x64 10.8 -> 9.6 ms, 8x8x256 14.4 -> 8.1, 4x4x512 29 ->
 * 6-7) and 2x2 and larger filters of 64 outputs; small 1x1 filters (under 16K values) measured
 * alike or slower (128 -> 64: 0.72 -> 0.86 ms), fewer than 8 outputs fill too little of the
 * module's 8-column blocks, and dilated filters are not read by it: those stay with XNNPACK.
 */
export function gemmForwardPays(info: tf.backend_util.Conv2DInfo): boolean {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return false;
  if (choice !== 'auto') return choice === 'always';
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  return info.outChannels >= 8 && k * info.outChannels >= 16384;
}

/**
 * A convolution on wasm as Y [M, Cout] = P [M, kh*kw*Cin] x W [kh*kw*Cin, Cout], M the output
 * pixels, by the SIMD module (wasm/gemm.c), which reads P's slivers straight from x and packs
 * the filter as it lies. A bias is each output's start, to which the taps are added in the
 * convolution's own order (ky, kx, ci), as XNNPACK's convolution does: the two give the same
 * bits (tested). No activation: the caller applies it.
 */
export function conv2DForwardGemm(
  backend: KernelBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  simd: SimdKernels,
  bias?: TensorInfo,
): TensorInfo {
  const { batchSize: n, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const k = kh * kw * cin;
  const out = allocFloat(backend, [n, ho, wo, cout]);
  // Y [M, Cout] = P W: A = P read from x where it lies, B = the filter as it lies
  runGemm(backend, simd, {
    m: n * ho * wo,
    n: cout,
    k,
    a: { t: x },
    ars: 0,
    aks: 0,
    conv: convGeometry(info, 1),
    b: { t: filter },
    bks: cout,
    bjs: 1,
    c: { t: out.info },
    ldc: cout,
    bias,
  });
  return out.info;
}
