/**
 * Layout conversions between the frameworks' tensor layouts, on plain arrays: PyTorch's
 * OIHW convolution kernels and `[out, in]` linear weights to TF.js' HWIO and `[in, out]`;
 * torchvision VGG's channel-first flatten to TF.js' channel-last one.
 */
import { sizeOf, type RawTensor } from './raw';

/** Permutes the axes of `t`: output axis i is input axis `perm[i]` (numpy's `transpose`). */
export function permute(t: RawTensor, perm: readonly number[]): RawTensor {
  const { shape, data } = t;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const stride = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(perm.length).fill(0);
  let src = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = data[src];
    for (let d = perm.length - 1; d >= 0; d--) {
      src += stride[d];
      if (++idx[d] < outShape[d]) break;
      src -= stride[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return { shape: outShape, data: out };
}

/**
 * Reorders the rows of a dense kernel `[c*h*w, units]` that follows a channel-first flatten
 * (PyTorch's `torch.flatten` of NCHW) into the channel-last order of a TF.js `Flatten` of
 * NHWC, so `flatten(x_nhwc) @ kernel` equals PyTorch's `flatten(x_nchw) @ weight.T`.
 */
export function channelsFirstRowsToLast(t: RawTensor, channels: number): RawTensor {
  const [rows, units] = t.shape;
  const hw = rows / channels;
  const out = new Float32Array(t.data.length);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < hw; p++) {
      const from = (c * hw + p) * units;
      out.set(t.data.subarray(from, from + units), (p * channels + c) * units);
    }
  }
  return { shape: [rows, units], data: out };
}

/** Sums a `[kh, kw, 3, out]` kernel over its input channels: an RGB stem for grayscale input. */
export function sumInputChannels(t: RawTensor): RawTensor {
  const [kh, kw, cin, cout] = t.shape;
  const out = new Float32Array(kh * kw * cout);
  for (let p = 0; p < kh * kw; p++) {
    for (let c = 0; c < cin; c++) {
      for (let o = 0; o < cout; o++) out[p * cout + o] += t.data[(p * cin + c) * cout + o];
    }
  }
  return { shape: [kh, kw, 1, cout], data: out };
}
