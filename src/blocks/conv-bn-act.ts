/**
 * Convolution -> batch normalisation -> activation, the unit every network here is stacked
 * from. Layer names are passed in whole so each family keeps the names its original uses
 * (Keras `conv1_conv` / `conv1/bn` / `conv2d_7`, or our `x2_conv1`), which is what lets
 * converted weights load by name.
 *
 * Padding `'torch'` is PyTorch's symmetric `padding = k // 2`. TensorFlow's `'same'` puts the
 * odd pixel of a strided convolution's padding at the bottom/right, which shifts the sampling
 * grid by one pixel on even sizes (against a strided 1x1 shortcut, and against PyTorch
 * weights); at stride 1 with an odd kernel the two rules agree, so no padding layer is added.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type BlockActivation, type Sym, apply, conv2d, zeroPad } from './graph';
import type { KernelInit } from './init';

/** Layer names of a {@link convBnAct} unit; missing names are auto-generated. */
export interface ConvBnActNames {
  /** Name of the Conv2D layer. */
  conv?: string;
  /** Name of the BatchNormalization layer. */
  bn?: string;
  /** Name of the Activation layer. */
  act?: string;
  /** Name of the ZeroPadding2D layer that `padding: 'torch'` adds when it needs one. */
  pad?: string;
}

/** Batch-norm constants in Keras terms. */
export interface BatchNormConstants {
  /** Added to the variance. */
  epsilon: number;
  /** Weight of the old moving statistics: `moving = momentum * moving + (1 - momentum) * batch`. */
  momentum: number;
}

/** Batch-norm constants of PyTorch's `nn.BatchNorm2d` (its momentum 0.1 is Keras' 0.9). */
export const TORCH_BN: Readonly<BatchNormConstants> = { epsilon: 1e-5, momentum: 0.9 };

/** Options of {@link convBnAct}. */
export interface ConvBnActOptions {
  /** Number of output channels. */
  filters: number;
  /** Kernel size, square or `[rows, cols]`. */
  kernelSize: number | [number, number];
  /** Stride. Default 1. */
  strides?: number;
  /**
   * `'same'` (Keras / tfjs: the extra pixel goes bottom/right), `'valid'`, or `'torch'`
   * (PyTorch's symmetric `k // 2` on every side; output `ceil(h / strides)` for odd k).
   * Default `'same'`.
   */
  padding?: 'same' | 'valid' | 'torch';
  /** Whether the convolution has a bias. Default `false` (the BN shift replaces it). */
  useBias?: boolean;
  /** BN epsilon. Default 1e-3 (Keras; Keras ResNet/DenseNet use 1.001e-5, PyTorch 1e-5). */
  epsilon?: number;
  /** BN momentum. Default 0.99 (Keras; PyTorch's default is 0.9 in these terms). */
  momentum?: number;
  /** Whether BN learns a scale (gamma). Default `true`; Inception-v3 uses `false`. */
  scale?: boolean;
  /** Activation after BN, or `null` for none. Default `'relu'`. */
  activation?: BlockActivation | null;
  /** Layer names: convolution, BN, activation and padding. Missing names are auto-generated. */
  names?: ConvBnActNames;
  /** Order of the ops: `'conv-bn-act'` (default) or the pre-activation `'bn-act-conv'`. */
  order?: 'conv-bn-act' | 'bn-act-conv';
  /** The build's kernel initialisation; omit for the layer's default. */
  init?: KernelInit;
}

function torchPad(x: Sym, kernelSize: number | [number, number], strides: number, name?: string): Sym | null {
  const [kr, kc] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  if (strides === 1 && kr % 2 === 1 && kc % 2 === 1) return null;
  return zeroPad(x, Math.floor(kr / 2), name, Math.floor(kc / 2));
}

/**
 * `act(BN(conv(x)))` (or `conv(act(BN(x)))` with `order: 'bn-act-conv'`).
 * Input `[batch, height, width, channels]`, output `[batch, h', w', filters]`.
 *
 * ```
 * x -> [pad] -> conv (k x k, strides) -> BN -> act      (order 'conv-bn-act')
 * x -> BN -> act -> [pad] -> conv (k x k, strides)      (order 'bn-act-conv')
 * ```
 */
export function convBnAct(x: Sym, options: ConvBnActOptions): Sym {
  const {
    filters,
    kernelSize,
    strides = 1,
    padding = 'same',
    useBias = false,
    epsilon = 1e-3,
    momentum = 0.99,
    scale = true,
    activation = 'relu',
    names = {},
    order = 'conv-bn-act',
    init,
  } = options;
  const convolve = (y: Sym): Sym => {
    const padded = padding === 'torch' ? torchPad(y, kernelSize, strides, names.pad) : null;
    return conv2d(padded ?? y, {
      filters,
      kernelSize,
      strides,
      padding: padding === 'torch' ? (padded ? 'valid' : 'same') : padding,
      useBias,
      name: names.conv,
      init,
    });
  };
  const bn = (y: Sym): Sym =>
    apply(tfl.layers.batchNormalization({ axis: -1, epsilon, momentum, scale, name: names.bn }), y);
  const act = (y: Sym): Sym =>
    activation === null ? y : apply(tfl.layers.activation({ activation, name: names.act }), y);
  return order === 'bn-act-conv' ? convolve(act(bn(x))) : act(bn(convolve(x)));
}
