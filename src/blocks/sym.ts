/**
 * Internal helpers for wiring functional-API graphs (not re-exported): typed `apply`,
 * conv / batch-norm / ReLU with PyTorch's batch-norm constants, and seeded initialisers.
 * The UNet and residual-UNet blocks and the thesis models share them.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/random';

/** A symbolic tensor of the functional API. */
export type Sym = tfl.SymbolicTensor;

/** Apply a layer to one or more symbolic tensors and return the single symbolic output. */
export function apply(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Height, width and channels of an NHWC symbolic tensor (all static in our graphs). */
export function hwc(x: Sym): [number, number, number] {
  const [, h, w, c] = x.shape;
  if (h == null || w == null || c == null) {
    throw new Error(`internal: expected a static NHWC shape, got [${x.shape.join(', ')}]`);
  }
  return [h, w, c];
}

/**
 * A seeded Glorot-uniform initialiser when `rng` is given (so equal seeds build equal
 * weights), else undefined to keep the layer's own default.
 */
export function seeded(rng: Rng | undefined): ReturnType<typeof tfl.initializers.glorotUniform> | undefined {
  return rng ? tfl.initializers.glorotUniform({ seed: rng.int(2 ** 31 - 1) }) : undefined;
}

/** Options of {@link conv}. */
export interface ConvArgs {
  filters: number;
  kernel: number;
  strides?: number;
  useBias?: boolean;
  padding?: 'same' | 'valid';
  name: string;
  rng?: Rng;
}

/**
 * 2-D convolution, `same`-padded by default. At stride 1 with odd k that is PyTorch's
 * `padding = k // 2`; strided 3x3 convs that must match PyTorch pad symmetrically themselves
 * (see `convBnRelu`) because tfjs's `same` pads only bottom/right on even sizes.
 */
export function conv(x: Sym, a: ConvArgs): Sym {
  return apply(
    tfl.layers.conv2d({
      filters: a.filters,
      kernelSize: a.kernel,
      strides: a.strides ?? 1,
      padding: a.padding ?? 'same',
      useBias: a.useBias ?? true,
      kernelInitializer: seeded(a.rng),
      name: a.name,
    }),
    x,
  );
}

/** Batch normalisation with PyTorch's defaults (eps 1e-5, momentum 0.1 = Keras momentum 0.9). */
export function bn(x: Sym, name: string): Sym {
  return apply(tfl.layers.batchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9, name }), x);
}

/** ReLU as its own named layer (so Grad-CAM can target it by name). */
export function relu(x: Sym, name: string): Sym {
  return apply(tfl.layers.activation({ activation: 'relu', name }), x);
}

/**
 * conv(k x k, no bias) -> BN -> ReLU with layer names `${name}_conv`, `${name}_bn`,
 * `${name}_relu` (suffix appended when given, e.g. `conv1`). Strided odd kernels are preceded
 * by a symmetric `${name}_pad` ZeroPadding2D, as PyTorch pads, so the output is
 * `ceil(h / strides)` either way.
 */
export function convBnRelu(
  x: Sym,
  filters: number,
  name: string,
  {
    kernel = 3,
    strides = 1,
    suffix = '',
    rng,
  }: { kernel?: number; strides?: number; suffix?: string; rng?: Rng } = {},
): Sym {
  let p = x;
  let padding: 'same' | 'valid' = 'same';
  if (strides > 1 && kernel > 1) {
    // PyTorch's symmetric padding k // 2: tfjs 'same' would pad (0, 1) on even sizes and
    // shift the sampling grid by a pixel against a 1x1 strided shortcut.
    const k2 = Math.floor(kernel / 2);
    p = apply(
      tfl.layers.zeroPadding2d({
        padding: [
          [k2, k2],
          [k2, k2],
        ],
        name: `${name}_pad${suffix}`,
      }),
      x,
    );
    padding = 'valid';
  }
  const y = conv(p, {
    filters,
    kernel,
    strides,
    padding,
    useBias: false,
    name: `${name}_conv${suffix}`,
    rng,
  });
  return relu(bn(y, `${name}_bn${suffix}`), `${name}_relu${suffix}`);
}
