import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelEntry } from './registry';
import { allocFloat, callKernel, release, transposeK, viewFloat } from './util';

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

function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as 'valid',
    dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * dW = sum over batch and output positions of x-patch (outer) dy, computed as ONE wasm
 * (XNNPACK) convolution: the batch axis becomes the channel axis, x -> [Cin, H, W, N] is
 * the input, dy -> [Ho, Wo, N, Cout] is the filter, dilated by the forward stride; the
 * result [Cin, kh, kw, Cout] is transposed to [kh, kw, Cin, Cout].
 */
function conv2DBackpropFilterWasm(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  const { x, dy } = inputs;
  const info = convInfo(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
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
    xin = callKernel('Slice', 'wasm', backend, { x }, { begin: [0, 0, 0, 0], size: [info.batchSize, hKeep, wKeep, info.inChannels] });
    temps.push(xin);
    pb = Math.max(pb, 0);
    pr = Math.max(pr, 0);
  }
  const xt = transposeK('wasm', backend, xin, [3, 1, 2, 0]);
  const dyt = transposeK('wasm', backend, dy, [1, 2, 0, 3]);
  temps.push(xt, dyt);
  const conv = callKernel('Conv2D', 'wasm', backend, { x: xt, filter: dyt }, {
    strides: [1, 1],
    pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]],
    dilations: [sh, sw],
    dataFormat: 'NHWC',
  });
  temps.push(conv);
  const out = transposeK('wasm', backend, conv, [1, 2, 0, 3]);
  for (const t of temps) release(backend, t);
  return out;
}

/**
 * dx of a convolution as ONE ordinary convolution of dy ("sub-pixel" form): the filter is
 * split into its stride x stride phases, each flipped and transposed, stacked along the
 * output channels [J, J, Cout, s*s*Cin] (J = ceil(k / s)); DepthToSpace interleaves the
 * phases and a slice removes the forward padding. Unequal strides fall back to the stock kernel.
 */
function conv2DBackpropInputWasm(
  args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: KernelBackend; attrs: NamedAttrMap },
  stock: KernelConfig | undefined,
): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropInputAttrs;
  const { dy, filter } = inputs;
  const info = convInfo(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  if (sh !== sw && stock != null) return stock.kernelFunc(args as never) as TensorInfo;
  const s = sh;
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  const jh = Math.ceil(kh / s);
  const jw = Math.ceil(kw / s);
  const ph = s * s * cin;
  const f = allocFloat(backend, [jh, jw, cout, ph]);
  const w = viewFloat(backend, filter);
  const fd = f.data;
  fd.fill(0); // wasm heap memory is not zeroed; taps beyond the filter stay 0
  // A transpose per tap ([Cin, Cout] -> [Cout, Cin] slices) in 32x32 tiles for the cache.
  const T = 32;
  for (let my = 0; my < jh; my++) {
    for (let ry = 0; ry < s; ry++) {
      const ky = s * (jh - 1 - my) + ry;
      if (ky >= kh) continue;
      for (let mx = 0; mx < jw; mx++) {
        for (let rx = 0; rx < s; rx++) {
          const kx = s * (jw - 1 - mx) + rx;
          if (kx >= kw) continue;
          const wBase = (ky * kw + kx) * cin * cout;
          const fBase = (my * jw + mx) * cout * ph + (ry * s + rx) * cin;
          for (let c0 = 0; c0 < cin; c0 += T) {
            const c1 = Math.min(cin, c0 + T);
            for (let o0 = 0; o0 < cout; o0 += T) {
              const o1 = Math.min(cout, o0 + T);
              for (let co = o0; co < o1; co++) {
                const dst = fBase + co * ph;
                for (let ci = c0; ci < c1; ci++) fd[dst + ci] = w[wBase + ci * cout + co] as number;
              }
            }
          }
        }
      }
    }
  }
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const [H, W] = [info.inHeight, info.inWidth];
  const [ho, wo] = [info.outHeight, info.outWidth];
  const ah = Math.ceil((H + pt) / s);
  const aw = Math.ceil((W + pl) / s);
  const temps: TensorInfo[] = [f.info];
  // Stride 1: pad so the convolution lands exactly on dx (no DepthToSpace, no slice).
  const direct = s === 1 && jh - 1 - pt >= 0 && jw - 1 - pl >= 0 && H - ho + pt >= 0 && W - wo + pl >= 0;
  const pad = direct
    ? [[0, 0], [jh - 1 - pt, H - ho + pt], [jw - 1 - pl, W - wo + pl], [0, 0]]
    : [[0, 0], [jh - 1, Math.max(ah - ho, 0)], [jw - 1, Math.max(aw - wo, 0)], [0, 0]];
  let u = callKernel('Conv2D', 'wasm', backend, { x: dy, filter: f.info }, {
    strides: [1, 1],
    pad,
    dilations: [1, 1],
    dataFormat: 'NHWC',
  });
  if (s > 1) {
    temps.push(u);
    u = callKernel('DepthToSpace', 'wasm', backend, { x: u }, { blockSize: s, dataFormat: 'NHWC' });
  }
  if (direct || (pt === 0 && pl === 0 && u.shape[1] === H && u.shape[2] === W)) {
    for (const t of temps) release(backend, t);
    return u;
  }
  temps.push(u);
  const out = callKernel('Slice', 'wasm', backend, { x: u }, { begin: [0, pt, pl, 0], size: [info.batchSize, H, W, cin] });
  for (const t of temps) release(backend, t);
  return out;
}

/** The wasm convolution-gradient kernels. */
export const wasmConvEntries: KernelEntry[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kind: 'missing',
    why: 'absent on wasm; one XNNPACK Conv2D with the batch moved into channels, dy as a stride-dilated filter',
    make: () => conv2DBackpropFilterWasm as unknown as KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kind: 'speed',
    why: 'stock is a naive loop; one XNNPACK Conv2D of dy with the sub-pixel rearranged filter + DepthToSpace',
    make: (stock) => ((a: Parameters<typeof conv2DBackpropInputWasm>[0]) => conv2DBackpropInputWasm(a, stock)) as unknown as KernelFunc,
  },
];
