/**
 * Res-Dense fusion of document 000 (Trinh & Nguyen, "Custom Deep Neural Network for 3D
 * Covid Chest CT-scan Classification", 2021): ResNet101 and DenseNet121 trunks run in
 * parallel on the same slice; a 1x1 Conv2D projects the ResNet map (2048 channels) to
 * DenseNet's channel count (1024), the two maps are added, globally average-pooled and
 * classified with a softmax. The trunk layouts are options so that a reduced fusion (fewer
 * units, narrower layers) can be trained from scratch where the paper's ImageNet trunks are
 * not available; the defaults are the paper's.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { apply, conv2d } from '../blocks/graph';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { buildWith, kerasTop } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';
import { DENSENET_CONFIGS, densenetTrunk } from './densenet';
import { RESNET_DEPTHS, resnetTrunk } from './resnet';

/** Layer-name prefix of the ResNet101 trunk (load Keras ResNet101 weights with `{ prefix: RESNET_PREFIX }`). */
export const RESNET_PREFIX = 'resnet101/';
/** Layer-name prefix of the DenseNet121 trunk. */
export const DENSENET_PREFIX = 'densenet121/';

/**
 * Options of {@link ResDenseFusion}. Family defaults: `inputShape` `[256, 256, 3]` (the
 * paper's), `classes` 2 (COVID / non-COVID), `name` `'res_dense_fusion'`; without the top the
 * model ends at `fusion_add` (or its `pooling`).
 */
export interface ResDenseFusionOptions extends BuilderOptions {
  /** Units per stage of the ResNet trunk (conv2..conv5). Default `[3, 4, 23, 3]` (ResNet101). */
  resnetBlocks?: readonly number[];
  /** Unit type of the ResNet trunk. Default `'bottleneck'` (ResNet101). */
  resnetBlock?: 'basic' | 'bottleneck';
  /** Width of the ResNet stem and first stage; stages are `filters * [1, 2, 4, 8]`. Default 64. */
  resnetFilters?: number;
  /** Dense layers per block of the DenseNet trunk. Default `[6, 12, 24, 16]` (DenseNet121). */
  densenetBlocks?: readonly number[];
  /** Channels added per dense layer (the DenseNet stem has twice as many). Default 32. */
  growthRate?: number;
}

/**
 * Builds the fusion model. Trunk layers are prefixed `resnet101/` and `densenet121/` (so the
 * two trunks' Keras names do not collide and each trunk's Keras weights load with
 * `loadWeightsByName(model, src, { prefix })`); the head is `projection`, `fusion_add`,
 * `avg_pool`, `predictions`. Input `[batch, h, w, c]` (scale pixels to [-1, 1] as the paper
 * does), output `[batch, classes]` probabilities. Use {@link fusionTrunks} to freeze trunks.
 */
export function ResDenseFusion<O extends ResDenseFusionOptions>(options: O = {} as O): Built<O> {
  const fn = 'ResDenseFusion';
  const r = resolveOptions(fn, options, {
    inputShape: [256, 256, 3],
    minSize: 32,
    classes: 2,
    name: 'res_dense_fusion',
  });
  const {
    resnetBlocks = RESNET_DEPTHS[101].blocks,
    resnetBlock = RESNET_DEPTHS[101].block,
    resnetFilters = 64,
    densenetBlocks = DENSENET_CONFIGS[121].blocks,
    growthRate = DENSENET_CONFIGS[121].growthRate,
  } = options;
  checkOneOf(resnetBlock, ['basic', 'bottleneck'], 'resnetBlock', fn);
  checkPositiveInt(resnetFilters, 'resnetFilters', fn);
  checkPositiveInt(growthRate, 'growthRate', fn);
  checkLayout(resnetBlocks, 'resnetBlocks', 4);
  checkLayout(densenetBlocks, 'densenetBlocks');
  return buildWith(options, (init) => {
    const input = tfl.input({ shape: r.inputShape, name: 'input' });
    const res = resnetTrunk(
      input,
      { blocks: resnetBlocks, block: resnetBlock, variant: 'keras', filters: resnetFilters },
      init,
      RESNET_PREFIX,
    );
    const dense = densenetTrunk(
      input,
      { blocks: densenetBlocks, growthRate, epsilon: 1.001e-5 },
      init,
      DENSENET_PREFIX,
    );
    const channels = dense.shape[3] as number;
    const projected = conv2d(res, {
      filters: channels,
      kernelSize: 1,
      padding: 'valid',
      name: 'projection',
      init,
    });
    const x = apply(tfl.layers.add({ name: 'fusion_add' }), [projected, dense]);
    return tfl.model({ inputs: input, outputs: kerasTop(x, r, init), name: r.name });
  });
}

function checkLayout(blocks: readonly number[], option: string, length?: number): void {
  const ok = Array.isArray(blocks) && blocks.length > 0 && (length === undefined || blocks.length === length);
  if (!ok) {
    throw new Error(
      `ResDenseFusion: '${option}' must list the units of ${length ?? 'one or more'} stages; got ${JSON.stringify(blocks)}`,
    );
  }
  blocks.forEach((b, i) => checkPositiveInt(b, `${option}[${i}]`, 'ResDenseFusion'));
}

/** The layers of a {@link ResDenseFusion} model, split by part (in model order). */
export interface FusionTrunks {
  /** The ResNet101 trunk's layers. */
  resnet: tfl.layers.Layer[];
  /** The DenseNet121 trunk's layers. */
  densenet: tfl.layers.Layer[];
  /** The fusion head (projection, add, pooling, classifier). */
  head: tfl.layers.Layer[];
}

/**
 * Splits a fusion model (built or loaded from disk) into its trunks by layer-name prefix,
 * for `freezeUpTo(trunks.resnet, 100)` and the like. The input layer belongs to none.
 */
export function fusionTrunks(model: tfl.LayersModel): FusionTrunks {
  const out: FusionTrunks = { resnet: [], densenet: [], head: [] };
  for (const l of model.layers) {
    if (l.name.startsWith(RESNET_PREFIX)) out.resnet.push(l);
    else if (l.name.startsWith(DENSENET_PREFIX)) out.densenet.push(l);
    else if (l.getClassName() !== 'InputLayer') out.head.push(l);
  }
  if (out.resnet.length === 0 || out.densenet.length === 0) {
    throw new Error(
      `fusionTrunks: '${model.name}' has no '${RESNET_PREFIX}' / '${DENSENET_PREFIX}' layers; is it a ResDenseFusion model?`,
    );
  }
  return out;
}
