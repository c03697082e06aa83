import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, callKernel, conv2DInfoNHWC, release, transposeK, viewFloat } from './util';
import { conv2DBackpropFilterIm2col, im2colFilterGradPays } from './wasm-filter-grad';
import { conv2DBackpropInputGemm, gemmInputGradPays } from './wasm-gemm-conv';
import { wasmSimd } from './wasm-simd';

type Pad = 'valid' | 'same' | number | number[][];

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * dW of a 1x1, stride-1 convolution: one matrix product over the M = N*H*W pixels. XNNPACK
 * packs the product's second operand on every call where, as in training, the tensor is
 * new (about 5 ns a value on wasm; a transpose costs about 1), so the smaller of x [M, Cin]
 * and dy [M, Cout] is that operand: x^T dy, or (dy^T x)^T where dy is the larger by enough
 * to pay for transposing the Cin x Cout result. Measured with new tensors each call:
 * MobileNetV2's 64x64x16 -> 96 layer 16.6 -> 8.6 ms, its 32x32x24 -> 144 7.6 -> 3.3 ms,
 * DenseNet's 32x32x96 -> 128 10.9 -> 7.9 ms. Either is 20-35% faster than the
 * batch-as-channels convolution on DenseNet's 1x1 shapes.
 */
function pointwiseFilterGrad(backend: KernelBackend, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const cin = x.shape[3] as number;
  const cout = dy.shape[3] as number;
  const m = tf.util.sizeFromShape(x.shape) / cin;
  const a = callKernel('Reshape', 'wasm', backend, { x }, { shape: [1, m, cin] });
  const b = callKernel('Reshape', 'wasm', backend, { x: dy }, { shape: [1, m, cout] });
  let out: TensorInfo;
  if (2 * m * (cout - cin) <= cin * cout) {
    const prod = callKernel(
      'BatchMatMul',
      'wasm',
      backend,
      { a, b },
      { transposeA: true, transposeB: false },
    );
    out = callKernel('Reshape', 'wasm', backend, { x: prod }, { shape: [1, 1, cin, cout] });
    release(backend, prod);
  } else {
    const prodT = callKernel(
      'BatchMatMul',
      'wasm',
      backend,
      { a: b, b: a },
      { transposeA: true, transposeB: false },
    );
    const prod = transposeK('wasm', backend, prodT, [0, 2, 1]);
    out = callKernel('Reshape', 'wasm', backend, { x: prod }, { shape: [1, 1, cin, cout] });
    release(backend, prodT);
    release(backend, prod);
  }
  release(backend, a);
  release(backend, b);
  return out;
}

/**
 * Conv2DBackpropFilter on wasm: with the SIMD module, one product of its own (P^T read from
 * x, see {@link conv2DBackpropFilterIm2col}); without it, a 1x1 stride-1 filter as one XNNPACK
 * matrix product, small inputs (few channels or few output pixels) as im2col + a matrix
 * product, others as one XNNPACK convolution with the batch as channels.
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  const { x, dy } = inputs;
  const info = conv2DInfoNHWC(x.shape, attrs.filterShape, args.attrs);
  const pointwise = info.filterHeight === 1 && info.filterWidth === 1;
  const simd = wasmSimd(backend) != null;
  if (pointwise && info.strideHeight === 1 && info.strideWidth === 1 && !simd)
    return pointwiseFilterGrad(backend, x, dy);
  if (im2colFilterGradPays(info, simd)) return conv2DBackpropFilterIm2col(backend, x, dy, info);
  return conv2DBackpropFilterBatchAsChannels(backend, x, dy, info);
}

/**
 * dW = sum over batch and output positions of x-patch (outer) dy, computed as ONE wasm
 * (XNNPACK) convolution: the batch axis becomes the channel axis, x -> [Cin, H, W, N] is
 * the input, dy -> [Ho, Wo, N, Cout] is the filter, dilated by the forward stride; the
 * result [Cin, kh, kw, Cout] is transposed to [kh, kw, Cin, Cout].
 */
export function conv2DBackpropFilterBatchAsChannels(
  backend: KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [ho, wo] = [info.outHeight, info.outWidth];
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Bottom / right padding so the correlation yields exactly kh x kw taps; rows the forward
  // convolution never read (valid padding with a remainder) are cropped instead.
  let pb = kh + (ho - 1) * sh - info.inHeight - pt;
  let pr = kw + (wo - 1) * sw - info.inWidth - pl;
  let xin = x;
  const temps: TensorInfo[] = [];
  if (pb < 0 || pr < 0) {
    const hKeep = info.inHeight + Math.min(pb, 0);
    const wKeep = info.inWidth + Math.min(pr, 0);
    xin = callKernel(
      'Slice',
      'wasm',
      backend,
      { x },
      { begin: [0, 0, 0, 0], size: [info.batchSize, hKeep, wKeep, info.inChannels] },
    );
    temps.push(xin);
    pb = Math.max(pb, 0);
    pr = Math.max(pr, 0);
  }
  const xt = transposeK('wasm', backend, xin, [3, 1, 2, 0]);
  const dyt = transposeK('wasm', backend, dy, [1, 2, 0, 3]);
  temps.push(xt, dyt);
  const conv = callKernel(
    'Conv2D',
    'wasm',
    backend,
    { x: xt, filter: dyt },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ],
      dilations: [sh, sw],
      dataFormat: 'NHWC',
    },
  );
  temps.push(conv);
  const out = transposeK('wasm', backend, conv, [1, 2, 0, 3]);
  for (const t of temps) release(backend, t);
  return out;
}

/**
 * The filter of one stride phase (ry, rx) of dx, flipped and transposed:
 * F[my, mx, co, ci] = W[sh*(jy-1-my) + ry, sw*(jx-1-mx) + rx, ci, co], shape [jy, jx, Cout, Cin].
 */
function phaseFilter(
  backend: KernelBackend,
  filter: TensorInfo,
  sh: number,
  sw: number,
  ry: number,
  rx: number,
  jy: number,
  jx: number,
): TensorInfo {
  const [, kw, cin, cout] = filter.shape as [number, number, number, number];
  const f = allocFloat(backend, [jy, jx, cout, cin]);
  const w = viewFloat(backend, filter);
  const fd = f.data;
  // A transpose per tap ([Cin, Cout] -> [Cout, Cin]) in 32x32 tiles for the cache.
  const T = 32;
  for (let my = 0; my < jy; my++) {
    const ky = sh * (jy - 1 - my) + ry;
    for (let mx = 0; mx < jx; mx++) {
      const kx = sw * (jx - 1 - mx) + rx;
      const wBase = (ky * kw + kx) * cin * cout;
      const fBase = (my * jx + mx) * cout * cin;
      for (let c0 = 0; c0 < cin; c0 += T) {
        const c1 = Math.min(cin, c0 + T);
        for (let o0 = 0; o0 < cout; o0 += T) {
          const o1 = Math.min(cout, o0 + T);
          for (let co = o0; co < o1; co++) {
            const dst = fBase + co * cin;
            for (let ci = c0; ci < c1; ci++) fd[dst + ci] = w[wBase + ci * cout + co] as number;
          }
        }
      }
    }
  }
  return f.info;
}

/**
 * dx of a convolution on wasm: where the images are small against the filter (see
 * {@link gemmInputGradPays}), one matrix product W dy^T summed back by col2im
 * ({@link conv2DBackpropInputGemm}); otherwise by ordinary XNNPACK convolutions of dy
 * ("sub-pixel" form). The filter splits into its sh x sw stride phases; phase (ry, rx) holds the taps
 * ky = ry (mod sh), kx = rx (mod sw), flipped and transposed, and one convolution of dy
 * with it gives every dx pixel of that phase. With stride 1 there is one phase, padded so
 * the convolution lands exactly on dx; otherwise the phases are interleaved into dx. The
 * total work equals the forward convolution's (no zero taps, unlike a stacked filter).
 */
export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropInputAttrs;
  const { dy, filter } = inputs;
  const info = conv2DInfoNHWC(attrs.inputShape, filter.shape, args.attrs);
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [kh, kw, cin] = filter.shape as [number, number, number, number];
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const [n, H, W] = [info.batchSize, info.inHeight, info.inWidth];
  const [ho, wo] = [info.outHeight, info.outWidth];
  const simdK = wasmSimd(backend);
  if (simdK != null && gemmInputGradPays(info))
    return conv2DBackpropInputGemm(backend, dy, filter, info, simdK);
  const conv = (f: TensorInfo, pad: number[][]): TensorInfo =>
    callKernel(
      'Conv2D',
      'wasm',
      backend,
      { x: dy, filter: f },
      { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' },
    );

  if (sh === 1 && sw === 1 && kh - 1 - pt >= 0 && kw - 1 - pl >= 0 && H - ho + pt >= 0 && W - wo + pl >= 0) {
    const f = phaseFilter(backend, filter, 1, 1, 0, 0, kh, kw);
    const out = conv(f, [
      [0, 0],
      [kh - 1 - pt, H - ho + pt],
      [kw - 1 - pl, W - wo + pl],
      [0, 0],
    ]);
    release(backend, f);
    return out;
  }

  const phases: { u: TensorInfo; ry: number; rx: number; ah: number; aw: number }[] = [];
  for (let ry = 0; ry < sh; ry++) {
    const jy = Math.ceil((kh - ry) / sh);
    const ah = Math.ceil((H + pt - ry) / sh);
    if (jy <= 0 || ah <= 0) continue;
    for (let rx = 0; rx < sw; rx++) {
      const jx = Math.ceil((kw - rx) / sw);
      const aw = Math.ceil((W + pl - rx) / sw);
      if (jx <= 0 || aw <= 0) continue;
      const f = phaseFilter(backend, filter, sh, sw, ry, rx, jy, jx);
      const u = conv(f, [
        [0, 0],
        [jy - 1, Math.max(0, ah - ho)],
        [jx - 1, Math.max(0, aw - wo)],
        [0, 0],
      ]);
      release(backend, f);
      phases.push({ u, ry, rx, ah, aw });
    }
  }
  const out = allocFloat(backend, [n, H, W, cin]);
  const dx = out.data;
  dx.fill(0); // pixels of phases without taps get no gradient
  const simd = wasmSimd(backend);
  // One view of the whole heap: each pixel's channels move with copyWithin (a memmove), not a
  // JS loop or a subarray per pixel; with the SIMD module, a row of a phase in one call.
  const heap = new Float32Array(dx.buffer);
  // a float index by division: byteOffset >> 2 turns negative for a tensor above 2 GiB in the heap
  const dxBase = dx.byteOffset / 4;
  for (const { u, ry, rx, ah, aw } of phases) {
    const uView = viewFloat(backend, u);
    const uBase = uView.byteOffset / 4;
    const [, rows, cols] = u.shape as [number, number, number, number];
    const aMax = Math.min(ah, rows);
    const bMax = Math.min(aw, cols);
    // the phase's columns c with 0 <= sw*c + rx - pl < W
    const cLo = Math.max(0, Math.ceil((pl - rx) / sw));
    const cHi = Math.min(bMax, Math.floor((W - 1 + pl - rx) / sw) + 1);
    for (let b = 0; b < n; b++) {
      for (let a = 0; a < aMax; a++) {
        const y = sh * a + ry - pt;
        if (y < 0 || y >= H || cHi <= cLo) continue;
        const src = ((b * rows + a) * cols + cLo) * cin;
        const dst = ((b * H + y) * W + sw * cLo + rx - pl) * cin;
        if (simd != null) {
          simd.copyRows(dx, dst, sw * cin, uView, src, cin, cin, cHi - cLo);
          continue;
        }
        for (let c = cLo; c < cHi; c++) {
          const from = uBase + src + (c - cLo) * cin;
          heap.copyWithin(dxBase + dst + (c - cLo) * sw * cin, from, from + cin);
        }
      }
    }
  }
  for (const p of phases) release(backend, p.u);
  return out.info;
}
