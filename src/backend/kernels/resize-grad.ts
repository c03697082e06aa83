import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, viewFloat } from './util';

interface ResizeGradAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

function ratio(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/**
 * dx of bilinear resizing: the exact adjoint of the cpu ResizeBilinear forward, including
 * `halfPixelCenters` (which the stock gradients ignore).
 */
export function resizeBilinearGrad(args: {
  inputs: { images: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const { alignCorners, halfPixelCenters } = args.attrs as unknown as ResizeGradAttrs;
  const { images, dy } = inputs;
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const [, oh, ow] = dy.shape as [number, number, number, number];
  const ry = ratio(h, oh, alignCorners);
  const rx = ratio(w, ow, alignCorners);
  // Per output column: the two source columns and the weight of the right one.
  const xl = new Int32Array(ow);
  const xr = new Int32Array(ow);
  const xf = new Float32Array(ow);
  for (let ox = 0; ox < ow; ox++) {
    const src = halfPixelCenters ? rx * (ox + 0.5) - 0.5 : rx * ox;
    const lo = Math.max(0, Math.floor(src));
    xl[ox] = lo;
    xr[ox] = Math.min(w - 1, Math.ceil(src));
    xf[ox] = src - lo;
  }
  const out = allocFloat(backend, images.shape);
  const g = viewFloat(backend, dy);
  const dx = out.data;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const src = halfPixelCenters ? ry * (oy + 0.5) - 0.5 : ry * oy;
      const top = Math.max(0, Math.floor(src));
      const bot = Math.min(h - 1, Math.ceil(src));
      const fy = src - top;
      const topBase = (b * h + top) * w;
      const botBase = (b * h + bot) * w;
      for (let ox = 0; ox < ow; ox++) {
        const fx = xf[ox];
        const wtl = (1 - fy) * (1 - fx);
        const wtr = (1 - fy) * fx;
        const wbl = fy * (1 - fx);
        const wbr = fy * fx;
        const tl = (topBase + xl[ox]) * c;
        const tr = (topBase + xr[ox]) * c;
        const bl = (botBase + xl[ox]) * c;
        const br = (botBase + xr[ox]) * c;
        const gb = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const v = g[gb + ch];
          dx[tl + ch] += v * wtl;
          dx[tr + ch] += v * wtr;
          dx[bl + ch] += v * wbl;
          dx[br + ch] += v * wbr;
        }
      }
    }
  }
  return out.info;
}

/** dx of nearest-neighbour resizing: the adjoint of the cpu forward, for every batch item. */
export function resizeNearestGrad(args: {
  inputs: { images: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const { alignCorners, halfPixelCenters } = args.attrs as unknown as ResizeGradAttrs;
  const { images, dy } = inputs;
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const [, oh, ow] = dy.shape as [number, number, number, number];
  const ry = ratio(h, oh, alignCorners);
  const rx = ratio(w, ow, alignCorners);
  const near = (r: number, i: number, size: number): number => {
    const src = halfPixelCenters ? r * (i + 0.5) : r * i;
    const k = Math.min(size - 1, alignCorners ? Math.round(src) : Math.floor(src));
    return halfPixelCenters ? Math.max(0, k) : k;
  };
  const cols = new Int32Array(ow);
  for (let ox = 0; ox < ow; ox++) cols[ox] = near(rx, ox, w);
  const out = allocFloat(backend, images.shape);
  const g = viewFloat(backend, dy);
  const dx = out.data;
  dx.fill(0);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const rowBase = (b * h + near(ry, oy, h)) * w;
      for (let ox = 0; ox < ow; ox++) {
        const d = (rowBase + cols[ox]) * c;
        const gb = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) dx[d + ch] += g[gb + ch];
      }
    }
  }
  return out.info;
}
