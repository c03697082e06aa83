/**
 * Inception-v3 modules (Szegedy et al., "Rethinking the Inception Architecture for Computer
 * Vision", CVPR 2016), as Keras applications builds them: parallel conv-BN-ReLU branches
 * concatenated on channels. Keras leaves these layers unnamed, so its converted weights
 * carry the auto-names of a fresh session (`conv2d`, `conv2d_1`, `batch_normalization_1`,
 * ...); {@link KerasNamer} reproduces that sequence so weights still load by name.
 *
 * With `torch` set the modules are torchvision's `Inception3` instead: its `BasicConv2d` has a
 * BN with a learned scale (eps 1e-3, PyTorch momentum 0.1 = Keras 0.9), and its pooling
 * branches call `F.avg_pool2d(x, 3, stride=1, padding=1)`, which counts the zero padding in
 * the mean (`count_include_pad=True`) where Keras' 'same' pooling does not; an explicit zero
 * padding before a 'valid' pool reproduces that. Everything else (kernels, paddings, branch
 * order) is the same in both.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBnAct } from './conv-bn-act';
import { type Sym, apply, zeroPad } from './graph';
import type { KernelInit } from './init';

/** Generates Keras' per-class auto-names (`conv2d`, `conv2d_1`, ...) for one model build. */
export class KerasNamer {
  private readonly counts = new Map<string, number>();
  /** @param prefix prepended to every generated name. */
  constructor(private readonly prefix = '') {}
  /** The next auto-name for the snake-case class name `base`. */
  next(base: string): string {
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return `${this.prefix}${n === 0 ? base : `${base}_${n}`}`;
  }
  /** `name` with the prefix, for layers Keras names explicitly (`mixed0`). */
  fixed(name: string): string {
    return `${this.prefix}${name}`;
  }
}

/** What every Inception module needs: the build's namer and kernel initialisation. */
export interface InceptionContext {
  /** Generates the Keras auto-names. */
  namer: KerasNamer;
  /** The build's kernel initialisation; omit for the layers' defaults. */
  init?: KernelInit;
  /** torchvision's `Inception3` conventions instead of Keras' (see the module description). Default `false`. */
  torch?: boolean;
}

/**
 * Keras' `conv2d_bn`: conv (no bias) -> BN without scale (epsilon 1e-3) -> ReLU; with
 * `ctx.torch`, torchvision's `BasicConv2d` (BN with scale, momentum 0.9 in Keras terms).
 * Input `[batch, h, w, c]`, output `[batch, h', w', filters]`.
 */
export function inceptionConv(
  x: Sym,
  ctx: InceptionContext,
  filters: number,
  rows: number,
  cols: number,
  { strides = 1, padding = 'same' }: { strides?: number; padding?: 'same' | 'valid' } = {},
): Sym {
  return convBnAct(x, {
    filters,
    kernelSize: [rows, cols],
    strides,
    padding,
    scale: ctx.torch === true,
    epsilon: 1e-3,
    momentum: ctx.torch ? 0.9 : 0.99,
    names: {
      conv: ctx.namer.next('conv2d'),
      bn: ctx.namer.next('batch_normalization'),
      act: ctx.namer.next('activation'),
    },
    init: ctx.init,
  });
}

function concat(xs: Sym[], name: string): Sym {
  return apply(tfl.layers.concatenate({ axis: -1, name }), xs);
}

function avgPool3(x: Sym, { namer, torch }: InceptionContext): Sym {
  // torchvision counts the padding in the mean; Keras' 'same' divides by the valid pixels only.
  const input = torch ? zeroPad(x, 1, namer.next('zero_padding2d')) : x;
  return apply(
    tfl.layers.averagePooling2d({
      poolSize: 3,
      strides: 1,
      padding: torch ? 'valid' : 'same',
      name: namer.next('average_pooling2d'),
    }),
    input,
  );
}

function maxPool3s2(x: Sym, { namer }: InceptionContext): Sym {
  return apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: namer.next('max_pooling2d') }), x);
}

/** Module A (`mixed0`-`mixed2`, 35x35): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1 (`poolFilters`). */
export function inceptionA(x: Sym, ctx: InceptionContext, poolFilters: number, name: string): Sym {
  const b1 = inceptionConv(x, ctx, 64, 1, 1);
  let b5 = inceptionConv(x, ctx, 48, 1, 1);
  b5 = inceptionConv(b5, ctx, 64, 5, 5);
  let b3 = inceptionConv(x, ctx, 64, 1, 1);
  b3 = inceptionConv(b3, ctx, 96, 3, 3);
  b3 = inceptionConv(b3, ctx, 96, 3, 3);
  const bp = inceptionConv(avgPool3(x, ctx), ctx, poolFilters, 1, 1);
  return concat([b1, b5, b3, bp], ctx.namer.fixed(name));
}

/** Reduction A (`mixed3`, 35 -> 17): 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2. */
export function inceptionReductionA(x: Sym, ctx: InceptionContext, name: string): Sym {
  const b3 = inceptionConv(x, ctx, 384, 3, 3, { strides: 2, padding: 'valid' });
  let bd = inceptionConv(x, ctx, 64, 1, 1);
  bd = inceptionConv(bd, ctx, 96, 3, 3);
  bd = inceptionConv(bd, ctx, 96, 3, 3, { strides: 2, padding: 'valid' });
  const bp = maxPool3s2(x, ctx);
  return concat([b3, bd, bp], ctx.namer.fixed(name));
}

/** Module C (`mixed4`-`mixed7`, 17x17): factorised 7x7 branches of width `width`. */
export function inceptionC(x: Sym, ctx: InceptionContext, width: number, name: string): Sym {
  const b1 = inceptionConv(x, ctx, 192, 1, 1);
  let b7 = inceptionConv(x, ctx, width, 1, 1);
  b7 = inceptionConv(b7, ctx, width, 1, 7);
  b7 = inceptionConv(b7, ctx, 192, 7, 1);
  let bd = inceptionConv(x, ctx, width, 1, 1);
  bd = inceptionConv(bd, ctx, width, 7, 1);
  bd = inceptionConv(bd, ctx, width, 1, 7);
  bd = inceptionConv(bd, ctx, width, 7, 1);
  bd = inceptionConv(bd, ctx, 192, 1, 7);
  const bp = inceptionConv(avgPool3(x, ctx), ctx, 192, 1, 1);
  return concat([b1, b7, bd, bp], ctx.namer.fixed(name));
}

/** Reduction B (`mixed8`, 17 -> 8): 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool/2. */
export function inceptionReductionB(x: Sym, ctx: InceptionContext, name: string): Sym {
  let b3 = inceptionConv(x, ctx, 192, 1, 1);
  b3 = inceptionConv(b3, ctx, 320, 3, 3, { strides: 2, padding: 'valid' });
  let b7 = inceptionConv(x, ctx, 192, 1, 1);
  b7 = inceptionConv(b7, ctx, 192, 1, 7);
  b7 = inceptionConv(b7, ctx, 192, 7, 1);
  b7 = inceptionConv(b7, ctx, 192, 3, 3, { strides: 2, padding: 'valid' });
  const bp = maxPool3s2(x, ctx);
  return concat([b3, b7, bp], ctx.namer.fixed(name));
}

/** Module E (`mixed9`, `mixed10`, 8x8): expanded 1x3 / 3x1 branches; `index` is 0 or 1. */
export function inceptionE(x: Sym, ctx: InceptionContext, index: number): Sym {
  const b1 = inceptionConv(x, ctx, 320, 1, 1);
  const b3 = inceptionConv(x, ctx, 384, 1, 1);
  const b3a = inceptionConv(b3, ctx, 384, 1, 3);
  const b3b = inceptionConv(b3, ctx, 384, 3, 1);
  const b3cat = concat([b3a, b3b], ctx.namer.fixed(`mixed9_${index}`));
  let bd = inceptionConv(x, ctx, 448, 1, 1);
  bd = inceptionConv(bd, ctx, 384, 3, 3);
  const bda = inceptionConv(bd, ctx, 384, 1, 3);
  const bdb = inceptionConv(bd, ctx, 384, 3, 1);
  const bdcat = concat([bda, bdb], ctx.namer.next('concatenate'));
  const bp = inceptionConv(avgPool3(x, ctx), ctx, 192, 1, 1);
  return concat([b1, b3cat, bdcat, bp], ctx.namer.fixed(`mixed${9 + index}`));
}
