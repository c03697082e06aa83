/**
 * The residual UNets of Tianhao Xu's COVID-CT thesis (table 5.1): ResUNet and its attention
 * variants ResUNet-ECSA and ResUNet-FPRM, all on the section 3.1 skeleton that DResUNet
 * completes with deformable convolutions.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt, checkRange } from '../util/checks';
import { ECAsE } from '../layers/ecase';
import { SCSE } from '../layers/scse';
import { FPRM } from '../layers/fprm';
import { TORCH_BN } from '../blocks/conv-bn-act';
import { apply, conv2d } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import {
  convEntry,
  residualUNetClassifierHead,
  residualUNetSegmentHead,
  residualUNetTrunk,
  type AttentionFn,
  type ResidualUNetHeadPooling,
  type StageEntryFn,
  type StageProjection,
} from '../blocks/residual-unet';
import { buildWith, globalPool, predictions } from './build';
import type { Built } from './options';
import { type UNetFamilyOptions, resolveUNetFamily } from './unet';

/**
 * Options of {@link ResUNet}, {@link ResUNetECSA}, {@link ResUNetFPRM} and DResUNet (the UNet
 * family's, default base width 64). Without the top the model ends at the decoder's x22
 * `[batch, h/2, w/2, filters]` (or its `pooling`).
 */
export interface ResUNetOptions extends UNetFamilyOptions {
  /** Units of the classifier's first dense layer `head_fc1`; default 128. */
  hiddenUnits?: number;
  /** Dropout rate of the classifier head; default 0.5 (section 3.1). */
  dropout?: number;
  /**
   * Attention after each decoder stage: `none` (default, as section 3.1 describes the
   * decoder) or `scse` (the concurrent spatial-channel SE the thesis's "ScseResUNet" family is
   * named after).
   */
  decoderAttention?: 'none' | 'scse';
  /**
   * Where each residual stage's 1x1 conv + BN sits: `'main'` (default: it ends the main path
   * and the stage input is added after it, as the thesis's paragraph on x2 reads) or
   * `'shortcut'` (ResUNet's projection shortcut on the stage input; the wiring of medinets
   * 0.1). See `residualStage` in the blocks.
   */
  projection?: StageProjection;
  /**
   * How the classifier head max-pools the decoder output x22 before its 1x1 conv:
   * `'stepwise'` (default: four 2x2 max pools, stride 2, as the thesis words it; the head's
   * average pool then reduces the `ceil(h/32) x ceil(w/32)` map to 1x1) or `'global'` (one
   * global max pool to 1x1, the thesis's stated result and medinets 0.1's head; it stalled
   * ResUNet, ResUNet-ECSA and ResUNet-FPRM in 10-epoch runs). The text is ambiguous: "a
   * feature of size 1x1 is output by four consecutive maximum pooling" holds for both only at
   * 32x32 inputs. See `residualUNetClassifierHead` in the blocks.
   */
  headPooling?: ResidualUNetHeadPooling;
}

/** The parts that make one residual-UNet variant; see {@link buildResidualUNet}. */
export interface ResidualUNetVariant {
  /** Model name, also used in error messages. */
  name: string;
  /** Entry conv of x2..x5 (plain conv-BN-ReLU when omitted). */
  entry?: (init: KernelInit) => StageEntryFn;
  /** Attention after x5's second conv (ECAsE). */
  bottleneckAttention?: (init: KernelInit) => AttentionFn;
  /** The head's 1x1 conv on the pooled features (a plain `head_conv` when omitted). */
  headConv?: (channels: number, init: KernelInit) => (x: tfl.SymbolicTensor) => tfl.SymbolicTensor;
  /** FPRM-style fusion of the pooled high-level vector with the decoder map. */
  fuse?: (
    channels: number,
    init: KernelInit,
  ) => (high: tfl.SymbolicTensor, low: tfl.SymbolicTensor) => tfl.SymbolicTensor;
}

/** ECAsE after x5's second conv, named `x5_attn`. */
export function ecaseAttention(init: KernelInit): AttentionFn {
  return (x, name) => apply(new ECAsE({ name, seed: init.seed() }), x);
}

/**
 * FPRM fusion of the head: the pooled high-level map `[b, h', w', c]` (h/32 with the default
 * `headPooling`, 1x1 with `'global'`) and the decoder map `[b, h, w, c]` are both fed to an
 * FPRM layer (`head_fprm`) whose output takes the decoder map's size (`targetIndex: 1`) and `c`
 * channels. Resizing the coarse map to `h x w` spreads the high-level semantics over every
 * position before the sum with the projected low-level map. Its batch norms take PyTorch's
 * constants (momentum 0.1, i.e. 0.9 in the Keras convention, epsilon 1e-5) like every other BN
 * of the net: with FPRM's Keras default of 0.99 the moving statistics lagged so far behind in
 * short runs that validation predictions stayed at one class while training accuracy rose.
 */
export function fprmFusion(
  channels: number,
  init: KernelInit,
): (high: tfl.SymbolicTensor, low: tfl.SymbolicTensor) => tfl.SymbolicTensor {
  return (high, low) =>
    apply(
      new FPRM({ filters: channels, targetIndex: 1, name: 'head_fprm', seed: init.seed(), ...TORCH_BN }),
      [high, low],
    );
}

/**
 * Assemble a residual-UNet variant from section 3.1's skeleton: stem x1, residual stages
 * x2..x5, decoder x44, x33, x22, then the classifier head (`head: 'classify'`, output
 * `[batch, classes]`) or the per-pixel head (`head: 'segment'`, output
 * `[batch, h, w, classes]`). Default base width 64 (x5 has 512 channels); smallest input 16.
 * Strided 3x3 convs pad symmetrically and bilinear upsampling aligns corners, as PyTorch does:
 * with equal weights ResUNet's logits match a PyTorch build of the same reading to 1e-6 at odd
 * and even sizes (test/fixtures/models/make_unet_parity.py).
 * Layer names: see `residualUNetTrunk`, `residualUNetClassifierHead`,
 * `residualUNetSegmentHead` in the blocks; output activation `predictions`.
 */
export function buildResidualUNet<O extends ResUNetOptions>(
  variant: ResidualUNetVariant,
  options: O,
): Built<O> {
  const fn = variant.name;
  const o = resolveUNetFamily(fn, options);
  const {
    hiddenUnits = 128,
    dropout = 0.5,
    decoderAttention = 'none',
    projection = 'main',
    headPooling = 'stepwise',
  } = options;
  checkPositiveInt(hiddenUnits, 'hiddenUnits', fn);
  checkRange(dropout, 'dropout', fn, { lo: 0, hi: 1, hiOpen: true });
  checkOneOf(decoderAttention, ['none', 'scse'] as const, 'decoderAttention', fn);
  checkOneOf(projection, ['main', 'shortcut'] as const, 'projection', fn);
  checkOneOf(headPooling, ['stepwise', 'global'] as const, 'headPooling', fn);
  const { upsample } = o;
  return buildWith(options, (init) => {
    const input = tfl.input({ shape: o.inputShape, name: 'input' });
    const feats = residualUNetTrunk(input, {
      filters: o.filters,
      entry: variant.entry ? variant.entry(init) : convEntry(init),
      bottleneckAttention: variant.bottleneckAttention?.(init),
      decoderAttention:
        decoderAttention === 'scse'
          ? (x, name) => apply(new SCSE({ name, seed: init.seed() }), x)
          : undefined,
      upsample,
      projection,
      init,
    });
    let out: tfl.SymbolicTensor;
    if (!o.includeTop) {
      out = globalPool(feats.x22, o.pooling);
    } else {
      if (o.head === 'segment') {
        out = residualUNetSegmentHead(feats.x22, input, o.classes, { upsample, init });
      } else {
        const c = o.filters;
        out = residualUNetClassifierHead(feats.x22, {
          classes: o.classes,
          hiddenUnits,
          dropout,
          pooling: headPooling,
          headConv: variant.headConv
            ? variant.headConv(c, init)
            : (x) => conv2d(x, { filters: c, kernelSize: 1, useBias: true, name: 'head_conv', init }),
          fuse: variant.fuse?.(c, init),
          init,
        });
      }
      out = predictions(out, o.classifierActivation);
    }
    const model = tfl.model({ inputs: input, outputs: out, name: o.name });
    // Without FPRM the classifier head pools x22 to 2x2 before its 1x1 conv: Grad-CAM's last
    // spatial layer would be that coarse map, so name the decoder's full-size one instead.
    if (o.includeTop && o.head !== 'segment' && variant.fuse === undefined) {
      model.setUserDefinedMetadata({ medinets: { camLayer: feats.x22.sourceLayer.name } });
    }
    return model;
  });
}

/**
 * ResUNet (table 5.1): the section 3.1 skeleton with plain conv3x3-BN-ReLU entries, no
 * attention, no FPRM. Input `[batch, h, w, c]` (h, w >= 16); output `[batch, classes]` or, with
 * `head: 'segment'`, `[batch, h, w, classes]`.
 */
export function ResUNet<O extends ResUNetOptions>(options: O = {} as O): Built<O> {
  return buildResidualUNet({ name: 'ResUNet' }, options);
}

/**
 * ResUNet-ECSA (table 5.1): ResUNet with an ECAsE block (sSE + ECA on max- and average-pooled
 * descriptors) after x5's second conv (`x5_attn`), the attention DResUNet uses.
 */
export function ResUNetECSA<O extends ResUNetOptions>(options: O = {} as O): Built<O> {
  return buildResidualUNet({ name: 'ResUNetECSA', bottleneckAttention: ecaseAttention }, options);
}

/**
 * ResUNet-FPRM (table 5.1): ResUNet whose classifier head fuses the pooled high-level vector
 * with the decoder's low-level map through FPRM (`head_fprm`) before average pooling, the
 * fusion DResUNet uses. With `head: 'segment'` it equals ResUNet (FPRM lives in the classifier
 * head).
 */
export function ResUNetFPRM<O extends ResUNetOptions>(options: O = {} as O): Built<O> {
  return buildResidualUNet({ name: 'ResUNetFPRM', fuse: fprmFusion }, options);
}
