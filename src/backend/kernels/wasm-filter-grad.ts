import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, callKernel, release, transposeK, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/** Floats of one im2col block: bounds the scratch tensor (64 MiB) unless one image needs more. */
const BLOCK_FLOATS = 1 << 24;

/**
 * Whether the im2col product beats the batch-as-channels convolution for dW: with P^T written
 * by the wasm SIMD module (`simd`), on every shape measured (wasm, 2 XNNPACK threads, issue 19:
 * ResNet-18's 3x3 layers 1.3-1.6x, the stem 4x, DenseNet-121's 32-filter layers 1.0-1.3x, a
 * 128x128x32 layer 1.35x); with P^T written in JavaScript only for inputs of up to 4
 * channels (UNet's first layer 5x, the ResNet stem 2x) and outputs of at most 8x8 pixels
 * (1.2-2x); at 16x16 and above, with 32-128 channels, writing P^T in JavaScript costs more
 * than the product saves.
 */
export function im2colFilterGradPays(info: tf.backend_util.Conv2DInfo, simd: boolean): boolean {
  return simd || info.inChannels <= 4 || info.outHeight * info.outWidth <= 64;
}

/**
 * dW of a convolution on wasm as im2col + one XNNPACK matrix product per block of images:
 * dW[kh*kw*Cin, Cout] = P^T[kh*kw*Cin, M] x dy[M, Cout] over the M = N*Ho*Wo output pixels,
 * where row (ky, kx, ci) of P^T holds the input pixel each output pixel read through tap
 * (ky, kx) on channel ci (zero in the padding). P^T is written from x in channel planes
 * ([Cin, N, H, W], one XNNPACK transpose), so each row is copied in runs along the width,
 * by the wasm SIMD module (wasm/conv.c) when it runs, else in JavaScript.
 * XNNPACK packs only dy (the "weights" of the product, as large as dy), where the
 * batch-as-channels convolution packs dy as a Ho x Wo filter of N channels and runs its
 * 8-float inner loop once per tap. Blocks of images keep P^T under {@link BLOCK_FLOATS};
 * their products are summed in image order, so the result does not depend on the threads.
 * Used where it measured faster than the batch-as-channels convolution (see
 * {@link im2colFilterGradPays}); `blockFloats` is for tests.
 */
export function conv2DBackpropFilterIm2col(
  backend: KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  blockFloats = BLOCK_FLOATS,
): TensorInfo {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: cin, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const k = kh * kw * cin;
  const perImage = ho * wo;
  const nb = Math.max(1, Math.min(n, Math.floor(blockFloats / (k * perImage))));
  const xt = transposeK('wasm', backend, x, [3, 0, 1, 2]);
  let acc: TensorInfo | null = null;
  for (let n0 = 0; n0 < n; n0 += nb) {
    const n1 = Math.min(n, n0 + nb);
    const m = (n1 - n0) * perImage;
    const p = allocFloat(backend, [1, k, m]);
    const simd = wasmSimd(backend);
    if (simd != null)
      simd.im2colT(viewFloat(backend, xt), p.data, [n, H, W, cin, kh, kw, sh, sw, pt, pl, ho, wo, n0, n1]);
    else writePatches(viewFloat(backend, xt), p.data, info, n0, n1);
    const flat = callKernel('Reshape', 'wasm', backend, { x: dy }, { shape: [1, n * perImage, cout] });
    let dyFlat = flat;
    if (n1 - n0 < n) {
      dyFlat = callKernel(
        'Slice',
        'wasm',
        backend,
        { x: flat },
        { begin: [0, n0 * perImage, 0], size: [1, m, cout] },
      );
      release(backend, flat);
    }
    const prod = callKernel(
      'BatchMatMul',
      'wasm',
      backend,
      { a: p.info, b: dyFlat },
      { transposeA: false, transposeB: false },
    );
    release(backend, p.info);
    release(backend, dyFlat);
    if (acc == null) acc = prod;
    else {
      const a = viewFloat(backend, acc);
      const q = viewFloat(backend, prod);
      for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (q[i] as number);
      release(backend, prod);
    }
  }
  release(backend, xt);
  const out = callKernel(
    'Reshape',
    'wasm',
    backend,
    { x: acc as TensorInfo },
    { shape: [kh, kw, cin, cout] },
  );
  release(backend, acc as TensorInfo);
  return out;
}

/**
 * The JS twin of wasm/conv.c's im2col_t (where the SIMD module cannot run): P[k, m] for
 * images n0..n1-1 from xs = x as [Cin, N, H, W], rows moved with copyWithin on the heap.
 */
function writePatches(
  xs: Float32Array,
  pd: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  n0: number,
  n1: number,
): void {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: cin } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const m = (n1 - n0) * ho * wo;
  // One view of the whole heap: rows are moved with copyWithin (a memmove), not a JS loop.
  const heap = new Float32Array(pd.buffer);
  // float indices by division: byteOffset >> 2 turns negative for a tensor above 2 GiB in the heap
  const pBase = pd.byteOffset / 4;
  const xBase = xs.byteOffset / 4;
  // column ranges of each kx: wo with 0 <= wo*sw + kx - pl < W
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const wLo = Math.min(wo, Math.max(0, Math.ceil((pl - kx) / sw)));
      const wHi = Math.max(wLo, Math.min(wo, Math.floor((W - 1 - kx + pl) / sw) + 1));
      for (let ci = 0; ci < cin; ci++) {
        let d = ((ky * kw + kx) * cin + ci) * m;
        for (let b = n0; b < n1; b++) {
          const plane = (ci * n + b) * H;
          for (let oy = 0; oy < ho; oy++, d += wo) {
            const y = oy * sh + ky - pt;
            if (y < 0 || y >= H) {
              pd.fill(0, d, d + wo);
              continue;
            }
            const row = (plane + y) * W + kx - pl;
            if (wLo > 0) pd.fill(0, d, d + wLo);
            if (wHi < wo) pd.fill(0, d + wHi, d + wo);
            if (sw === 1) heap.copyWithin(pBase + d + wLo, xBase + row + wLo, xBase + row + wHi);
            else for (let ox = wLo; ox < wHi; ox++) pd[d + ox] = xs[row + ox * sw] as number;
          }
        }
      }
    }
  }
}
