/**
 * Dense blocks and transitions of DenseNet (Huang et al., "Densely Connected Convolutional
 * Networks", CVPR 2017): each layer sees the concatenation of every earlier map,
 * `x_l = [x_0, ..., x_{l-1}, H_l([x_0, ..., x_{l-1}])]`, with
 * `H_l = conv3x3(relu(BN(conv1x1(relu(BN(.))))))` growing the map by `growthRate` channels.
 * Layer names follow Keras applications (`conv2_block1_0_bn`, `pool2_conv`...).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBnAct } from './conv-bn-act';
import { type Sym, apply } from './graph';
import type { KernelInit } from './init';

/** Options shared by the dense-block helpers. */
export interface DenseBlockOptions {
  /** Channels each layer adds (k). Default 32 (DenseNet-121/169/201); DenseNet-161 uses 48. */
  growthRate?: number;
  /** BN epsilon. Default 1.001e-5 (Keras). */
  epsilon?: number;
  /** The build's kernel initialisation; omit for the layers' defaults. */
  init?: KernelInit;
}

function channels(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c == null) throw new Error('denseBlock: the channel dimension of the input must be known');
  return c;
}

/**
 * One bottleneck layer of a dense block, concatenated to its input.
 * Input `[batch, h, w, c]`, output `[batch, h, w, c + growthRate]`.
 */
export function denseLayer(x: Sym, name: string, options: DenseBlockOptions = {}): Sym {
  const { growthRate = 32, epsilon = 1.001e-5, init } = options;
  let y = convBnAct(x, {
    filters: 4 * growthRate,
    kernelSize: 1,
    padding: 'valid',
    epsilon,
    order: 'bn-act-conv',
    init,
    names: { bn: `${name}_0_bn`, act: `${name}_0_relu`, conv: `${name}_1_conv` },
  });
  y = convBnAct(y, {
    filters: growthRate,
    kernelSize: 3,
    padding: 'same',
    epsilon,
    order: 'bn-act-conv',
    init,
    names: { bn: `${name}_1_bn`, act: `${name}_1_relu`, conv: `${name}_2_conv` },
  });
  return apply(tfl.layers.concatenate({ axis: -1, name: `${name}_concat` }), [x, y]);
}

/**
 * A dense block of `layers` dense layers named `${name}_block1` ... Input `[batch, h, w, c]`,
 * output `[batch, h, w, c + layers * growthRate]`.
 */
export function denseBlock(x: Sym, layers: number, name: string, options: DenseBlockOptions = {}): Sym {
  let y = x;
  for (let i = 1; i <= layers; i++) y = denseLayer(y, `${name}_block${i}`, options);
  return y;
}

/**
 * Transition between dense blocks: BN -> ReLU -> 1x1 conv to `floor(c * reduction)` channels ->
 * 2x2 average pooling. Input `[batch, h, w, c]`, output `[batch, h/2, w/2, floor(c * reduction)]`.
 */
export function transitionBlock(
  x: Sym,
  reduction: number,
  name: string,
  options: DenseBlockOptions = {},
): Sym {
  const { epsilon = 1.001e-5, init } = options;
  const y = convBnAct(x, {
    filters: Math.floor(channels(x) * reduction),
    kernelSize: 1,
    padding: 'valid',
    epsilon,
    order: 'bn-act-conv',
    init,
    names: { bn: `${name}_bn`, act: `${name}_relu`, conv: `${name}_conv` },
  });
  return apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` }), y);
}
