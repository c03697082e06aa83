/**
 * DenseNet (Huang et al., "Densely Connected Convolutional Networks", CVPR 2017), as
 * Keras applications builds it: stem conv 7x7/2 -> max pool 3x3/2, four dense blocks with
 * 0.5-compression transitions, final BN-ReLU. Keras-exact parameter counts at 224x224x3
 * with the top: DenseNet121 8,062,504, DenseNet169 14,307,880, DenseNet201 20,242,984.
 * DenseNet161 (growth rate 48, stem width 96) follows torchvision's configuration.
 * Layer names are Keras' (`conv1/conv`, `conv2_block1_0_bn`, `pool2_conv`, `bn`...).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBnAct } from '../blocks/conv-bn-act';
import { denseBlock, transitionBlock } from '../blocks/dense-block';
import { type Sym, apply, zeroPad } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { buildWith, kerasTop } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of the DenseNet builders. */
export interface DenseNetOptions extends BuilderOptions {
  /** `'keras'` (BN epsilon 1.001e-5, default) or `'torchvision'` (1e-5). */
  variant?: 'keras' | 'torchvision';
}

/** Options of the generic {@link DenseNet} builder. */
export interface DenseNetGenericOptions extends DenseNetOptions {
  /** Dense layers per block, e.g. `[6, 12, 24, 16]`. */
  blocks: readonly number[];
  /** Channels added per dense layer (the stem has twice as many). Default 32. */
  growthRate?: number;
}

/** Smallest input side. */
export const DENSENET_MIN_SIZE = 32;

/** Block layout of a DenseNet. */
export interface DenseNetLayout {
  /** Dense layers per block. */
  blocks: readonly number[];
  /** Channels added per dense layer. */
  growthRate: number;
}

/** Dense layers per block and growth rate of the named depths. */
export const DENSENET_CONFIGS: Record<121 | 161 | 169 | 201, DenseNetLayout> = {
  121: { blocks: [6, 12, 24, 16], growthRate: 32 },
  161: { blocks: [6, 12, 36, 24], growthRate: 48 },
  169: { blocks: [6, 12, 32, 32], growthRate: 32 },
  201: { blocks: [6, 12, 48, 32], growthRate: 32 },
};

/** Trunk settings. */
export interface DenseNetTrunkConfig {
  /** Dense layers per block. */
  blocks: readonly number[];
  /** Channels added per dense layer; the stem has twice as many. */
  growthRate: number;
  /** BN epsilon. */
  epsilon: number;
}

/**
 * The DenseNet trunk up to the final BN-ReLU (`bn`, `relu`), names prefixed by `prefix`.
 * Input `[batch, h, w, c]`, output `[batch, ~h/32, ~w/32, channels]` (1024 for DenseNet121).
 */
export function densenetTrunk(x: Sym, cfg: DenseNetTrunkConfig, init: KernelInit, prefix = ''): Sym {
  const { blocks, growthRate, epsilon } = cfg;
  let y = zeroPad(x, 3, `${prefix}zero_padding2d`);
  y = convBnAct(y, {
    filters: 2 * growthRate,
    kernelSize: 7,
    strides: 2,
    padding: 'valid',
    epsilon,
    names: { conv: `${prefix}conv1/conv`, bn: `${prefix}conv1/bn`, act: `${prefix}conv1/relu` },
    init,
  });
  y = zeroPad(y, 1, `${prefix}zero_padding2d_1`);
  y = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: `${prefix}pool1` }), y);
  blocks.forEach((n, i) => {
    y = denseBlock(y, n, `${prefix}conv${i + 2}`, { growthRate, epsilon, init });
    if (i < blocks.length - 1) y = transitionBlock(y, 0.5, `${prefix}pool${i + 2}`, { epsilon, init });
  });
  y = apply(tfl.layers.batchNormalization({ axis: -1, epsilon, name: `${prefix}bn` }), y);
  return apply(tfl.layers.activation({ activation: 'relu', name: `${prefix}relu` }), y);
}

function build<O extends DenseNetOptions>(
  fn: string,
  options: O,
  layout: { blocks: readonly number[]; growthRate: number },
): Built<O> {
  const r = resolveOptions(fn, options, {
    inputShape: [224, 224, 3],
    minSize: DENSENET_MIN_SIZE,
    classes: 1000,
    name: fn.toLowerCase(),
  });
  const { variant = 'keras' } = options;
  checkOneOf(variant, ['keras', 'torchvision'], 'variant', fn);
  if (!Array.isArray(layout.blocks) || layout.blocks.length < 1) {
    throw new Error(
      `${fn}: 'blocks' must list the dense layers of each block; got ${JSON.stringify(layout.blocks)}`,
    );
  }
  layout.blocks.forEach((b, i) => checkPositiveInt(b, `blocks[${i}]`, fn));
  checkPositiveInt(layout.growthRate, 'growthRate', fn);
  const cfg = { ...layout, epsilon: variant === 'keras' ? 1.001e-5 : 1e-5 };
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      const out = kerasTop(densenetTrunk(input, cfg, init), r, init);
      return tfl.model({ inputs: input, outputs: out, name: r.name });
    },
    { fn, published: [{ builder: fn, variant }] },
  );
}

/**
 * A DenseNet of any layout, e.g. `DenseNet({ blocks: [2, 2, 2, 2], growthRate: 8 })` for a
 * small CT model (stem width `2 * growthRate`, bottleneck width `4 * growthRate`).
 */
export function DenseNet<O extends DenseNetGenericOptions>(options: O): Built<O> {
  return build(
    'DenseNet',
    { name: 'densenet', ...options },
    { blocks: options.blocks, growthRate: options.growthRate ?? 32 },
  );
}

/** DenseNet-121, Keras-exact: 8,062,504 parameters at 224x224x3 with the top. */
export function DenseNet121<O extends DenseNetOptions>(options: O = {} as O): Built<O> {
  return build('DenseNet121', options, DENSENET_CONFIGS[121]);
}

/** DenseNet-161 (torchvision's: k = 48, blocks [6, 12, 36, 24]); 28,900,936 parameters with the top (torchvision's 28,681,000 leaves out the BN moving statistics). */
export function DenseNet161<O extends DenseNetOptions>(options: O = {} as O): Built<O> {
  return build('DenseNet161', options, DENSENET_CONFIGS[161]);
}

/** DenseNet-169, Keras-exact: 14,307,880 parameters at 224x224x3 with the top. */
export function DenseNet169<O extends DenseNetOptions>(options: O = {} as O): Built<O> {
  return build('DenseNet169', options, DENSENET_CONFIGS[169]);
}

/** DenseNet-201, Keras-exact: 20,242,984 parameters at 224x224x3 with the top. */
export function DenseNet201<O extends DenseNetOptions>(options: O = {} as O): Built<O> {
  return build('DenseNet201', options, DENSENET_CONFIGS[201]);
}
