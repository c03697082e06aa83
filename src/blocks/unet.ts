/**
 * UNet parts (Ronneberger et al., "U-Net: Convolutional Networks for Biomedical Image
 * Segmentation", MICCAI 2015) in the form of the widely used PyTorch UNet (milesial/Pytorch-UNet),
 * which Tianhao Xu's COVID-CT thesis (section 2.3.3) follows:
 * DoubleConv, Down, Up (bilinear or transposed, pad-then-concat) and OutConv. Each part is a
 * function on functional-API symbolic tensors `[batch, height, width, channels]`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { UpsampleBilinear } from '../layers/upsample-bilinear';
import { TORCH_BN, convBnAct } from './conv-bn-act';
import { type Sym, apply, conv2d, hwc } from './graph';
import type { KernelInit } from './init';

/** How an {@link unetUp} doubles the resolution. */
export type UpsampleMode = 'bilinear' | 'transpose';

/** Options shared by the UNet parts. */
export interface UNetPartOptions {
  /** Prefix of every layer name the part creates (e.g. `down1`). */
  name: string;
  /** The build's kernel initialisation; omit for the layers' own defaults. */
  init?: KernelInit;
}

/**
 * conv (k x k, no bias, PyTorch padding) -> BN (PyTorch constants) -> ReLU, named
 * `${name}_conv${suffix}`, `${name}_bn${suffix}`, `${name}_relu${suffix}` and, when strided,
 * `${name}_pad${suffix}`: the unit of the PyTorch-style UNets.
 */
export function torchConvBnRelu(
  x: Sym,
  filters: number,
  name: string,
  { strides = 1, suffix = '', init }: { strides?: number; suffix?: string; init?: KernelInit } = {},
): Sym {
  return convBnAct(x, {
    filters,
    kernelSize: 3,
    strides,
    padding: 'torch',
    ...TORCH_BN,
    names: {
      conv: `${name}_conv${suffix}`,
      bn: `${name}_bn${suffix}`,
      act: `${name}_relu${suffix}`,
      pad: `${name}_pad${suffix}`,
    },
    init,
  });
}

/** Options of {@link doubleConv}. */
export interface DoubleConvOptions extends UNetPartOptions {
  /** Width of the first conv (default `filters`); UNet's bilinear Up uses half its input channels here. */
  midFilters?: number;
}

/**
 * DoubleConv: (conv 3x3, no bias -> BN -> ReLU) twice.
 * `[b, h, w, c] -> [b, h, w, filters]`. Layers: `${name}_conv1`, `${name}_bn1`,
 * `${name}_relu1`, `${name}_conv2`, `${name}_bn2`, `${name}_relu2`.
 */
export function doubleConv(
  x: tfl.SymbolicTensor,
  filters: number,
  opts: DoubleConvOptions,
): tfl.SymbolicTensor {
  const { name, init } = opts;
  const y = torchConvBnRelu(x, opts.midFilters ?? filters, name, { suffix: '1', init });
  return torchConvBnRelu(y, filters, name, { suffix: '2', init });
}

/**
 * Down: 2x2 max pooling (stride 2, floor) then {@link doubleConv}.
 * `[b, h, w, c] -> [b, floor(h/2), floor(w/2), filters]`. Layers: `${name}_pool`, then
 * the DoubleConv names.
 */
export function unetDown(x: tfl.SymbolicTensor, filters: number, opts: UNetPartOptions): tfl.SymbolicTensor {
  const p = apply(
    tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `${opts.name}_pool` }),
    x,
  );
  return doubleConv(p, filters, opts);
}

/**
 * Bring `x` to the height and width of `ref` by zero padding (when smaller) or cropping
 * (when larger), splitting the difference as PyTorch's
 * `F.pad(x, [diff // 2, diff - diff // 2, ...])` does (a negative pad there crops). This is
 * what lets pad-then-concat work for odd input sizes. Adds `${name}` (a ZeroPadding2D) and/or
 * `${name}_crop` (a Cropping2D) only when needed; returns `x` itself when sizes agree.
 */
export function padOrCropTo(
  x: tfl.SymbolicTensor,
  ref: tfl.SymbolicTensor,
  name: string,
): tfl.SymbolicTensor {
  const [h, w] = hwc(x);
  const [rh, rw] = hwc(ref);
  const split = (d: number): [number, number] => {
    const a = Math.floor(d / 2);
    return [a, d - a];
  };
  const [t, b] = split(rh - h);
  const [l, r] = split(rw - w);
  let y = x;
  const crop: [[number, number], [number, number]] = [
    [Math.max(0, -t), Math.max(0, -b)],
    [Math.max(0, -l), Math.max(0, -r)],
  ];
  if (crop[0][0] + crop[0][1] + crop[1][0] + crop[1][1] > 0) {
    y = apply(tfl.layers.cropping2D({ cropping: crop, name: `${name}_crop` }), y);
  }
  const pad: [[number, number], [number, number]] = [
    [Math.max(0, t), Math.max(0, b)],
    [Math.max(0, l), Math.max(0, r)],
  ];
  if (pad[0][0] + pad[0][1] + pad[1][0] + pad[1][1] > 0) {
    y = apply(tfl.layers.zeroPadding2d({ padding: pad, name }), y);
  }
  return y;
}

/** Options of {@link unetUp}. */
export interface UNetUpOptions extends UNetPartOptions {
  /**
   * `bilinear`: {@link UpsampleBilinear} x2 (aligned corners, as the PyTorch UNet);
   * `transpose`: Conv2DTranspose 2x2 stride 2 to half the channels.
   */
  mode: UpsampleMode;
  /** Width of the DoubleConv's first conv; default: half the concatenated channels for `bilinear`, `filters` for `transpose` (as in the reference UNet code). */
  midFilters?: number;
  /** Output channels of the transposed conv; default half of `x`'s channels. */
  transposeFilters?: number;
}

/**
 * Up: upsample `x` by 2, pad (or crop) it to `skip`'s size, concatenate `[skip, up]` on the
 * channel axis, then {@link doubleConv}.
 * `x: [b, h, w, c]`, `skip: [b, H, W, s]` -> `[b, H, W, filters]`.
 * Layers: `${name}_up`, `${name}_pad` (only when sizes differ), `${name}_concat`, then the
 * DoubleConv names.
 */
export function unetUp(
  x: tfl.SymbolicTensor,
  skip: tfl.SymbolicTensor,
  filters: number,
  opts: UNetUpOptions,
): tfl.SymbolicTensor {
  const { name, init, mode } = opts;
  const [, , c] = hwc(x);
  const [, , s] = hwc(skip);
  let u: tfl.SymbolicTensor;
  let concatChannels: number;
  if (mode === 'bilinear') {
    u = apply(new UpsampleBilinear({ size: 2, name: `${name}_up` }), x);
    concatChannels = c + s;
  } else {
    const tOut = opts.transposeFilters ?? Math.max(1, Math.floor(c / 2));
    u = apply(
      tfl.layers.conv2dTranspose({
        filters: tOut,
        kernelSize: 2,
        strides: 2,
        padding: 'valid',
        kernelInitializer: init?.kernel(),
        name: `${name}_up`,
      }),
      x,
    );
    concatChannels = tOut + s;
  }
  u = padOrCropTo(u, skip, `${name}_pad`);
  const cat = apply(tfl.layers.concatenate({ axis: -1, name: `${name}_concat` }), [skip, u]);
  const mid =
    opts.midFilters ?? (mode === 'bilinear' ? Math.max(1, Math.floor(concatChannels / 2)) : filters);
  return doubleConv(cat, filters, { name, init, midFilters: mid });
}

/**
 * OutConv: a 1x1 convolution (with bias) mapping features to `classes` channels.
 * `[b, h, w, c] -> [b, h, w, classes]`. Layer: `name` (default `outc`).
 */
export function outConv(
  x: tfl.SymbolicTensor,
  classes: number,
  opts: Partial<UNetPartOptions> = {},
): tfl.SymbolicTensor {
  return conv2d(x, {
    filters: classes,
    kernelSize: 1,
    useBias: true,
    name: opts.name ?? 'outc',
    init: opts.init,
  });
}
