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
import { PreprocessInput } from '../layers/preprocess-input';
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
  /**
   * Give each trunk its backbone's own `preprocess_input` inside the model (layers
   * `preprocess_resnet`, Keras' `'caffe'` mode, and `preprocess_densenet`, `'torch'` mode), so
   * the input is RGB pixels in [0, 255], as the ImageNet weights of each expect. Needs 3 input
   * channels. Default false: the input goes to both trunks as it is.
   */
  preprocess?: boolean;
}

/**
 * Builds the fusion model. Trunk layers are prefixed `resnet101/` and `densenet121/` (so the
 * two trunks' Keras names do not collide and each trunk's Keras weights load with
 * `loadWeights(model, src, { prefix })`, or `weights: 'imagenet'` for both); the head is `projection`, `fusion_add`,
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
    preprocess = false,
  } = options;
  checkOneOf(resnetBlock, ['basic', 'bottleneck'], 'resnetBlock', fn);
  checkPositiveInt(resnetFilters, 'resnetFilters', fn);
  checkPositiveInt(growthRate, 'growthRate', fn);
  checkLayout(resnetBlocks, 'resnetBlocks', 4);
  checkLayout(densenetBlocks, 'densenetBlocks');
  if (preprocess && r.inputShape[2] !== 3) {
    throw new Error(
      `ResDenseFusion: 'preprocess' needs RGB inputs (3 channels); got inputShape [${r.inputShape.join(', ')}]`,
    );
  }
  // The published files fit only the default trunks.
  const standard =
    same(resnetBlocks, RESNET_DEPTHS[101].blocks) &&
    resnetBlock === 'bottleneck' &&
    resnetFilters === 64 &&
    same(densenetBlocks, DENSENET_CONFIGS[121].blocks) &&
    growthRate === 32;
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const pre = (mode: 'caffe' | 'torch', name: string): tfl.SymbolicTensor =>
        preprocess ? apply(new PreprocessInput({ mode, name }), input) : input;
      const res = resnetTrunk(
        pre('caffe', 'preprocess_resnet'),
        { blocks: resnetBlocks, block: resnetBlock, variant: 'keras', filters: resnetFilters },
        init,
        RESNET_PREFIX,
      );
      const dense = densenetTrunk(
        pre('torch', 'preprocess_densenet'),
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
    },
    { fn, published: standard ? FUSION_IMAGENET : [] },
  );
}

// weights: 'imagenet' loads keras.applications' ResNet101 and DenseNet121 (no top) into the
// two prefixed trunks, as the paper starts from; the projection and head start at random.
const FUSION_IMAGENET = [
  { builder: 'ResNet101', variant: 'keras', prefix: RESNET_PREFIX },
  { builder: 'DenseNet121', variant: 'keras', prefix: DENSENET_PREFIX },
] as const;

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function checkLayout(blocks: readonly number[], option: string, length?: number): void {
  const ok = Array.isArray(blocks) && blocks.length > 0 && (length === undefined || blocks.length === length);
  if (!ok) {
    throw new Error(
      `ResDenseFusion: '${option}' must list the units of ${length ?? 'one or more'} stages; got ${JSON.stringify(blocks)}`,
    );
  }
  blocks.forEach((b, i) => checkPositiveInt(b, `${option}[${i}]`, 'ResDenseFusion'));
}

/** The layers of a {@link ResDenseFusion} model, split by part. */
export interface FusionTrunks {
  /**
   * The ResNet101 trunk's layers in the order of Keras' own `ResNet101(include_top=False)`
   * `model.layers` without its input layer: `resnet[i]` is Keras' `layers[i + 1]`, so Keras'
   * `for l in resnet.layers[:100]: l.trainable = False` is `freezeUpTo(trunks.resnet, 99)`.
   */
  resnet: tfl.layers.Layer[];
  /** The DenseNet121 trunk's layers, ordered the same way (Keras' `DenseNet121().layers[i + 1]`). */
  densenet: tfl.layers.Layer[];
  /** The fusion head (projection, add, pooling, classifier) and the preprocessing layers. */
  head: tfl.layers.Layer[];
}

/**
 * The layers of the trunk ending at `last`, in the order a functional model of that trunk
 * alone lists them. tfjs-layers orders `model.layers` as Keras does (by depth from the
 * output, then discovery order), and depth counts from the model's output: in the fusion the
 * head after each trunk shifts depths and interleaves the two trunks, so the backbone's own
 * order is rebuilt from a model that ends at the trunk.
 */
function trunkOrder(
  model: tfl.LayersModel,
  last: tfl.layers.Layer | undefined,
  prefix: string,
): tfl.layers.Layer[] {
  const byPrefix = model.layers.filter((l) => l.name.startsWith(prefix));
  if (!last) return byPrefix;
  const sub = tfl.model({ inputs: model.inputs, outputs: last.output as tfl.SymbolicTensor });
  const ordered = sub.layers.filter((l) => l.name.startsWith(prefix));
  return ordered.length === byPrefix.length ? ordered : byPrefix;
}

/** The layer feeding `layer` (its first inbound node) other than `except`. */
function feeding(
  layer: tfl.layers.Layer | undefined,
  except?: tfl.layers.Layer,
): tfl.layers.Layer | undefined {
  const inbound = layer?.inboundNodes[0]?.inboundLayers ?? [];
  return inbound.find((l) => l !== except);
}

/**
 * Splits a fusion model (built or loaded from disk) into its trunks by layer-name prefix,
 * each trunk in its standalone Keras backbone's layer order (see {@link FusionTrunks}), for
 * `freezeUpTo(trunks.resnet, 99)` and the like. The input layer belongs to none.
 */
export function fusionTrunks(model: tfl.LayersModel): FusionTrunks {
  const find = (name: string): tfl.layers.Layer | undefined => model.layers.find((l) => l.name === name);
  const projection = find('projection');
  const out: FusionTrunks = {
    resnet: trunkOrder(model, feeding(projection), RESNET_PREFIX),
    densenet: trunkOrder(model, feeding(find('fusion_add'), projection), DENSENET_PREFIX),
    head: model.layers.filter(
      (l) =>
        !l.name.startsWith(RESNET_PREFIX) &&
        !l.name.startsWith(DENSENET_PREFIX) &&
        l.getClassName() !== 'InputLayer',
    ),
  };
  if (out.resnet.length === 0 || out.densenet.length === 0) {
    throw new Error(
      `fusionTrunks: '${model.name}' has no '${RESNET_PREFIX}' / '${DENSENET_PREFIX}' layers; is it a ResDenseFusion model?`,
    );
  }
  return out;
}
