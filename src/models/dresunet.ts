/**
 * DResUNet, the thesis's main model (document 001, section 3.1, figure 3.4): the residual UNet
 * with deformable convolutions v2 opening every residual stage and the head's 1x1 conv, ECAsE
 * after the bottleneck's second conv, and FPRM fusing high-level semantics with low-level
 * features in the classifier head.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { DeformConv2D } from '../layers/deform-conv';
import { apply, bn, relu } from '../blocks/sym';
import type { StageEntryFn } from '../blocks/residual-unet';
import type { Rng } from '../util/random';
import { buildResidualUNet, ecaseAttention, fprmFusion, layerSeed, type ResUNetOptions } from './resunet';

/** Options of {@link DResUNet} (those of ResUNet; default base width 64). */
export type DResUNetOptions = ResUNetOptions;

/**
 * Entry of x2..x5 in DResUNet: a 3x3 deformable conv v2 (stride 1 in x2, 2 in x3..x5, `same`
 * padding, no bias) -> BN -> ReLU; layers `${name}_deform`, `${name}_entry_bn`,
 * `${name}_entry_relu`.
 */
export function deformEntry(rng: Rng | undefined): StageEntryFn {
  return (x, filters, strides, name) => {
    const d = apply(
      new DeformConv2D({
        filters,
        kernelSize: 3,
        strides,
        padding: 'same',
        useBias: false,
        name: `${name}_deform`,
        seed: layerSeed(rng),
      }),
      x,
    );
    return relu(bn(d, `${name}_entry_bn`), `${name}_entry_relu`);
  };
}

/** The head's 1x1 deformable conv v2 (`head_deform`, with bias) on the pooled `[b, 1, 1, c]` features. */
function deformHeadConv(
  channels: number,
  rng: Rng | undefined,
): (x: tfl.SymbolicTensor) => tfl.SymbolicTensor {
  return (x) =>
    apply(
      new DeformConv2D({ filters: channels, kernelSize: 1, name: 'head_deform', seed: layerSeed(rng) }),
      x,
    );
}

/**
 * DResUNet (section 3.1). With base width f (default 64), input `[batch, h, w, c]`, h, w >= 16:
 *
 * - **x1** conv 3x3 stride 1 -> BN -> ReLU -> 2x2 max pool (`x1_*`), f channels, stride 2.
 * - **x2** deformable conv v2 3x3 stride 1 (`x2_deform`) -> BN -> ReLU, then conv3x3-BN-ReLU
 *   twice, plus the residual: conv 1x1 -> BN on x1 (`x2_short_*`), summed (`x2_add`); f channels.
 * - **x3, x4** as x2 with the deformable conv (and shortcut) at stride 2; 2f and 4f channels.
 * - **x5** as x3 with ECAsE (`x5_attn`) after its second conv; 8f channels, stride 16.
 * - **decoder x44, x33, x22**: upsample x2 (`upsample`, default bilinear), pad/crop to the
 *   skip, concat, conv3x3-BN-ReLU twice; 4f, 2f, f channels; x22 at stride 2.
 * - **head `classify`** (default): global max pool to 1x1 (`head_maxpool`), dropout 0.5
 *   (`head_dropout`), 1x1 deformable conv (`head_deform`), FPRM of `[that, x22]`
 *   (`head_fprm`), average pool (`head_avgpool`), dense `hiddenUnits` + ReLU (`head_fc1`),
 *   dense `classes` (`logits`), `predictions`. Output `[batch, classes]`.
 * - **head `segment`**: the encoder and decoder above, then `seg_up`, `seg_pad`, `outc`;
 *   output `[batch, h, w, classes]`.
 *
 * Readings where the thesis is ambiguous (its figures are not in the text):
 * - the 1x1 conv-BN "residual with x1" is taken as ResUNet's projection shortcut on the stage
 *   input (matching channels and, in x3..x5, the stride), not as a last conv of the main path;
 * - BN and ReLU follow each deformable conv as they follow every other 3x3 conv;
 * - x5 downsamples like x3 and x4: the thesis's "2x2, stride 2" reduction next to ECAsE is
 *   the stage's own strided entry, ECAsE itself keeps the shape;
 * - "four consecutive maximum pooling" to 1x1 is a global max pool (exact at any input size);
 * - FPRM fuses the head's 1x1 vector (high-level) with x22, the decoder map the head pooled
 *   (low-level), at x22's size;
 * - the decoder has no attention unless `decoderAttention: 'scse'` is asked for;
 * - hidden width of the two dense layers: 128 (`hiddenUnits`).
 */
export function DResUNet(options: DResUNetOptions = {}): tfl.LayersModel {
  return buildResidualUNet(
    {
      name: 'DResUNet',
      entry: deformEntry,
      bottleneckAttention: ecaseAttention,
      headConv: deformHeadConv,
      fuse: fprmFusion,
    },
    options,
  );
}
