/**
 * VGG (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
 * Recognition", ICLR 2015): stacks of 3x3 conv + ReLU separated by 2x2 max pooling, then
 * fc 4096 -> 4096 -> classes. Layer names and parameter counts as Keras applications
 * (`block1_conv1`, `block1_pool`, `fc1`, `fc2`, `predictions`); VGG16 has 138,357,544
 * parameters and VGG19 143,667,240 at 224x224x3 with the top.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { applyLayer, type Sym } from '../blocks/conv-bn-act';
import { kernelInit } from '../blocks/init-scope';
import {
  type BackboneOptions,
  type Built,
  type ResolvedBackbone,
  buildBackbone,
  globalPool,
  resolveBackbone,
} from './backbone-options';

/** Options of the VGG builders. */
export type VGGOptions = BackboneOptions;

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
export function vggBase(x: Sym, convsPerBlock: readonly number[], prefix = ''): Sym {
  let y = x;
  convsPerBlock.forEach((n, b) => {
    for (let i = 1; i <= n; i++) {
      const name = `${prefix}block${b + 1}_conv${i}`;
      y = applyLayer(
        tfl.layers.conv2d({
          filters: WIDTHS[b],
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          name,
          kernelInitializer: kernelInit(),
        }),
        y,
      );
    }
    y = applyLayer(
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${prefix}block${b + 1}_pool` }),
      y,
    );
  });
  return y;
}

function buildVGG(fn: keyof typeof CONFIGS, options: VGGOptions): tfl.LayersModel {
  const r: ResolvedBackbone = resolveBackbone(fn, options, VGG_MIN_SIZE);
  const input = tfl.input({ shape: r.inputShape, name: 'input' });
  let x = vggBase(input, CONFIGS[fn]);
  if (r.includeTop) {
    x = applyLayer(tfl.layers.flatten({ name: 'flatten' }), x);
    x = applyLayer(
      tfl.layers.dense({ units: 4096, activation: 'relu', name: 'fc1', kernelInitializer: kernelInit() }),
      x,
    );
    x = applyLayer(
      tfl.layers.dense({ units: 4096, activation: 'relu', name: 'fc2', kernelInitializer: kernelInit() }),
      x,
    );
    x = applyLayer(
      tfl.layers.dense({
        units: r.classes,
        activation: r.classifierActivation,
        name: 'predictions',
        kernelInitializer: kernelInit(),
      }),
      x,
    );
  } else {
    x = globalPool(x, r.pooling);
  }
  return tfl.model({ inputs: input, outputs: x, name: r.name });
}

/** VGG-11 (configuration A): 8 conv + 3 fc. Input `[batch, h, w, c]`, `h, w >= 32`. */
export function VGG11<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildBackbone(options, () => buildVGG('VGG11', options));
}

/** VGG-13 (configuration B): 10 conv + 3 fc. Input `[batch, h, w, c]`, `h, w >= 32`. */
export function VGG13<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildBackbone(options, () => buildVGG('VGG13', options));
}

/** VGG-16 (configuration D), Keras-exact: 138,357,544 parameters at 224x224x3 with the top. */
export function VGG16<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildBackbone(options, () => buildVGG('VGG16', options));
}

/** VGG-19 (configuration E), Keras-exact: 143,667,240 parameters at 224x224x3 with the top. */
export function VGG19<O extends VGGOptions>(options: O = {} as O): Built<O> {
  return buildBackbone(options, () => buildVGG('VGG19', options));
}
