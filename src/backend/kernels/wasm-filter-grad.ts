import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, callKernel, release, rowsOf, transposeK, viewFloat } from './util';
import { runGemm } from './wasm-gemm';
import { wasmSimd } from './wasm-simd';

/**
 * Floats of one chunk of P^T (4 MiB): written and multiplied while still in cache. Measured
 * on wasm, 2 threads: UNet's 128x128x32 3x3 layer 98 -> 77 ms, 64x64x64 67 -> 59 ms against
 * one P^T for the whole batch; 1-4 MiB measure alike, 256 KiB and 64 MiB slower.
 */
const CHUNK_FLOATS = 1 << 20;
/** Fewest output pixels a chunk holds, so the chunks' sums stay a small share of the work. */
const MIN_CHUNK_PIXELS = 1024;

/**
 * Whether the im2col product beats the batch-as-channels convolution for dW: with the wasm SIMD
 * module (`simd`), on every shape measured (wasm, 2 threads, issue 19; with P^T then written
 * by the module, before its product read it from x:
 * ResNet-18's 3x3 layers 1.3-1.6x, the stem 4x, DenseNet-121's 32-filter layers 1.0-1.3x, a
 * 128x128x32 layer 1.35x); with P^T written in JavaScript only for inputs of up to 4
 * channels (UNet's first layer 5x, the ResNet stem 2x) and outputs of at most 8x8 pixels
 * (1.2-2x); at 16x16 and above, with 32-128 channels, writing P^T in JavaScript costs more
 * than the product saves.
 */
export function im2colFilterGradPays(info: tf.backend_util.Conv2DInfo, simd: boolean): boolean {
  return simd || info.inChannels <= 4 || info.outHeight * info.outWidth <= 64;
}

/** [n, h, w, cin, kh, kw, sh, sw, pt, pl, ho, wo]: the SIMD module's convolution geometry. */
function geometry(info: tf.backend_util.Conv2DInfo): number[] {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, padInfo } = info;
  return [n, h, w, cin, kh, kw, sh, sw, padInfo.top, padInfo.left, ho, wo];
}

/**
 * wasm/gemm.c's convolution geometry of `info`: mode 1 reads A = P from x, mode 2 A = P^T.
 */
export function convGeometry(info: tf.backend_util.Conv2DInfo, mode: 1 | 2): number[] {
  return [mode, ...geometry(info)];
}

/**
 * Output rows (b, oy) per chunk of P^T: near {@link CHUNK_FLOATS} floats, at least
 * {@link MIN_CHUNK_PIXELS} pixels, one row at the least.
 */
function patchChunkRows(info: tf.backend_util.Conv2DInfo): number {
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  return Math.max(1, Math.ceil(Math.max(MIN_CHUNK_PIXELS, Math.floor(CHUNK_FLOATS / k)) / info.outWidth));
}

/** The parameters of wasm/conv.c's col2im_t for `info`, over images [from, to). */
export function patchParams(info: tf.backend_util.Conv2DInfo, from: number, to: number): number[] {
  return [...geometry(info), from, to];
}

/**
 * dW of a convolution on wasm as one matrix product dW[kh*kw*Cin, Cout] = P^T[kh*kw*Cin, M] x
 * dy[M, Cout] over the M = N*Ho*Wo output pixels, where row (ky, kx, ci) of P^T holds the
 * input pixel each output pixel read through tap (ky, kx) on channel ci (zero in the padding).
 * With the SIMD module, its product (wasm/gemm.c) reads P^T's slivers straight from x (four
 * channels of a tap in one load) and packs dy: no patch matrix is written, and each dW value
 * is its terms summed in pixel order, whatever the thread count, the same bits as XNNPACK's
 * product of the whole P^T (tested). Without it, P^T is written in JavaScript from x in
 * channel planes ([Cin, N, H, W], one transpose) in chunks of whole output rows (b, oy) near
 * {@link CHUNK_FLOATS} floats (at least {@link MIN_CHUNK_PIXELS} pixels, one row at the
 * least; `chunkRows` output rows a chunk, for tests), each multiplied by XNNPACK and summed in
 * row order. Used where it measured faster than the batch-as-channels convolution (see
 * {@link im2colFilterGradPays}).
 */
export function conv2DBackpropFilterIm2col(
  backend: KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  chunkRows?: number,
): TensorInfo {
  const { batchSize: n, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const k = kh * kw * cin;
  const rows = n * ho;
  const simd = wasmSimd(backend);
  const dw = allocFloat(backend, [kh, kw, cin, cout]);
  if (simd != null) {
    // dW = P^T dy in one product, P^T read from x where it lies (wasm/gemm.c mode 2); a 1x1
    // stride-1 filter's P^T is x^T itself
    const pointwise =
      kh === 1 &&
      kw === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      info.inHeight === ho &&
      info.inWidth === wo;
    runGemm(backend, simd, {
      m: k,
      n: cout,
      k: rows * wo,
      a: { t: x },
      ars: pointwise ? 1 : 0,
      aks: pointwise ? cin : 0,
      conv: pointwise ? undefined : convGeometry(info, 2),
      b: { t: dy },
      bks: cout,
      bjs: 1,
      c: { t: dw.info },
      ldc: cout,
    });
    return dw.info;
  }
  const perChunk = chunkRows ?? patchChunkRows(info);
  const xt = transposeK('wasm', backend, x, [3, 0, 1, 2]);
  const dy2 = callKernel('Reshape', 'wasm', backend, { x: dy }, { shape: [1, rows * wo, cout] });
  for (let q0 = 0; q0 < rows; q0 += perChunk) {
    const q1 = Math.min(rows, q0 + perChunk);
    const m = (q1 - q0) * wo;
    const p = allocFloat(backend, [1, k, m]);
    writePatches(viewFloat(backend, xt), viewFloat(backend, p.info), info, q0, q1);
    const part = rowsOf('wasm', backend, dy2, q0 * wo, m);
    const prod = callKernel(
      'BatchMatMul',
      'wasm',
      backend,
      { a: p.info, b: part },
      { transposeA: false, transposeB: false },
    );
    if (part !== dy2) release(backend, part);
    release(backend, p.info);
    addInto(backend, dw.info, prod, q0 === 0);
    release(backend, prod);
  }
  release(backend, xt);
  release(backend, dy2);
  return dw.info;
}

/** dst = src (first) or dst + src, in place on the heap (the JS path's chunks). */
function addInto(backend: KernelBackend, dst: TensorInfo, src: TensorInfo, first: boolean): void {
  const d = viewFloat(backend, dst);
  const s = viewFloat(backend, src);
  if (first) d.set(s);
  else for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) + (s[i] as number);
}

/**
 * The JS twin of wasm/conv.c's im2col_t (where the SIMD module cannot run): P[k, m] for
 * output rows q0..q1-1 (q = b * Ho + oy) from xs = x as [Cin, N, H, W], rows moved with
 * copyWithin on the heap.
 */
function writePatches(
  xs: Float32Array,
  pd: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  q0: number,
  q1: number,
): void {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: cin } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const m = (q1 - q0) * wo;
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
        for (let q = q0; q < q1; q++, d += wo) {
          const oy = q % ho;
          const plane = (ci * n + Math.floor(q / ho)) * H;
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
