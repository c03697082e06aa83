/*
 * Convolutions on wasm as one XNNPACK matrix product whose packed operand is the small
 * one. tfjs-backend-wasm hands XNNPACK the filter as the product's weights, which XNNPACK
 * repacks whenever the filter tensor is new: in training, every step, for the forward
 * convolution and again for dx's flipped filter. That repacking costs about 9-10 ns a
 * filter value (measured on wasm, 2 threads: a 3x3 512 -> 512 filter, 2.4M values, adds
 * 23 ms to a 10 ms convolution of a batch of eight 4x4 images). Where the images are small
 * and the filter large, the product is turned around so that the activations are packed
 * and the filter is streamed as it lies.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, callKernel, release, rowsOf, transposeK, viewFloat } from './util';
import { patchParams } from './wasm-filter-grad';
import type { SimdKernels } from './wasm-simd';

/** Floats of one block of P^T = W dy^T: bounds the scratch (64 MiB) unless one image needs more. */
const BLOCK_FLOATS = 1 << 24;

/**
 * Whether dx by {@link conv2DBackpropInputGemm} costs less than the flipped-filter
 * convolution, from per-value costs measured on wasm (2 threads): the filter's repacking
 * (with the flipped copy) about 13 ns a filter value, against about 10 ns a value of
 * dy^T packed and 4 ns a value of P (its product, col2im and the transpose).
 */
export function gemmInputGradPays(info: tf.backend_util.Conv2DInfo): boolean {
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const cout = info.outChannels;
  return cout * m * 10 + k * m * 4 < k * cout * 13;
}

/**
 * dx of a convolution on wasm as P^T = W [kh*kw*Cin, Cout] x dy^T [Cout, M] (XNNPACK packs
 * dy^T, which is small where the images are; the filter is read as it lies, no flipped
 * copy), then summed back into dx by the SIMD module's col2im (wasm/conv.c), in channel
 * planes [Cin, N, H, W] and transposed to NHWC. Any stride and padding; blocks of images
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
    const p = callKernel(
      'BatchMatMul',
      'wasm',
      backend,
      { a: w2, b: dyT },
      { transposeA: false, transposeB: false },
    );
    release(backend, dyT);
    // views taken now: the product's allocation may have grown (replaced) the heap's buffer
    simd.col2imT(viewFloat(backend, p), viewFloat(backend, xt.info), patchParams(info, n0, n1));
    release(backend, p);
  }
  release(backend, w2);
  release(backend, dy2);
  const out = transposeK('wasm', backend, xt.info, [1, 2, 3, 0]);
  release(backend, xt.info);
  return out;
}

/**
 * Whether a convolution with a filter XNNPACK has not packed yet costs less as
 * {@link conv2DForwardGemm}: packing P^T (kh*kw*Cin x M values) and transposing the filter
 * instead of packing the filter (kh*kw*Cin x Cout), from the per-value costs measured on
 * wasm (2 threads): about 10 ns a packed value, 1 ns a transposed or im2col value.
 * Dilated convolutions, fewer than 8 filters and P^T above {@link BLOCK_FLOATS} stay with
 * XNNPACK's convolution.
 */
export function gemmForwardPays(info: tf.backend_util.Conv2DInfo): boolean {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.outChannels < 8) return false;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const cout = info.outChannels;
  return k * m <= BLOCK_FLOATS && k * m * 11 + k * cout * 1 + m * cout * 2 < k * cout * 10;
}

/**
 * A convolution on wasm as Y^T [Cout, M] = W^T [Cout, kh*kw*Cin] x P^T [kh*kw*Cin, M]
 * (P^T from the SIMD module's im2col of x in channel planes), transposed back to NHWC.
 * XNNPACK packs P^T, small where the images are, instead of a filter it has not seen (in
 * training, every step's new weights). A bias enters as a first row of ones in P^T against a
 * first column of W^T, so each output starts from it and adds the taps in the convolution's
 * own order (ky, kx, ci), as XNNPACK's convolution does: the two give the same bits (tested;
 * except a 1-in 1-out-channel filter, which XNNPACK runs through another kernel, never
 * chosen here). No activation: the caller applies it.
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
  const m = n * ho * wo;
  const k1 = bias != null ? k + 1 : k;
  const xt = transposeK('wasm', backend, x, [3, 0, 1, 2]);
  const p = allocFloat(backend, [1, k1, m]);
  // views taken now: the allocation may have grown (replaced) the heap's buffer
  const pv = viewFloat(backend, p.info);
  if (bias != null) pv.fill(1, 0, m);
  simd.im2colT(viewFloat(backend, xt), bias != null ? pv.subarray(m) : pv, patchParams(info, 0, n * ho));
  release(backend, xt);
  let w2 = callKernel('Reshape', 'wasm', backend, { x: filter }, { shape: [k, cout] });
  if (bias != null) {
    const b2 = callKernel('Reshape', 'wasm', backend, { x: bias }, { shape: [1, cout] });
    const wb = callKernel('Concat', 'wasm', backend, [b2, w2] as never, { axis: 0 });
    release(backend, b2);
    release(backend, w2);
    w2 = wb;
  }
  const wT = transposeK('wasm', backend, w2, [1, 0]);
  release(backend, w2);
  const wT3 = callKernel('Reshape', 'wasm', backend, { x: wT }, { shape: [1, cout, k1] });
  release(backend, wT);
  const yT = callKernel(
    'BatchMatMul',
    'wasm',
    backend,
    { a: wT3, b: p.info },
    { transposeA: false, transposeB: false },
  );
  release(backend, wT3);
  release(backend, p.info);
  const y = transposeK('wasm', backend, yT, [0, 2, 1]);
  release(backend, yT);
  const out = callKernel('Reshape', 'wasm', backend, { x: y }, { shape: [n, ho, wo, cout] });
  release(backend, y);
  return out;
}
