/**
 * Layout conversions between the frameworks' tensor layouts, on plain arrays: PyTorch's
 * OIHW convolution kernels and `[out, in]` linear weights to TF.js' HWIO and `[in, out]`;
 * torchvision VGG's channel-first flatten to TF.js' channel-last one.
 */
import { sizeOf, type RawTensor } from './raw';

const TILE = 32;

/**
 * `[O, I, HW]` -> `[HW, I, O]` (OIHW -> HWIO; `[out, in]` -> `[in, out]` is HW = 1). Blocks of
 * 32 output channels: the 32 input rows are each read in order and every write is a run of 32
 * contiguous floats, so both sides stay in cache.
 */
function oihwToHwio(data: Float32Array, o: number, i: number, hw: number): Float32Array {
  const out = new Float32Array(data.length);
  const ihw = i * hw;
  for (let k0 = 0; k0 < o; k0 += TILE) {
    const k1 = Math.min(k0 + TILE, o);
    for (let c = 0; c < i; c++) {
      for (let p = 0; p < hw; p++) {
        let src = k0 * ihw + c * hw + p;
        let dst = (p * i + c) * o + k0;
        for (let k = k0; k < k1; k++, src += ihw) out[dst++] = data[src];
      }
    }
  }
  return out;
}

// Any permutation of rank <= 4: plain nested loops over the output, input strides precomputed.
function permuteGeneral(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const inStrides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const n = [1, 1, 1, 1];
  const s = [0, 0, 0, 0];
  for (let k = 0; k < rank; k++) {
    n[4 - rank + k] = shape[perm[k]];
    s[4 - rank + k] = inStrides[perm[k]];
  }
  const [n0, n1, n2, n3] = n;
  const [s0, s1, s2, s3] = s;
  const out = new Float32Array(data.length);
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      const ab = a * s0 + b * s1;
      for (let c = 0; c < n2; c++) {
        let src = ab + c * s2;
        for (let d = 0; d < n3; d++, src += s3) out[o++] = data[src];
      }
    }
  }
  return out;
}

/**
 * Permutes the axes of `t` (rank <= 4): output axis i is input axis `perm[i]` (numpy's
 * `transpose`). The layouts loading meets, `[out, in]` -> `[in, out]` and OIHW -> HWIO, are
 * blocked transposes in one pass; a per-element odometer here was most of the time of
 * loading a ResNet-50 checkpoint.
 */
export function permute(t: RawTensor, perm: readonly number[]): RawTensor {
  const { shape, data } = t;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  if (perm.every((p, i) => p === i)) return { shape: outShape, data };
  if (rank > 4) throw new Error(`permute: rank ${rank} tensors are not supported; expected rank <= 4`);
  const is = (p: readonly number[]): boolean => p.length === perm.length && p.every((x, i) => x === perm[i]);
  if (is([1, 0])) return { shape: outShape, data: oihwToHwio(data, shape[0], shape[1], 1) };
  if (is([2, 3, 1, 0]) || (is([2, 3, 0, 1]) && shape[1] === 1)) {
    // A depthwise [C, 1, kh, kw] -> [kh, kw, C, 1] is the case I = 1.
    return { shape: outShape, data: oihwToHwio(data, shape[0], shape[1], shape[2] * shape[3]) };
  }
  return { shape: outShape, data: permuteGeneral(data, shape, perm) };
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
