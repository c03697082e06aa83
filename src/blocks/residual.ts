/**
 * Residual units of ResNet (He et al., "Deep Residual Learning for Image Recognition",
 * CVPR 2016): `y = relu(F(x) + shortcut(x))`. Layer names follow Keras applications
 * (`conv2_block1_1_conv`, `..._0_conv` for the projection shortcut, `..._add`, `..._out`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBnAct } from './conv-bn-act';
import { type Sym, apply } from './graph';
import type { KernelInit } from './init';

/** Options shared by {@link bottleneckUnit} and {@link basicUnit}. */
export interface ResidualUnitOptions {
  /** Width of the unit (the bottleneck width; the output has `4 * filters` channels for a bottleneck). */
  filters: number;
  /** Stride of the unit. Default 1. */
  stride?: number;
  /** Whether the shortcut is a 1x1 convolution + BN (else the identity). */
  convShortcut: boolean;
  /** Name prefix, e.g. `conv3_block1`. */
  name: string;
  /**
   * Where a bottleneck puts its stride: `'1x1'` (Keras / original Caffe ResNet v1) or `'3x3'`
   * (torchvision, "ResNet v1.5"). Ignored by basic units. Default `'1x1'`.
   */
  strideOn?: '1x1' | '3x3';
  /** Whether the convolutions have biases (Keras: yes; torchvision: no). Default `true`. */
  useBias?: boolean;
  /** BN epsilon. Default 1.001e-5 (Keras); torchvision uses 1e-5. */
  epsilon?: number;
  /**
   * Pad strided 3x3 convolutions by one pixel on every side, as PyTorch does, instead of the
   * TensorFlow `'same'` rule (which pads only bottom/right for even sizes). Needed for
   * torchvision weights to give identical outputs. Default `false`.
   */
  symmetricPadding?: boolean;
  /** The build's kernel initialisation; omit for the layers' defaults. */
  init?: KernelInit;
}

function conv3x3(
  x: Sym,
  filters: number,
  stride: number,
  prefix: string,
  o: ResidualUnitOptions,
  act: boolean,
): Sym {
  return convBnAct(x, {
    filters,
    kernelSize: 3,
    strides: stride,
    padding: o.symmetricPadding ? 'torch' : 'same',
    useBias: o.useBias ?? true,
    epsilon: o.epsilon ?? 1.001e-5,
    activation: act ? 'relu' : null,
    names: { conv: `${prefix}_conv`, bn: `${prefix}_bn`, act: `${prefix}_relu`, pad: `${prefix}_pad` },
    init: o.init,
  });
}

function conv1x1(
  x: Sym,
  filters: number,
  stride: number,
  prefix: string,
  o: ResidualUnitOptions,
  act: boolean,
): Sym {
  return convBnAct(x, {
    filters,
    kernelSize: 1,
    strides: stride,
    padding: 'valid',
    useBias: o.useBias ?? true,
    epsilon: o.epsilon ?? 1.001e-5,
    activation: act ? 'relu' : null,
    names: { conv: `${prefix}_conv`, bn: `${prefix}_bn`, act: `${prefix}_relu` },
    init: o.init,
  });
}

function merge(shortcut: Sym, residual: Sym, name: string): Sym {
  const sum = apply(tfl.layers.add({ name: `${name}_add` }), [shortcut, residual]);
  return apply(tfl.layers.activation({ activation: 'relu', name: `${name}_out` }), sum);
}

/**
 * Bottleneck unit: 1x1 (filters) -> 3x3 (filters) -> 1x1 (4 * filters), plus shortcut.
 * Input `[batch, h, w, c]`, output `[batch, h / stride, w / stride, 4 * filters]`.
 */
export function bottleneckUnit(x: Sym, options: ResidualUnitOptions): Sym {
  const { filters, stride = 1, convShortcut, name, strideOn = '1x1' } = options;
  const shortcut = convShortcut ? conv1x1(x, 4 * filters, stride, `${name}_0`, options, false) : x;
  let y = conv1x1(x, filters, strideOn === '1x1' ? stride : 1, `${name}_1`, options, true);
  y = conv3x3(y, filters, strideOn === '3x3' ? stride : 1, `${name}_2`, options, true);
  y = conv1x1(y, 4 * filters, 1, `${name}_3`, options, false);
  return merge(shortcut, y, name);
}

/**
 * Basic unit of ResNet-18/34: 3x3 (filters, stride) -> 3x3 (filters), plus shortcut.
 * Input `[batch, h, w, c]`, output `[batch, h / stride, w / stride, filters]`.
 */
export function basicUnit(x: Sym, options: ResidualUnitOptions): Sym {
  const { filters, stride = 1, convShortcut, name } = options;
  const shortcut = convShortcut ? conv1x1(x, filters, stride, `${name}_0`, options, false) : x;
  let y = conv3x3(x, filters, stride, `${name}_1`, options, true);
  y = conv3x3(y, filters, 1, `${name}_2`, options, false);
  return merge(shortcut, y, name);
}
