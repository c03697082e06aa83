/**
 * The residual UNet skeleton shared by ResUNet, ResUNetECSA, ResUNetFPRM and DResUNet
 * (Tianhao Xu's COVID-CT thesis, section 3.1): a stem x1, four residual stages x2..x5, a decoder x44, x33, x22,
 * and the classifier / segmenter heads. The parts that differ between the variants (the entry
 * conv of each stage, attention after x5's second conv, attention in the decoder, the head's
 * 1x1 conv and the FPRM fusion) are passed in as functions, so this floor needs no custom layer.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { UpsampleBilinear } from '../layers/upsample-bilinear';
import { TORCH_BN, convBnAct } from './conv-bn-act';
import { apply, dense, hwc } from './graph';
import type { KernelInit } from './init';
import { outConv, padOrCropTo, torchConvBnRelu, unetUp, type UpsampleMode } from './unet';

/**
 * The first conv of a residual stage: receives `[b, h, w, c]` and must return
 * `[b, ceil(h / strides), ceil(w / strides), filters]`. `name` is the stage's prefix.
 */
export type StageEntryFn = (
  x: tfl.SymbolicTensor,
  filters: number,
  strides: 1 | 2,
  name: string,
) => tfl.SymbolicTensor;

/** A shape-preserving block (attention) applied to `[b, h, w, c]`; `name` is the layer name to use. */
export type AttentionFn = (x: tfl.SymbolicTensor, name: string) => tfl.SymbolicTensor;

/**
 * The plain entry: conv 3x3 (stride `strides`, no bias) -> BN -> ReLU, layers
 * `${name}_entry_conv`, `${name}_entry_bn`, `${name}_entry_relu`, preceded at stride 2 by a
 * symmetric one-pixel `${name}_entry_pad` (PyTorch's `padding=1`, which keeps the sampling grid
 * aligned with the strided 1x1 shortcut).
 */
export function convEntry(init?: KernelInit): StageEntryFn {
  return (x, filters, strides, name) => torchConvBnRelu(x, filters, `${name}_entry`, { strides, init });
}

/**
 * Where a residual stage's 1x1 conv + BN sits:
 * - `'main'`: last op of the main path, then the sum with the stage input (identity when the
 *   shapes agree, as in x2; else a strided 1x1 conv + BN projection of it), as the thesis's
 *   paragraph on x2 reads;
 * - `'shortcut'`: the projection shortcut of ResUNet (Zhang et al. 2018) on the stage input,
 *   summed with the main path's last ReLU.
 */
export type StageProjection = 'main' | 'shortcut';

/** Options of {@link residualStage}. */
export interface ResidualStageOptions {
  /** Output channels. */
  filters: number;
  /** Stride of the entry conv and of the shortcut (1 for x2, 2 for x3..x5). */
  strides: 1 | 2;
  /** The stage's first conv (plain or deformable). */
  entry: StageEntryFn;
  /** Attention after the second 3x3 conv (ECAsE in x5), if any. */
  attention?: AttentionFn;
  /** Layer-name prefix, e.g. `x2`. */
  name: string;
  /** Where the 1x1 conv + BN sits; see {@link StageProjection}. Default `'main'`. */
  projection?: StageProjection;
  /** The build's kernel initialisation. */
  init?: KernelInit;
}

/**
 * One residual stage (x2..x5 of section 3.1). `[b, h, w, c] -> [b, ceil(h/s), ceil(w/s), filters]`.
 *
 * ```
 * projection 'main' (default):
 *   x -> entry -> cbr1 -> cbr2 [-> attn] -> conv3 (1x1) -> bn3 --> add -> out
 *   |                                                               ^
 *   +------ identity (x2), or short_conv (1x1, stride s) -> short_bn +
 *
 * projection 'shortcut':
 *   x -> entry -> cbr1 -> cbr2 [-> attn] --> add -> out
 *   |                                         ^
 *   +-- short_conv (1x1, stride s) -> short_bn
 * ```
 * (`cbr` = conv 3x3 -> BN -> ReLU.) Layers: the entry's, `${name}_conv1`, `${name}_bn1`,
 * `${name}_relu1`, `${name}_conv2`, `${name}_bn2`, `${name}_relu2`, `${name}_attn` (when
 * attention is given), with `'main'` `${name}_conv3`, `${name}_bn3`, then `${name}_short_conv`,
 * `${name}_short_bn` (only where a projection is needed) and `${name}_add`.
 *
 * The thesis on x2: "two more convolutions of 3x3 ... regularization and relu activation,
 * respectively, and another convolution of stride of 1, 1x1 is superimposed, followed by a
 * regularization ... and a residual with the x1 feature extraction module" — the 1x1 conv + BN
 * ends the main path and x1 is added unchanged (x2 keeps x1's size and width). x3..x5 are
 * "basically similar" but halve the size and double the width, so the stage input cannot be
 * added unchanged; the text does not say how it is brought to shape: we use ResNet's
 * projection (a strided 1x1 conv + BN), the smallest change that keeps the sum. Where the
 * attention of x5 sits relative to the 1x1 conv ("after the second 3x3 convolution") is
 * followed literally: before it. No activation follows the sum (the text names none; the
 * next stage opens with its own conv-BN-ReLU).
 */
export function residualStage(x: tfl.SymbolicTensor, o: ResidualStageOptions): tfl.SymbolicTensor {
  const { name, filters, strides, init, projection = 'main' } = o;
  let m = o.entry(x, filters, strides, name);
  m = torchConvBnRelu(m, filters, name, { suffix: '1', init });
  m = torchConvBnRelu(m, filters, name, { suffix: '2', init });
  if (o.attention) m = o.attention(m, `${name}_attn`);
  const pointwise = (y: tfl.SymbolicTensor, s: 1 | 2, prefix: string, suffix: string): tfl.SymbolicTensor =>
    convBnAct(y, {
      filters,
      kernelSize: 1,
      strides: s,
      padding: 'valid',
      ...TORCH_BN,
      activation: null,
      names: { conv: `${prefix}_conv${suffix}`, bn: `${prefix}_bn${suffix}` },
      init,
    });
  let s: tfl.SymbolicTensor;
  if (projection === 'main') {
    m = pointwise(m, 1, name, '3');
    const same = strides === 1 && hwc(x)[2] === filters;
    s = same ? x : pointwise(x, strides, `${name}_short`, '');
  } else {
    s = pointwise(x, strides, `${name}_short`, '');
  }
  return apply(tfl.layers.add({ name: `${name}_add` }), [m, s]);
}

/** Options of {@link residualUNetTrunk}. */
export interface ResidualUNetTrunkOptions {
  /** Base width f: x1, x2 have f channels, x3 2f, x4 4f, x5 8f; the decoder mirrors them. */
  filters: number;
  /** Entry conv of x2..x5. */
  entry: StageEntryFn;
  /** Attention after x5's second conv (ECAsE for ResUNetECSA / DResUNet). */
  bottleneckAttention?: AttentionFn;
  /** Attention after each decoder stage (e.g. scSE), if any. */
  decoderAttention?: AttentionFn;
  /** Decoder upsampling. */
  upsample: UpsampleMode;
  /** Where each stage's 1x1 conv + BN sits. Default `'main'`. */
  projection?: StageProjection;
  /** The build's kernel initialisation. */
  init?: KernelInit;
}

/** The trunk's feature maps, `[batch, height, width, channels]` each. */
export interface ResidualUNetFeatures {
  /** Stem output, stride 2, f channels. */
  x1: tfl.SymbolicTensor;
  /** Stride 2, f channels. */
  x2: tfl.SymbolicTensor;
  /** Stride 4, 2f channels. */
  x3: tfl.SymbolicTensor;
  /** Stride 8, 4f channels. */
  x4: tfl.SymbolicTensor;
  /** Stride 16 bottleneck, 8f channels. */
  x5: tfl.SymbolicTensor;
  /** Decoder stage at x4's size, 4f channels. */
  x44: tfl.SymbolicTensor;
  /** Decoder stage at x3's size, 2f channels. */
  x33: tfl.SymbolicTensor;
  /** Decoder output at x2's size (stride 2), f channels. */
  x22: tfl.SymbolicTensor;
}

/**
 * Encoder and decoder of section 3.1.
 *
 * - x1: conv 3x3 stride 1 (no bias) -> BN -> ReLU -> 2x2 max pool (`x1_conv`, `x1_bn`,
 *   `x1_relu`, `x1_pool`).
 * - x2: {@link residualStage} stride 1; x3, x4: stride 2; x5: stride 2 with
 *   `bottleneckAttention` after its second conv.
 * - x44, x33, x22: upsample x2, pad (or crop) to the skip's size, concat `[skip, up]`,
 *   conv3x3-BN-ReLU twice (the {@link unetUp} names: `x44_up`, `x44_pad`, `x44_concat`,
 *   `x44_conv1`...), then `decoderAttention` as `x44_attn`... when given.
 *
 * The thesis mentions "five up-samplings" but names x44, x33, x22 only; x1 and x2 share a
 * resolution, so three upsamplings close the U. Odd sizes work: strided convs give
 * ceil(h/2), the upsampled map is cropped back to the skip's size.
 */
export function residualUNetTrunk(
  input: tfl.SymbolicTensor,
  o: ResidualUNetTrunkOptions,
): ResidualUNetFeatures {
  const f = o.filters;
  const { init, projection } = o;
  let x1 = torchConvBnRelu(input, f, 'x1', { init });
  x1 = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'x1_pool' }), x1);
  const x2 = residualStage(x1, { filters: f, strides: 1, entry: o.entry, name: 'x2', projection, init });
  const x3 = residualStage(x2, { filters: 2 * f, strides: 2, entry: o.entry, name: 'x3', projection, init });
  const x4 = residualStage(x3, { filters: 4 * f, strides: 2, entry: o.entry, name: 'x4', projection, init });
  const x5 = residualStage(x4, {
    filters: 8 * f,
    strides: 2,
    entry: o.entry,
    attention: o.bottleneckAttention,
    name: 'x5',
    projection,
    init,
  });
  const dec = (
    x: tfl.SymbolicTensor,
    skip: tfl.SymbolicTensor,
    filters: number,
    name: string,
  ): tfl.SymbolicTensor => {
    const y = unetUp(x, skip, filters, { name, init, mode: o.upsample, midFilters: filters });
    return o.decoderAttention ? o.decoderAttention(y, `${name}_attn`) : y;
  };
  const x44 = dec(x5, x4, 4 * f, 'x44');
  const x33 = dec(x44, x3, 2 * f, 'x33');
  const x22 = dec(x33, x2, f, 'x22');
  return { x1, x2, x3, x4, x5, x44, x33, x22 };
}

/**
 * Per-pixel head: upsample the stride-2 decoder output x2 (`seg_up`: bilinear, or a 2x2
 * transposed conv keeping the channels), pad to the input's size (`seg_pad`), then OutConv
 * (`outc`). `[b, h/2, w/2, c] -> [b, h, w, classes]` (before the output activation).
 */
export function residualUNetSegmentHead(
  x22: tfl.SymbolicTensor,
  input: tfl.SymbolicTensor,
  classes: number,
  o: { upsample: UpsampleMode; init?: KernelInit },
): tfl.SymbolicTensor {
  const [, , c] = hwc(x22);
  const up =
    o.upsample === 'bilinear'
      ? new UpsampleBilinear({ size: 2, name: 'seg_up' })
      : tfl.layers.conv2dTranspose({
          filters: c,
          kernelSize: 2,
          strides: 2,
          kernelInitializer: o.init?.kernel(),
          name: 'seg_up',
        });
  const y = padOrCropTo(apply(up, x22), input, 'seg_pad');
  return outConv(y, classes, { name: 'outc', init: o.init });
}

/**
 * How the residual-UNet classifier head brings the decoder map x22 down before its 1x1 conv:
 * - `'stepwise'`: four 2x2 max pools, stride 2 (`head_pool1`..`head_pool4`), as the thesis
 *   words it ("four consecutive maximum pooling"); x22 `[b, h/2, w/2, c]` becomes
 *   `[b, ceil(h/32), ceil(w/32), c]`, which the head's average pool then reduces to 1x1;
 * - `'global'`: a global max pool to `[b, 1, 1, c]` (`head_maxpool`, `head_reshape`), the
 *   thesis's stated result ("a feature of size 1x1") taken literally at any input size;
 *   medinets 0.1's head. It sends the gradient to one position per channel and image, and in
 *   10-epoch runs on phantoms ResUNet, ResUNet-ECSA and ResUNet-FPRM stalled with it at a
 *   constant output (loss ln 2).
 */
export type ResidualUNetHeadPooling = 'stepwise' | 'global';

/** Options of {@link residualUNetClassifierHead}. */
export interface ResidualUNetClassifierHeadOptions {
  /** Number of classes (units of the last dense layer `logits`). */
  classes: number;
  /** Units of the first dense layer `head_fc1`. */
  hiddenUnits: number;
  /** Dropout rate after the max pooling. */
  dropout: number;
  /** How x22 is max-pooled; see {@link ResidualUNetHeadPooling}. Default `'stepwise'`. */
  pooling?: ResidualUNetHeadPooling;
  /**
   * The 1x1 conv on the pooled `[b, h', w', c]` features (a deformable conv in DResUNet),
   * returning `[b, h', w', c]`; named by the caller. `h' = w' = 1` with `pooling: 'global'`.
   */
  headConv: (x: tfl.SymbolicTensor) => tfl.SymbolicTensor;
  /**
   * Fuse the high-level pooled map `[b, h', w', c]` with the low-level decoder map
   * `[b, h, w, c]` (FPRM); omit to skip the fusion.
   */
  fuse?: (high: tfl.SymbolicTensor, low: tfl.SymbolicTensor) => tfl.SymbolicTensor;
  /** The build's kernel initialisation (and the dropout seed). */
  init?: KernelInit;
}

/**
 * Classifier head of section 3.1: max pooling of the decoder map (`pooling`, below), dropout
 * (`head_dropout`), the 1x1 `headConv`, optional `fuse` with the low-level map, global average
 * pool (`head_avgpool`), dense `hiddenUnits` + ReLU (`head_fc1`, `head_fc1_relu`), dense
 * `classes` (`logits`). `[b, h, w, c] -> [b, classes]` (before the output activation).
 *
 * ```
 * x22 -> pool1..pool4 (2x2 max) -> dropout -> 1x1 conv [-> FPRM with x22] -> GAP -> fc1 -> ReLU -> logits
 * ```
 *
 * The thesis: "After the last upsampling, a feature of size 1x1 is output by four consecutive
 * maximum pooling, and then a dropout layer"; then the 1x1 deformable conv, FPRM, "an
 * averaging pooling layer" and two dense layers. Four 2x2 pools give 1x1 only for a 32x32
 * input; at the thesis's 256x256 they leave 8x8 (480: 15x15). The text is ambiguous between
 * the operation (four 2x2 max pools) and the result (1x1). The default, `'stepwise'`, follows
 * the operation and lets the average pool that the text puts before the dense layers finish
 * the reduction to 1x1; `'global'` follows the result. The pools pad at the end ("same", as
 * PyTorch's `MaxPool2d(2, ceil_mode=True)`), so odd sizes and the smallest input (x22 at 8x8)
 * keep at least one position; at sizes divisible by 32 this equals `MaxPool2d(2)`.
 */
export function residualUNetClassifierHead(
  low: tfl.SymbolicTensor,
  o: ResidualUNetClassifierHeadOptions,
): tfl.SymbolicTensor {
  const [, , c] = hwc(low);
  let g: tfl.SymbolicTensor;
  if ((o.pooling ?? 'stepwise') === 'global') {
    g = apply(tfl.layers.globalMaxPooling2d({ name: 'head_maxpool' }), low);
    g = apply(tfl.layers.reshape({ targetShape: [1, 1, c], name: 'head_reshape' }), g);
  } else {
    g = low;
    for (let i = 1; i <= 4; i++) {
      const pool = tfl.layers.maxPooling2d({
        poolSize: 2,
        strides: 2,
        padding: 'same',
        name: `head_pool${i}`,
      });
      g = apply(pool, g);
    }
  }
  g = apply(tfl.layers.dropout({ rate: o.dropout, seed: o.init?.seed(), name: 'head_dropout' }), g);
  g = o.headConv(g);
  const fused = o.fuse ? o.fuse(g, low) : g;
  let y = apply(tfl.layers.globalAveragePooling2d({ name: 'head_avgpool' }), fused);
  y = dense(y, { units: o.hiddenUnits, name: 'head_fc1', init: o.init });
  y = apply(tfl.layers.activation({ activation: 'relu', name: 'head_fc1_relu' }), y);
  return dense(y, { units: o.classes, name: 'logits', init: o.init });
}
