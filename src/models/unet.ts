/**
 * UNet (Ronneberger et al., MICCAI 2015) built from DoubleConv / Down / Up / OutConv as the
 * PyTorch UNet that Tianhao Xu's COVID-CT thesis (section 2.3.3) follows; a segmenter or, as
 * the thesis uses it, a classifier.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { apply } from '../blocks/graph';
import { type UpsampleMode, doubleConv, outConv, unetDown, unetUp } from '../blocks/unet';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { buildWith, globalPool, predictions } from './build';
import {
  type BuilderOptions,
  type Built,
  type ModelHead,
  type ResolvedOptions,
  resolveOptions,
} from './options';

/**
 * Options of the UNet family (UNet, ResUNet and its variants, DResUNet). Family defaults:
 * `inputShape` `[256, 256, 1]` (1-channel CT at the thesis's table 5.1 size), `classes` 2,
 * `name` the builder's (`'UNet'`...), smallest side 16.
 */
export interface UNetFamilyOptions extends BuilderOptions {
  /** Base width: channels of the first stage, later stages are multiples of it. Default 64. */
  filters?: number;
  /**
   * The top: `'classify'` (default; the pooled classifier the thesis trains) or `'segment'`
   * (per-pixel outputs `[b, h, w, classes]` at input size).
   */
  head?: ModelHead;
  /** How decoder stages upsample; default `'bilinear'`. */
  upsample?: UpsampleMode;
}

/** {@link resolveOptions} plus the family's `filters`, `head` and `upsample`. */
export interface ResolvedUNetFamily extends ResolvedOptions {
  /** Base width. */
  filters: number;
  /** The top. */
  head: ModelHead;
  /** Decoder upsampling. */
  upsample: UpsampleMode;
}

/** Validates and defaults the UNet family's options. */
export function resolveUNetFamily(fn: string, options: UNetFamilyOptions): ResolvedUNetFamily {
  const r = resolveOptions(fn, options, { inputShape: [256, 256, 1], minSize: 16, classes: 2, name: fn });
  const { filters = 64, head = 'classify', upsample = 'bilinear' } = options;
  checkPositiveInt(filters, 'filters', fn);
  checkOneOf(head, ['classify', 'segment'] as const, 'head', fn);
  checkOneOf(upsample, ['bilinear', 'transpose'] as const, 'upsample', fn);
  return { ...r, filters, head, upsample };
}

/** Options of {@link UNet}. */
export type UNetOptions = UNetFamilyOptions;

/**
 * UNet with four Down and four Up stages.
 *
 * Widths with base `f = filters` (default 64): `inc` f, `down1` 2f, `down2` 4f, `down3` 8f,
 * `down4` 16f / k, `up1` 8f / k, `up2` 4f / k, `up3` 2f / k, `up4` f, where k = 2 for
 * `upsample: 'bilinear'` and 1 for `'transpose'` (the reference PyTorch UNet halves the bottom
 * so both branches of a bilinear Up carry equal channels). Convs inside DoubleConv have no bias
 * (BN follows). Trainable parameters equal the reference PyTorch UNet's (at
 * `inputShape [256, 256, 3]`, `classes 2`: 17,263,042 with `bilinear`, 31,037,698 with
 * `transpose`; `countParams()` adds the BN moving statistics), and with equal weights the
 * logits match a PyTorch build to 1e-6 (test/fixtures/models/make_unet_parity.py): the
 * bilinear Up aligns corners like `nn.Upsample(..., align_corners=True)`, and the upsampled
 * map is padded as `F.pad(x, [d // 2, d - d // 2, ...])` pads it.
 *
 * - `head: 'segment'`: `outc` (1x1 conv to `classes`) -> `predictions`; output
 *   `[batch, h, w, classes]` at input size (any h, w >= 16: Up pads the upsampled map to the
 *   skip's size, so odd sizes work).
 * - `head: 'classify'` (default): `outc` -> global average pooling `gap` -> `predictions`;
 *   output `[batch, classes]`. Pooling the per-pixel class maps keeps `outc`'s weights shared
 *   with the segmenter and makes `outc` a class-activation map.
 *
 * - `includeTop: false`: the last Up's map `[batch, h, w, filters]` (or its `pooling`).
 *
 * Layer names: `inc_*`, `down{1..4}_pool`, `down{i}_conv{1,2}` / `_bn{1,2}` / `_relu{1,2}`,
 * `up{1..4}_up`, `up{i}_pad`, `up{i}_concat`, `up{i}_conv{1,2}`..., `outc`, `gap`,
 * `predictions`.
 */
export function UNet<O extends UNetOptions>(options: O = {} as O): Built<O> {
  const o = resolveUNetFamily('UNet', options);
  const { filters: f, upsample } = o;
  const k = upsample === 'bilinear' ? 2 : 1;
  return buildWith(options, (init) => {
    const part = (name: string): { name: string; init: typeof init } => ({ name, init });
    const up = (name: string): { name: string; init: typeof init; mode: typeof upsample } => ({
      ...part(name),
      mode: upsample,
    });
    const input = tfl.input({ shape: o.inputShape, name: 'input' });
    const x1 = doubleConv(input, f, part('inc'));
    const x2 = unetDown(x1, 2 * f, part('down1'));
    const x3 = unetDown(x2, 4 * f, part('down2'));
    const x4 = unetDown(x3, 8 * f, part('down3'));
    const x5 = unetDown(x4, Math.max(1, Math.floor((16 * f) / k)), part('down4'));
    let y: tfl.SymbolicTensor = unetUp(x5, x4, Math.max(1, Math.floor((8 * f) / k)), up('up1'));
    y = unetUp(y, x3, Math.max(1, Math.floor((4 * f) / k)), up('up2'));
    y = unetUp(y, x2, Math.max(1, Math.floor((2 * f) / k)), up('up3'));
    y = unetUp(y, x1, f, up('up4'));
    let out: tfl.SymbolicTensor;
    if (o.includeTop) {
      out = outConv(y, o.classes, part('outc'));
      if (o.head === 'classify') out = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), out);
      out = predictions(out, o.classifierActivation);
    } else {
      out = globalPool(y, o.pooling);
    }
    return tfl.model({ inputs: input, outputs: out, name: o.name });
  });
}
