import type * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, conv2DInfoNHWC, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/** wasm/conv.c's depthwise parameters: [n, h, w, c, m, ho, wo, kh, kw, sh, sw, dh, dw, pt, pl]. */
function simdParams(ci: tf.backend_util.Conv2DInfo, fs: number[]): number[] {
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    fs[2] as number,
    fs[3] as number,
    ci.outHeight,
    ci.outWidth,
    fs[0] as number,
    fs[1] as number,
    ci.strideHeight,
    ci.strideWidth,
    ci.dilationHeight,
    ci.dilationWidth,
    ci.padInfo.top,
    ci.padInfo.left,
  ];
}

interface DepthwiseAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | number[][];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** dW[i, j, c, m] = sum over n, oy, ox of x[n, oy*s + i*d - pt, ox*s + j*d - pl, c] dy[n, oy, ox, c*M + m]. */
export function depthwiseBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const a = args.attrs as unknown as DepthwiseAttrs;
  const { x, dy } = inputs;
  const fs = a.filterShape as [number, number, number, number];
  const ci = conv2DInfoNHWC(x.shape, fs, args.attrs, a.dilations, true);
  const [kh, kw, c, m] = fs;
  const out = allocFloat(backend, fs);
  const simd = x.dtype === 'float32' && dy.dtype === 'float32' ? wasmSimd(backend) : null;
  if (simd != null) {
    // in the wasm SIMD module (channels in lanes) when it runs here
    simd.depthwiseDw(viewFloat(backend, x), viewFloat(backend, dy), out.data, simdParams(ci, fs));
    return out.info;
  }
  const xs = viewFloat(backend, x);
  const g = viewFloat(backend, dy);
  const dw = out.data;
  dw.fill(0);
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo } = ci;
  const cm = c * m;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const wb = (i * kw + j) * cm;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * ci.strideHeight + i * ci.dilationHeight - ci.padInfo.top;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < wo; ox++) {
            const ix = ox * ci.strideWidth + j * ci.dilationWidth - ci.padInfo.left;
            if (ix < 0 || ix >= w) continue;
            const xb = ((b * h + iy) * w + ix) * c;
            const gb = ((b * ho + oy) * wo + ox) * cm;
            for (let ch = 0; ch < c; ch++) {
              const v = xs[xb + ch];
              for (let q = 0; q < m; q++) dw[wb + ch * m + q] += v * g[gb + ch * m + q];
            }
          }
        }
      }
    }
  }
  return out.info;
}

/** dx[n, iy, ix, c] = sum over taps and m of W[i, j, c, m] dy[n, oy, ox, c*M + m] (scatter form). */
export function depthwiseBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const a = args.attrs as unknown as DepthwiseAttrs;
  const { dy, filter } = inputs;
  const xShape = a.inputShape as [number, number, number, number];
  const ci = conv2DInfoNHWC(xShape, filter.shape, args.attrs, a.dilations, true);
  const [kh, kw, c, m] = filter.shape as [number, number, number, number];
  const out = allocFloat(backend, xShape);
  const simd = dy.dtype === 'float32' && filter.dtype === 'float32' ? wasmSimd(backend) : null;
  if (simd != null) {
    simd.depthwiseDx(
      viewFloat(backend, dy),
      viewFloat(backend, filter),
      out.data,
      simdParams(ci, filter.shape),
    );
    return out.info;
  }
  const wt = viewFloat(backend, filter);
  const g = viewFloat(backend, dy);
  const dx = out.data;
  dx.fill(0);
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo } = ci;
  const cm = c * m;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const gb = ((b * ho + oy) * wo + ox) * cm;
        for (let i = 0; i < kh; i++) {
          const iy = oy * ci.strideHeight + i * ci.dilationHeight - ci.padInfo.top;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * ci.strideWidth + j * ci.dilationWidth - ci.padInfo.left;
            if (ix < 0 || ix >= w) continue;
            const xb = ((b * h + iy) * w + ix) * c;
            const wb = (i * kw + j) * cm;
            for (let ch = 0; ch < c; ch++) {
              let s = 0;
              for (let q = 0; q < m; q++) s += wt[wb + ch * m + q] * g[gb + ch * m + q];
              dx[xb + ch] += s;
            }
          }
        }
      }
    }
  }
  return out.info;
}
