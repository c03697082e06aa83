import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { activeAddon } from '../native';
import type { KernelArgs } from './batch-norm';
import { nativeCap } from './native-kernels';
import { allocFloat, release, viewFloat } from './util';
import { wasmSimd } from './wasm-simd';

/** dy times the fused ReLU's gradient factor at y = x a + shift (the forward's float64 coef). */
function maskedDy(
  dy: Float32Array,
  xs: Float32Array,
  coef: Float32Array,
  c: number,
  cap: number,
): Float32Array {
  const ab = new Float64Array(new Uint8Array(coef.buffer, coef.byteOffset, 16 * c).slice().buffer);
  const out = new Float32Array(dy.length);
  for (let p = 0; p < dy.length; p++) {
    const j = p % c;
    const v = Math.fround((xs[p] as number) * (ab[j] as number) + (ab[c + j] as number));
    const step = v !== v ? v : v > 0 && v <= cap ? 1 : 0;
    out[p] = (dy[p] as number) * step;
  }
  return out;
}

/**
 * The batch-norm training gradient through the batch statistics, in two passes:
 * dOffset = sum dy, dScale = sum dy * xhat, dx = scale * invStd / n * (n dy - dOffset - xhat dScale)
 * with xhat = (x - mean) * invStd.
 */
export function bnTrainGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { dy, x, scale, mean, invStd, coef } = inputs as Record<
    'dy' | 'x' | 'scale' | 'mean' | 'invStd',
    TensorInfo
  > & { coef?: TensorInfo };
  const cap = coef != null ? (attrs.cap as number) : undefined;
  const c = x.shape[x.shape.length - 1] as number;
  const n = tf.util.sizeFromShape(x.shape) / c;
  const native = activeAddon();
  const simd = native == null && coef == null ? wasmSimd(backend) : null;
  // the wasm SIMD module's float64 scratch (3c values), on the heap, before the views
  const tmp = simd != null ? allocFloat(backend, [6 * c]).info : null;
  const [dx, dScale, dOffset] = [x.shape, [c], [c]]
    .map((shape) => allocFloat(backend, shape).info)
    .map((info) => ({ info, data: viewFloat(backend, info) }));
  let dys = viewFloat(backend, dy);
  const xs = viewFloat(backend, x);
  const g = viewFloat(backend, scale);
  const m = viewFloat(backend, mean);
  const inv = viewFloat(backend, invStd);
  const outs = [dx.data, dScale.data, dOffset.data] as const;
  // every path ends here: the SIMD scratch (allocated whenever the module runs) released
  const done = (): TensorInfo[] => {
    if (tmp != null) release(backend, tmp);
    return [dx.info, dScale.info, dOffset.info];
  };
  if (coef != null && native != null) {
    native.bnTrainGrad(dys, xs, g, m, inv, ...outs, nativeCap(cap as number), viewFloat(backend, coef));
    return done();
  }
  if (coef != null) dys = maskedDy(dys, xs, viewFloat(backend, coef), c, cap as number);
  else if (native != null) {
    native.bnTrainGrad(dys, xs, g, m, inv, ...outs);
    return done();
  } else if (simd != null && tmp != null) {
    simd.bnTrainGrad(dys, xs, g, m, inv, ...outs, viewFloat(backend, tmp));
    return done();
  }
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  for (let i = 0, p = 0; i < n; i++)
    for (let j = 0; j < c; j++, p++) {
      const d = dys[p] as number;
      sdy[j] += d;
      sdyx[j] += d * ((xs[p] as number) - (m[j] as number));
    }
  // dx = k1 dy + k2 x + k3, per channel.
  const k1 = new Float64Array(c);
  const k2 = new Float64Array(c);
  const k3 = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const iv = inv[j] as number;
    const gi = (g[j] as number) * iv;
    dOffset.data[j] = sdy[j] as number;
    dScale.data[j] = (sdyx[j] as number) * iv;
    k1[j] = gi;
    k2[j] = (-gi * iv * iv * (sdyx[j] as number)) / n;
    k3[j] = (-gi * (sdy[j] as number)) / n - (k2[j] as number) * (m[j] as number);
  }
  const dxd = dx.data;
  for (let i = 0, p = 0; i < n; i++)
    for (let j = 0; j < c; j++, p++)
      dxd[p] =
        (k1[j] as number) * (dys[p] as number) + (k2[j] as number) * (xs[p] as number) + (k3[j] as number);
  return done();
}
