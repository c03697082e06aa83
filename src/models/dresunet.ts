/**
 * DResUNet, the main model of Tianhao Xu's COVID-CT thesis (section 3.1, figure 3.4): the residual UNet
 * with deformable convolutions v2 opening every residual stage and the head's 1x1 conv, ECAsE
 * after the bottleneck's second conv, and FPRM fusing high-level semantics with low-level
 * features in the classifier head.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { DeformConv2D, type DeformModulation } from '../layers/deform-conv';
import { checkOneOf } from '../util/checks';
import { TORCH_BN } from '../blocks/conv-bn-act';
import { activation, apply } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import type { StageEntryFn } from '../blocks/residual-unet';
import type { Built } from './options';
import { buildResidualUNet, ecaseAttention, fprmFusion, type ResUNetOptions } from './resunet';

/** Options of {@link DResUNet}: those of ResUNet (default base width 64) and the deformable convs' modulation. */
export interface DResUNetOptions extends ResUNetOptions {
  /**
   * How the deformable convs map their mask logits to the modulation: `'sigmoid'` (default;
   * DCNv2 and torchvision) or `'2sigmoid'` (`2·sigmoid`, range (0, 2), medinets 0.1's).
   */
  modulation?: DeformModulation;
}

/**
 * Entry of x2..x5 in DResUNet: a 3x3 deformable conv v2 (stride 1 in x2, 2 in x3..x5, `same`
 * padding, no bias) -> BN -> ReLU; layers `${name}_deform`, `${name}_entry_bn`,
 * `${name}_entry_relu`.
 */
function deformEntry(init: KernelInit, modulation: DeformModulation = 'sigmoid'): StageEntryFn {
  return (x, filters, strides, name) => {
    const d = apply(
      new DeformConv2D({
        filters,
        kernelSize: 3,
        strides,
        padding: 'same',
        useBias: false,
        name: `${name}_deform`,
        modulation,
        seed: init.seed(),
      }),
      x,
    );
    const b = apply(tfl.layers.batchNormalization({ axis: -1, ...TORCH_BN, name: `${name}_entry_bn` }), d);
    return activation(b, 'relu', `${name}_entry_relu`);
  };
}

/** The head's 1x1 deformable conv v2 (`head_deform`, with bias) on the pooled `[b, h', w', c]` features. */
function deformHeadConv(
  channels: number,
  init: KernelInit,
  modulation: DeformModulation,
): (x: tfl.SymbolicTensor) => tfl.SymbolicTensor {
  return (x) =>
    apply(
      new DeformConv2D({
        filters: channels,
        kernelSize: 1,
        name: 'head_deform',
        modulation,
        seed: init.seed(),
      }),
      x,
    );
}

/**
 * DResUNet (section 3.1). With base width f (default 64), input `[batch, h, w, c]`, h, w >= 16:
 *
 * - **x1** conv 3x3 stride 1 -> BN -> ReLU -> 2x2 max pool (`x1_*`), f channels, stride 2.
 * - **x2** deformable conv v2 3x3 stride 1 (`x2_deform`) -> BN -> ReLU, conv3x3-BN-ReLU twice
 *   (`x2_conv1`..`x2_relu2`), conv 1x1 -> BN (`x2_conv3`, `x2_bn3`), then the residual: x1
 *   added unchanged (`x2_add`); f channels.
 * - **x3, x4** as x2 with the deformable conv at stride 2; 2f and 4f channels; the stage input
 *   reaches the sum through a strided 1x1 conv + BN (`x3_short_conv`, `x3_short_bn`).
 * - **x5** as x3 with ECAsE (`x5_attn`) after its second 3x3 conv; 8f channels, stride 16.
 * - **decoder x44, x33, x22**: upsample x2 (`upsample`, default bilinear), pad/crop to the
 *   skip, concat, conv3x3-BN-ReLU twice; 4f, 2f, f channels; x22 at stride 2.
 * - **head `classify`** (default): four 2x2 max pools of x22 (`head_pool1`..`head_pool4`, or
 *   one global max pool with `headPooling: 'global'`), dropout 0.5 (`head_dropout`), 1x1
 *   deformable conv (`head_deform`), FPRM of `[that, x22]`
 *   (`head_fprm`), average pool (`head_avgpool`), dense `hiddenUnits` + ReLU (`head_fc1`),
 *   dense `classes` (`logits`), `predictions`. Output `[batch, classes]`.
 * - **head `segment`**: the encoder and decoder above, then `seg_up`, `seg_pad`, `outc`;
 *   output `[batch, h, w, classes]`.
 *
 * ```
 * x1 -> deform -> BN -> ReLU -> cbr1 -> cbr2 -> conv3 (1x1) -> bn3 --> add = x2
 *  '----------------------------------------------------------------'
 * ```
 *
 * Readings where the thesis is ambiguous (its figures are not in the text):
 * - x2 follows the text: 1x1 conv + BN last on the main path, then "a residual with the x1
 *   feature extraction module". Strided stages cannot add their input unchanged and the text
 *   does not say how it is reshaped; a strided 1x1 conv + BN (ResNet's projection) does it.
 *   `projection: 'shortcut'` restores the 0.1 wiring (the 1x1 conv + BN as the shortcut on
 *   the stage input, summed with the main path's last ReLU);
 * - BN and ReLU follow each deformable conv as they follow every other 3x3 conv;
 * - x5 downsamples like x3 and x4: the thesis's "2x2, stride 2" reduction next to ECAsE is
 *   the stage's own strided entry, ECAsE itself keeps the shape;
 * - decoder depth: "five up-samplings are performed", but the text names three decoder
 *   stages (x44, x33, x22) and x5 sits at stride 16, so five x2 upsamplings would overshoot
 *   the input size 2x. We build the three named stages (x22 at stride 2, the resolution of
 *   x1 and x2); the segmenter head adds a fourth to reach the input size;
 * - head pooling: "a feature of size 1x1 is output by four consecutive maximum pooling" after
 *   the last upsampling; four 2x2 poolings of x22 (stride 2) reach 1x1 only for 32x32 inputs
 *   (256x256 leaves 8x8). We follow the operation by default (`headPooling: 'stepwise'`, ceil
 *   mode at odd sizes) and let the average pool the text puts before the dense layers finish
 *   the reduction; `headPooling: 'global'` takes the stated result instead (a global max pool
 *   to 1x1, medinets 0.1's head, which trains poorly: one position per channel gets gradient);
 * - FPRM fuses the head's pooled map (high-level) with x22, the decoder map the head pooled
 *   (low-level), at x22's size;
 * - the decoder has no attention unless `decoderAttention: 'scse'` is asked for;
 * - hidden width of the two dense layers: 128 (`hiddenUnits`).
 */
export function DResUNet<O extends DResUNetOptions>(options: O = {} as O): Built<O> {
  const { modulation = 'sigmoid' } = options;
  checkOneOf(modulation, ['sigmoid', '2sigmoid'] as const, 'modulation', 'DResUNet');
  return buildResidualUNet(
    {
      name: 'DResUNet',
      entry: (init) => deformEntry(init, modulation),
      bottleneckAttention: ecaseAttention,
      headConv: (channels, init) => deformHeadConv(channels, init, modulation),
      fuse: fprmFusion,
    },
    options,
  );
}
