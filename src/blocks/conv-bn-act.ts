/**
 * Convolution -> batch normalisation -> activation, the unit every classic backbone is
 * stacked from. Layer names are passed in whole so each family keeps the names its
 * Keras original uses (`conv1_conv` / `conv1/bn` / `conv2d_7`), which is what lets
 * converted weights load by name.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { kernelInit } from './init-scope';

/** A symbolic tensor flowing through a functional-API graph. */
export type Sym = tfl.SymbolicTensor;

/** Applies `layer` to one symbolic input and returns its single symbolic output. */
export function applyLayer(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Activation names accepted by the blocks (a subset of tfjs-layers identifiers). */
export type BlockActivation = 'relu' | 'relu6' | 'elu' | 'selu' | 'swish' | 'sigmoid' | 'tanh' | 'linear';

/** Layer names of a {@link convBnAct} unit; missing names are auto-generated. */
export interface ConvBnActNames {
  /** Name of the Conv2D layer. */
  conv?: string;
  /** Name of the BatchNormalization layer. */
  bn?: string;
  /** Name of the Activation layer. */
  act?: string;
}

/** Options of {@link convBnAct}. */
export interface ConvBnActOptions {
  /** Number of output channels. */
  filters: number;
  /** Kernel size, square or `[rows, cols]`. */
  kernelSize: number | [number, number];
  /** Stride. Default 1. */
  strides?: number;
  /** `'same'` or `'valid'` (tfjs semantics: `'same'` pads bottom/right first). Default `'same'`. */
  padding?: 'same' | 'valid';
  /** Whether the convolution has a bias. Default `false` (the BN shift replaces it). */
  useBias?: boolean;
  /** BN epsilon. Default 1e-3 (the Keras default; Keras ResNet/DenseNet use 1.001e-5). */
  epsilon?: number;
  /** BN momentum. Default 0.99. */
  momentum?: number;
  /** Whether BN learns a scale (gamma). Default `true`; Inception-v3 uses `false`. */
  scale?: boolean;
  /** Activation after BN, or `null` for none. Default `'relu'`. */
  activation?: BlockActivation | null;
  /** Layer names: convolution, BN and activation. Missing names are auto-generated. */
  names?: ConvBnActNames;
  /** Order of the ops: `'conv-bn-act'` (default) or the pre-activation `'bn-act-conv'`. */
  order?: 'conv-bn-act' | 'bn-act-conv';
}

/**
 * `act(BN(conv(x)))` (or `conv(act(BN(x)))` with `order: 'bn-act-conv'`).
 * Input `[batch, height, width, channels]`, output `[batch, h', w', filters]`.
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
  } = options;
  const conv = tfl.layers.conv2d({
    filters,
    kernelSize,
    strides,
    padding,
    useBias,
    name: names.conv,
    kernelInitializer: kernelInit(),
  });
  const bn = tfl.layers.batchNormalization({ axis: -1, epsilon, momentum, scale, name: names.bn });
  const act = activation === null ? null : tfl.layers.activation({ activation, name: names.act });
  if (order === 'bn-act-conv') {
    let y = applyLayer(bn, x);
    if (act) y = applyLayer(act, y);
    return applyLayer(conv, y);
  }
  let y = applyLayer(bn, applyLayer(conv, x));
  if (act) y = applyLayer(act, y);
  return y;
}

/** Symmetric zero padding of `pad` pixels on every side (PyTorch-style conv padding). */
export function zeroPad(x: Sym, pad: number, name?: string): Sym {
  return applyLayer(
    tfl.layers.zeroPadding2d({
      padding: [
        [pad, pad],
        [pad, pad],
      ],
      name,
    }),
    x,
  );
}
