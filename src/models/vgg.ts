/**
 * VGG (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
 * Recognition", ICLR 2015): stacks of 3x3 conv + ReLU separated by 2x2 max pooling, then
 * fc 4096 -> 4096 -> classes. Layer names and parameter counts as Keras applications
 * (`block1_conv1`, `block1_pool`, `fc1`, `fc2`, `predictions`); VGG16 has 138,357,544
 * parameters and VGG19 143,667,240 at 224x224x3 with the top. `batchNorm: true` is
 * torchvision's `vgg*_bn`: each conv (with bias) followed by batch norm (epsilon 1e-5,
 * `block1_conv1_bn`) and ReLU. torchvision's classifier is Keras' top at 224x224 (its
 * adaptive pooling is then the identity); its channel-first flatten is reordered by
 * `loadWeights`, so the torchvision files load into these builders.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply, conv2d, dense } from '../blocks/graph';
import type { KernelInit } from '../blocks/init';
import { buildWith, globalPool } from './build';
import { checkOneOf } from '../util/checks';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/** Options of the VGG builders. */
export interface VGGOptions extends BuilderOptions {
  /** Batch norm after every conv, as torchvision's `vgg*_bn`. Default `false`. */
  batchNorm?: boolean;
  /**
   * Whose ImageNet file `weights: 'imagenet'` loads; the network is the same. Default
   * `'keras'` (keras.applications' VGG16/VGG19, trained on BGR mean-subtracted input), or
   * `'torchvision'` for VGG11, VGG13 and `batchNorm`, which only torchvision publishes.
   */
  variant?: 'keras' | 'torchvision';
}

/** Smallest input side: five 2x2 poolings leave a 1x1 map. */
export const VGG_MIN_SIZE = 32;

const CONFIGS = {
  VGG11: [1, 1, 2, 2, 2],
  VGG13: [2, 2, 2, 2, 2],
  VGG16: [2, 2, 3, 3, 3],
  VGG19: [2, 2, 4, 4, 4],
} as const;
const WIDTHS = [64, 128, 256, 512, 512];

/**
 * The VGG convolutional base (blocks 1-5) applied to `x`, layer names prefixed by `prefix`.
 * Input `[batch, h, w, c]`, output `[batch, floor(h/32), floor(w/32), 512]`.
 */
export function vggBase(
  x: Sym,
  convsPerBlock: readonly number[],
  init: KernelInit,
  prefix = '',
  batchNorm = false,
): Sym {
  let y = x;
  convsPerBlock.forEach((n, b) => {
    for (let i = 1; i <= n; i++) {
      const name = `${prefix}block${b + 1}_conv${i}`;
      if (!batchNorm) {
        y = conv2d(y, { filters: WIDTHS[b], kernelSize: 3, activation: 'relu', name, init });
        continue;
      }
      y = conv2d(y, { filters: WIDTHS[b], kernelSize: 3, name, init });
      // torch.nn.BatchNorm2d's epsilon and momentum 0.1 (Keras momentum 0.9).
      y = apply(tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9, name: `${name}_bn` }), y);
      y = apply(tfl.layers.activation({ activation: 'relu', name: `${name}_relu` }), y);
    }
    y = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${prefix}block${b + 1}_pool` }), y);
  });
  return y;
}

function buildVGG<O extends VGGOptions>(fn: keyof typeof CONFIGS, options: O): Built<O> {
  const r = resolveOptions(fn, options, {
    inputShape: [224, 224, 3],
    minSize: VGG_MIN_SIZE,
    classes: 1000,
    name: fn.toLowerCase(),
  });
  const batchNorm = options.batchNorm ?? false;
  // Only torchvision publishes VGG11/13 and the batch-norm VGGs.
  const onlyTorch = batchNorm || fn === 'VGG11' || fn === 'VGG13';
  const variant = options.variant ?? (onlyTorch ? 'torchvision' : 'keras');
  checkOneOf(variant, ['keras', 'torchvision'], 'variant', fn);
  return buildWith(
    options,
    (init) => {
      const input = tfl.input({ shape: r.inputShape, name: 'input' });
      let x = vggBase(input, CONFIGS[fn], init, '', batchNorm);
      if (r.includeTop) {
        x = apply(tfl.layers.flatten({ name: 'flatten' }), x);
        x = dense(x, { units: 4096, activation: 'relu', name: 'fc1', init });
        x = dense(x, { units: 4096, activation: 'relu', name: 'fc2', init });
        x = dense(x, { units: r.classes, activation: r.classifierActivation, name: 'predictions', init });
      } else {
        x = globalPool(x, r.pooling);
      }
      return tfl.model({ inputs: input, outputs: x, name: r.name });
    },
    { fn, published: [{ builder: batchNorm ? `${fn}BN` : fn, variant }] },
  );
}

/** VGG-11 (configuration A): 8 conv + 3 fc. Input `[batch, h, w, c]`, `h, w >= 32`. */
export function VGG11<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildVGG('VGG11', options);
}

/** VGG-13 (configuration B): 10 conv + 3 fc. Input `[batch, h, w, c]`, `h, w >= 32`. */
export function VGG13<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildVGG('VGG13', options);
}

/** VGG-16 (configuration D), Keras-exact: 138,357,544 parameters at 224x224x3 with the top. */
export function VGG16<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildVGG('VGG16', options);
}

/** VGG-19 (configuration E), Keras-exact: 143,667,240 parameters at 224x224x3 with the top. */
export function VGG19<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildVGG('VGG19', options);
}
