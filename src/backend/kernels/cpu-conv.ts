import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { sgemmAcc } from './gemm';
import { allocFloat, conv2DInfoNHWC, isNHWC, viewFloat } from './util';

type Info = tf.backend_util.Conv2DInfo;
/** The arguments tfjs passes a convolution kernel. */
export type ConvArgs = {
  inputs: Record<string, TensorInfo | undefined>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
};

// Rows of the patch matrix per block: the block (rows x kh*kw*Cin floats) stays ~1 MB.
const BLOCK_FLOATS = 1 << 18;

function blockRows(k: number, total: number): number {
  return Math.min(total, Math.max(4, Math.floor(BLOCK_FLOATS / k / 4) * 4));
}

function isPointwise(c: Info): boolean {
  return (
    c.filterHeight === 1 &&
    c.filterWidth === 1 &&
    c.strideHeight === 1 &&
    c.strideWidth === 1 &&
    c.padInfo.top === 0 &&
    c.padInfo.left === 0 &&
    c.outHeight === c.inHeight &&
    c.outWidth === c.inWidth
  );
}

/**
 * Patch matrix of output rows [r0, r1) (row = flat (n, oy, ox)), columns (ky, kx, ci) to
 * match a [kh, kw, Cin, Cout] filter viewed as [K, Cout]; zero where the window leaves the
 * image. `transposed` writes it as [K, rows] for the filter gradient.
 */
function im2col(
  x: Float32Array,
  c: Info,
  r0: number,
  r1: number,
  p: Float32Array,
  transposed: boolean,
): void {
  const { inHeight: h, inWidth: w, inChannels: cin, outHeight: ho, outWidth: wo } = c;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = c;
  const pt = c.padInfo.top;
  const pl = c.padInfo.left;
  const k = kh * kw * cin;
  const rows = r1 - r0;
  const hw = ho * wo;
  for (let r = r0; r < r1; r++) {
    const n = Math.floor(r / hw);
    const rem = r - n * hw;
    const oy = Math.floor(rem / wo);
    const ox = rem - oy * wo;
    const row = r - r0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky * dh - pt;
      const rowOk = iy >= 0 && iy < h;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw + kx * dw - pl;
        const col = (ky * kw + kx) * cin;
        const ok = rowOk && ix >= 0 && ix < w;
        const src = ((n * h + iy) * w + ix) * cin;
        if (transposed) {
          let d = col * rows + row;
          if (ok) for (let ci = 0; ci < cin; ci++, d += rows) p[d] = x[src + ci] as number;
          else for (let ci = 0; ci < cin; ci++, d += rows) p[d] = 0;
        } else {
          const d = row * k + col;
          if (ok) for (let ci = 0; ci < cin; ci++) p[d + ci] = x[src + ci] as number;
          else p.fill(0, d, d + cin);
        }
      }
    }
  }
}

/** dx[window of row r] += d[row]: the adjoint of {@link im2col}. */
function col2im(d: Float32Array, c: Info, r0: number, r1: number, dx: Float32Array): void {
  const { inHeight: h, inWidth: w, inChannels: cin, outHeight: ho, outWidth: wo } = c;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = c;
  const pt = c.padInfo.top;
  const pl = c.padInfo.left;
  const k = kh * kw * cin;
  const hw = ho * wo;
  for (let r = r0; r < r1; r++) {
    const n = Math.floor(r / hw);
    const rem = r - n * hw;
    const oy = Math.floor(rem / wo);
    const ox = rem - oy * wo;
    const base = (r - r0) * k;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky * dh - pt;
      if (iy < 0 || iy >= h) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ox * sw + kx * dw - pl;
        if (ix < 0 || ix >= w) continue;
        const dst = ((n * h + iy) * w + ix) * cin;
        const src = base + (ky * kw + kx) * cin;
        for (let ci = 0; ci < cin; ci++) dx[dst + ci] += d[src + ci] as number;
      }
    }
  }
}

/** y[M, Cout] += patches(x) * W, M = N * Ho * Wo. */
function convForward(x: Float32Array, wt: Float32Array, c: Info, y: Float32Array): void {
  const m = c.batchSize * c.outHeight * c.outWidth;
  const cout = c.outChannels;
  if (isPointwise(c)) {
    sgemmAcc(m, cout, c.inChannels, x, 0, c.inChannels, wt, 0, cout, y, 0, cout);
    return;
  }
  const k = c.filterHeight * c.filterWidth * c.inChannels;
  const rows = blockRows(k, m);
  const p = new Float32Array(rows * k);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    im2col(x, c, r0, r1, p, false);
    sgemmAcc(r1 - r0, cout, k, p, 0, k, wt, 0, cout, y, r0 * cout, cout);
  }
}

function activate(y: Float32Array, activation: string, alpha: number): void {
  const n = y.length;
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if ((y[i] as number) < 0) y[i] = 0;
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) y[i] = Math.min(6, Math.max(0, y[i] as number));
      return;
    case 'elu':
      for (let i = 0; i < n; i++) if ((y[i] as number) < 0) y[i] = Math.exp(y[i] as number) - 1;
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-(y[i] as number)));
      return;
    case 'leakyrelu':
      for (let i = 0; i < n; i++) if ((y[i] as number) < 0) y[i] = alpha * (y[i] as number);
      return;
    default:
      throw new Error(`unsupported activation ${activation}`);
  }
}

const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu']);

export function fusedConv2D(args: ConvArgs, stock: KernelConfig | undefined, fused: boolean): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const bias = fused ? inputs.bias : undefined;
  const activation = (fused ? (attrs.activation as string | undefined) : undefined) ?? 'linear';
  const cout = filter.shape[3] as number;
  const biasOk =
    bias == null || tf.util.sizeFromShape(bias.shape) === cout || tf.util.sizeFromShape(bias.shape) === 1;
  if (!isNHWC(attrs) || !ACTIVATIONS.has(activation) || !biasOk || x.dtype !== 'float32') {
    if (stock == null) throw new Error('medinets: no stock cpu convolution kernel to fall back to');
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  const c = conv2DInfoNHWC(x.shape, filter.shape, attrs, attrs.dilations);
  const out = allocFloat(backend, c.outShape);
  const y = out.data;
  convForward(viewFloat(backend, x), viewFloat(backend, filter), c, y);
  if (bias != null) {
    const bv = viewFloat(backend, bias);
    if (bv.length === 1) {
      const b0 = bv[0] as number;
      for (let i = 0; i < y.length; i++) y[i] += b0;
    } else {
      for (let i = 0; i < y.length; i += cout) for (let j = 0; j < cout; j++) y[i + j] += bv[j] as number;
    }
  }
  activate(y, activation, (attrs.leakyreluAlpha as number | undefined) ?? 0.2);
  return out.info;
}

/** dx = col2im(dy * W^T), blocked over output rows. */
export function conv2DBackpropInputCpu(args: ConvArgs, stock: KernelConfig | undefined): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  if (!isNHWC(attrs) && stock != null) return stock.kernelFunc(args as never) as TensorInfo;
  const c = conv2DInfoNHWC(attrs.inputShape as number[], filter.shape, attrs, 1);
  const k = c.filterHeight * c.filterWidth * c.inChannels;
  const cout = c.outChannels;
  const w = viewFloat(backend, filter);
  const wt = new Float32Array(k * cout);
  for (let i = 0; i < k; i++) for (let j = 0; j < cout; j++) wt[j * k + i] = w[i * cout + j] as number;
  const out = allocFloat(backend, attrs.inputShape as number[]);
  const g = viewFloat(backend, dy);
  const m = c.batchSize * c.outHeight * c.outWidth;
  if (isPointwise(c)) {
    sgemmAcc(m, k, cout, g, 0, cout, wt, 0, k, out.data, 0, k);
    return out.info;
  }
  const rows = blockRows(k, m);
  const d = new Float32Array(rows * k);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    d.fill(0);
    sgemmAcc(r1 - r0, k, cout, g, r0 * cout, cout, wt, 0, k, d, 0, k);
    col2im(d, c, r0, r1, out.data);
  }
  return out.info;
}

/** dW[K, Cout] = sum over row blocks of patches^T * dy. */
export function conv2DBackpropFilterCpu(args: ConvArgs, stock: KernelConfig | undefined): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  if (!isNHWC(attrs) && stock != null) return stock.kernelFunc(args as never) as TensorInfo;
  const fShape = attrs.filterShape as number[];
  const c = conv2DInfoNHWC(x.shape, fShape, attrs, 1);
  const k = c.filterHeight * c.filterWidth * c.inChannels;
  const cout = c.outChannels;
  const m = c.batchSize * c.outHeight * c.outWidth;
  const out = allocFloat(backend, fShape);
  const xv = viewFloat(backend, x);
  const g = viewFloat(backend, dy);
  const rows = blockRows(k, m);
  const pt = new Float32Array(rows * k);
  for (let r0 = 0; r0 < m; r0 += rows) {
    const r1 = Math.min(m, r0 + rows);
    const n = r1 - r0;
    im2col(xv, c, r0, r1, pt, true);
    sgemmAcc(k, cout, n, pt, 0, n, g, r0 * cout, cout, out.data, 0, cout);
  }
  return out.info;
}
