/**
 * ResNet v1 (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016).
 * `variant: 'keras'` is Keras applications exactly (conv biases, BN epsilon 1.001e-5,
 * bottleneck stride on the first 1x1; ResNet50 25,636,712 / ResNet101 44,707,176 /
 * ResNet152 60,419,944 parameters at 224x224x3 with the top). `variant: 'torchvision'` is
 * torchvision's "v1.5" (no conv biases, BN epsilon 1e-5, stride on the 3x3, PyTorch
 * padding) so torchvision's `.pth` files, read by `loadWeights`, give identical logits.
 * Layer names are Keras' (`conv1_conv`, `conv2_block1_1_conv`, ..., `avg_pool`, `predictions`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBnAct } from '../blocks/conv-bn-act';
import { type Sym, apply, zeroPad } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import { basicUnit, bottleneckUnit, type ResidualUnitOptions } from '../blocks/residual';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { buildWith, kerasTop } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of the ResNet builders. */
export interface ResNetOptions extends BuilderOptions {
  /** `'keras'` (default) or `'torchvision'`; see the module description. */
  variant?: 'keras' | 'torchvision';
  /** Width of the stem and of the first stage; stages are `filters * [1, 2, 4, 8]`. Default 64. */
  filters?: number;
}

/** Options of the generic {@link ResNet} builder. */
export interface ResNetGenericOptions extends ResNetOptions {
  /** Units per stage (conv2..conv5), e.g. `[3, 4, 6, 3]`. */
  blocks: readonly number[];
  /** `'basic'` (two 3x3) or `'bottleneck'` (1x1-3x3-1x1, 4x expansion). */
  block: 'basic' | 'bottleneck';
}

/** Smallest input side (the stem and four stride-2 stages leave a 1x1 map). */
export const RESNET_MIN_SIZE = 32;

/** Stage layout of a ResNet. */
export interface ResNetLayout {
  /** Units per stage (conv2..conv5). */
  blocks: readonly number[];
  /** Unit type. */
  block: 'basic' | 'bottleneck';
}

/** Units per stage of the named depths. */
export const RESNET_DEPTHS: Record<18 | 34 | 50 | 101 | 152, ResNetLayout> = {
  18: { blocks: [2, 2, 2, 2], block: 'basic' },
  34: { blocks: [3, 4, 6, 3], block: 'basic' },
  50: { blocks: [3, 4, 6, 3], block: 'bottleneck' },
  101: { blocks: [3, 4, 23, 3], block: 'bottleneck' },
  152: { blocks: [3, 8, 36, 3], block: 'bottleneck' },
};

/** Trunk settings resolved from the options. */
export interface ResNetTrunkConfig {
  /** Units per stage. */
  blocks: readonly number[];
  /** Unit type. */
  block: 'basic' | 'bottleneck';
  /** Keras or torchvision conventions. */
  variant: 'keras' | 'torchvision';
  /** Base width. */
  filters: number;
}

/**
 * The ResNet trunk (stem + conv2..conv5) applied to `x`, names prefixed by `prefix`.
 * Input `[batch, h, w, c]`, output `[batch, ceil(h/32), ceil(w/32), 8 * filters * expansion]`.
 */
export function resnetTrunk(x: Sym, cfg: ResNetTrunkConfig, init: KernelInit, prefix = ''): Sym {
  const torch = cfg.variant === 'torchvision';
  const eps = torch ? 1e-5 : 1.001e-5;
  let y = zeroPad(x, 3, `${prefix}conv1_pad`);
  y = convBnAct(y, {
    filters: cfg.filters,
    kernelSize: 7,
    strides: 2,
    padding: 'valid',
    useBias: !torch,
    epsilon: eps,
    names: { conv: `${prefix}conv1_conv`, bn: `${prefix}conv1_bn`, act: `${prefix}conv1_relu` },
    init,
  });
  // Zero padding equals PyTorch's -inf padding here because the input is post-ReLU.
  y = zeroPad(y, 1, `${prefix}pool1_pad`);
  y = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: `${prefix}pool1_pool` }), y);
  const unit = cfg.block === 'basic' ? basicUnit : bottleneckUnit;
  const expansion = cfg.block === 'basic' ? 1 : 4;
  let channels = cfg.filters;
  cfg.blocks.forEach((n, s) => {
    const filters = cfg.filters * 2 ** s;
    for (let i = 1; i <= n; i++) {
      const stride = i === 1 && s > 0 ? 2 : 1;
      const opts: ResidualUnitOptions = {
        filters,
        stride,
        convShortcut: cfg.block === 'bottleneck' ? i === 1 : stride !== 1 || channels !== filters * expansion,
        name: `${prefix}conv${s + 2}_block${i}`,
        strideOn: torch ? '3x3' : '1x1',
        useBias: !torch,
        epsilon: eps,
        symmetricPadding: torch,
        init,
      };
      y = unit(y, opts);
      channels = filters * expansion;
    }
  });
  return y;
}

/** Resolves the trunk settings, validating `variant`, `filters` and `blocks`. */
export function resnetConfig(
  fn: string,
  options: ResNetOptions,
  blocks: readonly number[],
  block: 'basic' | 'bottleneck',
): ResNetTrunkConfig {
  const { variant = 'keras', filters = 64 } = options;
  checkOneOf(variant, ['keras', 'torchvision'], 'variant', fn);
  checkPositiveInt(filters, 'filters', fn);
  checkOneOf(block, ['basic', 'bottleneck'], 'block', fn);
  if (!Array.isArray(blocks) || blocks.length !== 4) {
    throw new Error(`${fn}: 'blocks' must list the units of the 4 stages; got ${JSON.stringify(blocks)}`);
  }
  blocks.forEach((b, i) => checkPositiveInt(b, `blocks[${i}]`, fn));
  return { blocks, block, variant, filters };
}

function build<O extends ResNetOptions>(
  fn: string,
  options: O,
  blocks: readonly number[],
  block: 'basic' | 'bottleneck',
): Built<O> {
  const r = resolveOptions(fn, options, {
    inputShape: [224, 224, 3],
    minSize: RESNET_MIN_SIZE,
    classes: 1000,
    name: fn.toLowerCase(),
  });
  const cfg = resnetConfig(fn, options, blocks, block);
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const out = kerasTop(resnetTrunk(input, cfg, init), r, init);
      return tfl.model({ inputs: input, outputs: out, name: r.name });
    },
    { fn, published: [{ builder: fn, variant: cfg.variant }] },
  );
}

/** A ResNet of any stage layout, e.g. `ResNet({ blocks: [1, 1, 1, 1], block: 'basic', filters: 8 })`. */
export function ResNet<O extends ResNetGenericOptions>(options: O): Built<O> {
  return build('ResNet', { name: 'resnet', ...options }, options.blocks, options.block);
}

/** ResNet-18 (basic units [2, 2, 2, 2]): 11,703,912 parameters with the top (torchvision variant 11,699,112; torchvision itself reports 11,689,512, leaving out the BN moving statistics). */
export function ResNet18<O extends ResNetOptions>(options: O = {} as O): Built<O> {
  return build('ResNet18', options, RESNET_DEPTHS[18].blocks, 'basic');
}

/** ResNet-34 (basic units [3, 4, 6, 3]). */
export function ResNet34<O extends ResNetOptions>(options: O = {} as O): Built<O> {
  return build('ResNet34', options, RESNET_DEPTHS[34].blocks, 'basic');
}

/** ResNet-50 (bottlenecks [3, 4, 6, 3]), Keras-exact: 25,636,712 parameters with the top. */
export function ResNet50<O extends ResNetOptions>(options: O = {} as O): Built<O> {
  return build('ResNet50', options, RESNET_DEPTHS[50].blocks, 'bottleneck');
}

/** ResNet-101 (bottlenecks [3, 4, 23, 3]), Keras-exact: 44,707,176 parameters with the top. */
export function ResNet101<O extends ResNetOptions>(options: O = {} as O): Built<O> {
  return build('ResNet101', options, RESNET_DEPTHS[101].blocks, 'bottleneck');
}

/** ResNet-152 (bottlenecks [3, 8, 36, 3]), Keras-exact: 60,419,944 parameters with the top. */
export function ResNet152<O extends ResNetOptions>(options: O = {} as O): Built<O> {
  return build('ResNet152', options, RESNET_DEPTHS[152].blocks, 'bottleneck');
}
