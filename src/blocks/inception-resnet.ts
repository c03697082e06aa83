/**
 * Inception-ResNet-v2 modules (Szegedy et al., "Inception-v4, Inception-ResNet and the
 * Impact of Residual Connections on Learning", AAAI 2017, figs. 16-18 and 7), as Keras
 * applications' `inception_resnet_v2.py` builds them. Its `conv2d_bn` is conv (no bias) ->
 * BN without scale (Keras' default epsilon 1e-3) -> ReLU; unnamed ones take the auto-names
 * of a fresh Keras session (`conv2d_N`, `batch_normalization_N`, `activation_N`, reproduced
 * by {@link KerasNamer}), named ones `name`, `name_bn`, `name_ac`.
 *
 * ```
 * x -> branches -> concat (blockT_N_mixed) -> 1x1 conv with bias (blockT_N_conv)
 *   -> x + scale * that (blockT_N, ScaledResidual) -> ReLU (blockT_N_ac)
 * ```
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ScaledResidual } from '../layers/scaled-residual';
import { convBnAct } from './conv-bn-act';
import { type Sym, apply, conv2d, hwc } from './graph';
import type { InceptionContext } from './inception';

/** Options of {@link irConv}. */
export interface IrConvOptions {
  /** Stride. Default 1. */
  strides?: number;
  /** `'same'` (default) or `'valid'`. */
  padding?: 'same' | 'valid';
  /** Explicit Keras name (`conv_7b`): the BN is `name_bn`, the ReLU `name_ac`. */
  name?: string;
}

/**
 * Keras' `conv2d_bn` of Inception-ResNet-v2 (with BN and ReLU).
 * Input `[batch, h, w, c]`, output `[batch, h', w', filters]`.
 */
export function irConv(
  x: Sym,
  ctx: InceptionContext,
  filters: number,
  kernel: number | [number, number],
  { strides = 1, padding = 'same', name }: IrConvOptions = {},
): Sym {
  const { namer } = ctx;
  return convBnAct(x, {
    filters,
    kernelSize: kernel,
    strides,
    padding,
    scale: false,
    epsilon: 1e-3,
    names: name
      ? { conv: namer.fixed(name), bn: namer.fixed(`${name}_bn`), act: namer.fixed(`${name}_ac`) }
      : { conv: namer.next('conv2d'), bn: namer.next('batch_normalization'), act: namer.next('activation') },
    init: ctx.init,
  });
}

function concat(xs: Sym[], name: string): Sym {
  return apply(tfl.layers.concatenate({ axis: -1, name }), xs);
}

function maxPool3s2(x: Sym, { namer }: InceptionContext): Sym {
  return apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: namer.next('max_pooling2d') }), x);
}

/** The stem up to 35x35x192 at 299 (conv 3x3/2, 3x3, 3x3, maxpool/2, 1x1, 3x3, maxpool/2). */
export function inceptionResNetStem(x: Sym, ctx: InceptionContext): Sym {
  let y = irConv(x, ctx, 32, 3, { strides: 2, padding: 'valid' });
  y = irConv(y, ctx, 32, 3, { padding: 'valid' });
  y = irConv(y, ctx, 64, 3);
  y = maxPool3s2(y, ctx);
  y = irConv(y, ctx, 80, 1, { padding: 'valid' });
  y = irConv(y, ctx, 192, 3, { padding: 'valid' });
  return maxPool3s2(y, ctx);
}

/** `mixed_5b` (Inception-A, 35x35x320): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1. */
export function mixed5b(x: Sym, ctx: InceptionContext): Sym {
  const b0 = irConv(x, ctx, 96, 1);
  let b1 = irConv(x, ctx, 48, 1);
  b1 = irConv(b1, ctx, 64, 5);
  let b2 = irConv(x, ctx, 64, 1);
  b2 = irConv(b2, ctx, 96, 3);
  b2 = irConv(b2, ctx, 96, 3);
  const pool = apply(
    tfl.layers.averagePooling2d({
      poolSize: 3,
      strides: 1,
      padding: 'same',
      name: ctx.namer.next('average_pooling2d'),
    }),
    x,
  );
  const bp = irConv(pool, ctx, 64, 1);
  return concat([b0, b1, b2, bp], ctx.namer.fixed('mixed_5b'));
}

/** `mixed_6a` (Reduction-A, 35 -> 17, 1088 channels): 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2. */
export function mixed6a(x: Sym, ctx: InceptionContext): Sym {
  const b0 = irConv(x, ctx, 384, 3, { strides: 2, padding: 'valid' });
  let b1 = irConv(x, ctx, 256, 1);
  b1 = irConv(b1, ctx, 256, 3);
  b1 = irConv(b1, ctx, 384, 3, { strides: 2, padding: 'valid' });
  return concat([b0, b1, maxPool3s2(x, ctx)], ctx.namer.fixed('mixed_6a'));
}

/** `mixed_7a` (Reduction-B, 17 -> 8, 2080 channels): three conv branches | maxpool/2. */
export function mixed7a(x: Sym, ctx: InceptionContext): Sym {
  let b0 = irConv(x, ctx, 256, 1);
  b0 = irConv(b0, ctx, 384, 3, { strides: 2, padding: 'valid' });
  let b1 = irConv(x, ctx, 256, 1);
  b1 = irConv(b1, ctx, 288, 3, { strides: 2, padding: 'valid' });
  let b2 = irConv(x, ctx, 256, 1);
  b2 = irConv(b2, ctx, 288, 3);
  b2 = irConv(b2, ctx, 320, 3, { strides: 2, padding: 'valid' });
  return concat([b0, b1, b2, maxPool3s2(x, ctx)], ctx.namer.fixed('mixed_7a'));
}

/** The three residual block types, named as Keras names them. */
export type InceptionResNetBlockType = 'block35' | 'block17' | 'block8';

/**
 * Keras' `inception_resnet_block`: `relu(x + scale * conv1x1(concat(branches)))`, the 1x1
 * (`blockT_N_conv`, with bias, no BN) restoring x's channels. `activation: null` drops the
 * final ReLU (Keras' last `block8_10`). Input and output `[batch, h, w, c]`.
 */
export function inceptionResNetBlock(
  x: Sym,
  ctx: InceptionContext,
  type: InceptionResNetBlockType,
  index: number,
  scale: number,
  activation: 'relu' | null = 'relu',
): Sym {
  let branches: Sym[];
  if (type === 'block35') {
    const b0 = irConv(x, ctx, 32, 1);
    const b1 = irConv(irConv(x, ctx, 32, 1), ctx, 32, 3);
    let b2 = irConv(x, ctx, 32, 1);
    b2 = irConv(b2, ctx, 48, 3);
    b2 = irConv(b2, ctx, 64, 3);
    branches = [b0, b1, b2];
  } else if (type === 'block17') {
    const b0 = irConv(x, ctx, 192, 1);
    let b1 = irConv(x, ctx, 128, 1);
    b1 = irConv(b1, ctx, 160, [1, 7]);
    b1 = irConv(b1, ctx, 192, [7, 1]);
    branches = [b0, b1];
  } else {
    const b0 = irConv(x, ctx, 192, 1);
    let b1 = irConv(x, ctx, 192, 1);
    b1 = irConv(b1, ctx, 224, [1, 3]);
    b1 = irConv(b1, ctx, 256, [3, 1]);
    branches = [b0, b1];
  }
  const name = ctx.namer.fixed(`${type}_${index}`);
  const mixed = concat(branches, `${name}_mixed`);
  const up = conv2d(mixed, {
    filters: hwc(x)[2],
    kernelSize: 1,
    useBias: true,
    name: `${name}_conv`,
    init: ctx.init,
  });
  const y = apply(new ScaledResidual({ scale, name }), [x, up]);
  return activation === null ? y : apply(tfl.layers.activation({ activation, name: `${name}_ac` }), y);
}
