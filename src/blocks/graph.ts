/**
 * Wiring functional-API graphs: the symbolic tensor type, a typed `apply`, and the plain
 * layers every builder needs (convolution, dense, zero padding) with their kernels drawn
 * from the build's {@link KernelInit}. {@link convBnAct} composes them.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { KernelInit } from './init';

/** A symbolic tensor flowing through a functional-API graph. */
export type Sym = tfl.SymbolicTensor;

/** Applies `layer` to one or more symbolic inputs and returns its single symbolic output. */
export function apply(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Height, width and channels of an NHWC symbolic tensor (all static in our graphs). */
export function hwc(x: Sym): [number, number, number] {
  const [, h, w, c] = x.shape;
  if (h == null || w == null || c == null) {
    throw new Error(
      `hwc: expected a static [batch, height, width, channels] shape; got [${x.shape.join(', ')}]`,
    );
  }
  return [h, w, c];
}

/**
 * Zero padding of `rows` pixels above and below and `cols` left and right (PyTorch's
 * symmetric conv padding; Keras' `ZeroPadding2D`). `cols` defaults to `rows`.
 */
export function zeroPad(x: Sym, rows: number, name?: string, cols = rows): Sym {
  return apply(
    tfl.layers.zeroPadding2d({
      padding: [
        [rows, rows],
        [cols, cols],
      ],
      name,
    }),
    x,
  );
}

/** Activation names accepted by the blocks (a subset of tfjs-layers identifiers). */
export type BlockActivation =
  'relu' | 'relu6' | 'elu' | 'selu' | 'swish' | 'sigmoid' | 'tanh' | 'linear' | 'softmax';

/** Options of {@link conv2d}. */
export interface Conv2DOptions {
  /** Output channels. */
  filters: number;
  /** Kernel size, square or `[rows, cols]`. */
  kernelSize: number | [number, number];
  /** Stride. Default 1. */
  strides?: number;
  /** tfjs padding (`'same'` pads bottom/right first on even sizes). Default `'same'`. */
  padding?: 'same' | 'valid';
  /** Whether the convolution has a bias. Default `true`. */
  useBias?: boolean;
  /** Fused activation. Default none. */
  activation?: BlockActivation;
  /** Layer name; auto-generated when omitted. */
  name?: string;
  /** The build's kernel initialisation; omit for the layer's default. */
  init?: KernelInit;
}

/** A plain 2-D convolution. `[b, h, w, c] -> [b, h', w', filters]`. */
export function conv2d(x: Sym, o: Conv2DOptions): Sym {
  return apply(
    tfl.layers.conv2d({
      filters: o.filters,
      kernelSize: o.kernelSize,
      strides: o.strides ?? 1,
      padding: o.padding ?? 'same',
      useBias: o.useBias ?? true,
      activation: o.activation,
      name: o.name,
      kernelInitializer: o.init?.kernel(),
    }),
    x,
  );
}

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Output units. */
  units: number;
  /** Fused activation. Default none (linear). */
  activation?: BlockActivation;
  /** Layer name; auto-generated when omitted. */
  name?: string;
  /** The build's kernel initialisation; omit for the layer's default. */
  init?: KernelInit;
}

/** A fully connected layer. `[b, n] -> [b, units]`. */
export function dense(x: Sym, o: DenseOptions): Sym {
  return apply(
    tfl.layers.dense({
      units: o.units,
      activation: o.activation,
      name: o.name,
      kernelInitializer: o.init?.kernel(),
    }),
    x,
  );
}

/** An activation as its own named layer (so Grad-CAM and feature maps can target it by name). */
export function activation(x: Sym, fn: BlockActivation, name?: string): Sym {
  return apply(tfl.layers.activation({ activation: fn, name }), x);
}
