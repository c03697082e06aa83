import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import { alloc, allocFloat, viewFloat } from './util';

/** The attributes of MaxPool, MaxPoolGrad and MaxPoolWithArgmax. */
export interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * For every output (b, oy, ox, c) of a max pooling: the flat input position (batch
 * included) of the first maximum of its window in row-major window order, as the cpu
 * kernel picks it, or -1 for an empty window; and the maximum itself.
 */
function argmaxWindows(
  x: Float32Array,
  shape: number[],
  info: tf.backend_util.Conv2DInfo,
): { pos: Int32Array; max: Float32Array } {
  const [n, h, w, c] = shape as [number, number, number, number];
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const pos = new Int32Array(n * ho * wo * c).fill(-1);
  const max = new Float32Array(n * ho * wo * c).fill(-Infinity);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - pt;
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pl;
        const o = ((b * ho + oy) * wo + ox) * c;
        for (let ky = 0; ky < fh; ky += dh) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < fw; kx += dw) {
            const ix = x0 + kx;
            if (ix < 0 || ix >= w) continue;
            const base = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch] as number;
              if (v > (max[o + ch] as number)) {
                max[o + ch] = v;
                pos[o + ch] = base + ch;
              }
            }
          }
        }
      }
    }
  }
  return { pos, max };
}

/** The geometry of a 2-D max pooling of `shape` (NHWC) from the kernel's attributes. */
export function poolInfo(shape: number[], a: MaxPoolGradAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
}

/** The addon's 14 pooling parameters (native/bindings.c POOL_PARAMS) of an input shape and its geometry. */
export function poolParams(shape: number[], info: tf.backend_util.Conv2DInfo): Int32Array {
  const [n, h, w, c] = shape as [number, number, number, number];
  return new Int32Array([
    n,
    h,
    w,
    c,
    info.outHeight,
    info.outWidth,
    info.effectiveFilterHeight,
    info.effectiveFilterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
}

/** dx of max pooling: each dy value goes to the first maximum of its window, whatever its sign. */
export function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { inputs, backend } = args;
  const { dy, input } = inputs;
  const info = poolInfo(input.shape, args.attrs as unknown as MaxPoolGradAttrs);
  const addon = activeAddon();
  if (addon != null && dy.dtype === 'float32' && input.dtype === 'float32') {
    const out = allocFloat(backend, input.shape);
    const params = poolParams(input.shape, info);
    addon.maxPoolGrad(viewFloat(backend, dy), viewFloat(backend, input), out.data, params);
    return out.info;
  }
  const { pos } = argmaxWindows(viewFloat(backend, input), input.shape, info);
  const out = allocFloat(backend, input.shape);
  const g = viewFloat(backend, dy);
  const dx = out.data;
  dx.fill(0);
  for (let i = 0; i < pos.length; i++) {
    const p = pos[i] as number;
    if (p >= 0) dx[p] += g[i] as number;
  }
  return out.info;
}

/** Max pooling with the flat index of each maximum (per image unless includeBatchInIndex). */
export function maxPoolWithArgmax(args: {
  inputs: { x: TensorInfo };
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const info = poolInfo(x.shape, { ...(attrs as unknown as MaxPoolGradAttrs), dimRoundingMode: undefined });
  const { pos, max } = argmaxWindows(viewFloat(backend, x), x.shape, info);
  const perImage = tf.util.sizeFromShape(x.shape.slice(1));
  const outPerImage = tf.util.sizeFromShape(info.outShape.slice(1));
  const withBatch = attrs.includeBatchInIndex === true;
  const pooled = allocFloat(backend, info.outShape);
  pooled.data.set(max);
  const idx = alloc(backend, info.outShape, 'int32');
  const id = idx.data;
  for (let i = 0; i < pos.length; i++) {
    const p = pos[i] as number;
    id[i] = withBatch || p < 0 ? p : p - Math.floor(i / outPerImage) * perImage;
  }
  return [pooled.info, idx.info];
}
