import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { allocFloat, viewFloat } from './util';

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dx of max pooling: each dy value goes to the first maximum of its window (row-major
 * window order, as the cpu kernel), whatever the sign of the values.
 */
function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as MaxPoolGradAttrs;
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = allocFloat(backend, input.shape);
  const x = viewFloat(backend, input);
  const g = viewFloat(backend, dy);
  const dx = out.data;
  dx.fill(0);
  const best = new Float32Array(c);
  const arg = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - pt;
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pl;
        best.fill(-Infinity);
        arg.fill(-1);
        for (let ky = 0; ky < fh; ky += dh) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < fw; kx += dw) {
            const ix = x0 + kx;
            if (ix < 0 || ix >= w) continue;
            const base = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch] || arg[ch] < 0) {
                best[ch] = v;
                arg[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * ho + oy) * wo + ox) * c;
        for (let ch = 0; ch < c; ch++) if (arg[ch] >= 0) dx[arg[ch]] += g[gBase + ch];
      }
    }
  }
  return out.info;
}

/** Pooling-gradient kernels. */
export const poolGradEntries: KernelEntry[] = [
  {
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kind: 'fix',
    why: 'stock routes dy wrongly when a window maximum is <= 0; first-maximum scatter in JS',
    make: () => maxPoolGrad as unknown as KernelFunc,
  },
  {
    kernelName: 'MaxPoolGrad',
    backendName: 'cpu',
    kind: 'speed',
    why: 'stock recomputes argmax positions with generic buffers (~2 s for a ResNet stem); one pass',
    make: () => maxPoolGrad as unknown as KernelFunc,
  },
];
