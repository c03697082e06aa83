/**
 * Two small baselines for CT classification from Tianhao Xu's COVID-CT thesis (sections
 * 2.3.1-2.3.2, table 5.1): {@link SimpleCNN} and {@link SmallVGG}, a VGG-style net with four
 * conv layers and two fully connected layers.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, activation, apply, conv2d, dense } from '../blocks/graph';
import { checkOneOf, checkPositiveInt, checkRange } from '../util/checks';
import { buildWith, globalPool, predictions } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';

/**
 * Options of {@link SimpleCNN}. Family defaults: `inputShape` `[256, 256, 1]`, `classes` 2,
 * `name` `'SimpleCNN'`; without the top the model ends at the last max pooling (or its
 * `pooling`).
 */
export interface SimpleCNNOptions extends BuilderOptions {
  /** Width of the first block; block i has `filters * 2^(i-1)` channels. Default 16. */
  filters?: number;
  /** Number of conv-ReLU-maxpool blocks; default 3. The smallest legal input is `2^blocks`. */
  blocks?: number;
}

/**
 * SimpleCNN: `blocks` stages of conv 3x3 (width `filters * 2^i`, bias) -> ReLU -> 2x2 max
 * pool, then global average pooling and one dense layer.
 *
 * Input `[batch, h, w, c]`, output `[batch, classes]`. Layer names: `block{i}_conv`,
 * `block{i}_relu`, `block{i}_pool`, `gap`, `logits`, `predictions`.
 *
 * The thesis (section 2.3.1) shows the net only as a figure (lost in the text) and says it
 * uses "a very simple 3*3 convolution"; the widths, block count and global pooling (which
 * keeps the parameter count independent of the input size) are our reading.
 */
export function SimpleCNN<O extends SimpleCNNOptions>(options: O = {} as O): Built<O> {
  const fn = 'SimpleCNN';
  const { blocks = 3, filters = 16 } = options;
  checkPositiveInt(blocks, 'blocks', fn);
  checkPositiveInt(filters, 'filters', fn);
  const r = resolveOptions(fn, options, {
    inputShape: [256, 256, 1],
    minSize: 2 ** blocks,
    classes: 2,
    name: fn,
  });
  return buildWith(options, (init) => {
    const input = tfl.input({ shape: r.inputShape, name: 'input' });
    let x: Sym = input;
    for (let i = 1; i <= blocks; i++) {
      x = conv2d(x, { filters: filters * 2 ** (i - 1), kernelSize: 3, name: `block${i}_conv`, init });
      x = activation(x, 'relu', `block${i}_relu`);
      x = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${i}_pool` }), x);
    }
    if (r.includeTop) {
      x = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
      x = predictions(dense(x, { units: r.classes, name: 'logits', init }), r.classifierActivation);
    } else {
      x = globalPool(x, r.pooling);
    }
    return tfl.model({ inputs: input, outputs: x, name: r.name });
  });
}

/**
 * Options of {@link SmallVGG}. Family defaults: `inputShape` `[256, 256, 1]`, `classes` 2,
 * `name` `'SmallVGG'`; without the top the model ends at `block4_pool` (or its `pooling`).
 */
export interface SmallVGGOptions extends BuilderOptions {
  /** Width of the first stage; stage i has `filters * 2^(i-1)` channels. Default 64 (VGG's). */
  filters?: number;
  /** Units of the first fully connected layer; default 256. */
  hiddenUnits?: number;
  /** Dropout rate after the first fully connected layer; default 0.5 (as VGG). */
  dropout?: number;
  /** How the top reduces the last map: `'flatten'` (default, VGG's own) or `'avg'` (global average pooling: parameters independent of input size). */
  topPooling?: 'flatten' | 'avg';
}

/** SmallVGG under the name `fn` (the deprecated `ThesisVGG` builds through here too). */
export function buildSmallVGG<O extends SmallVGGOptions>(fn: string, options: O): Built<O> {
  const r = resolveOptions(fn, options, { inputShape: [256, 256, 1], minSize: 16, classes: 2, name: fn });
  const { filters = 64, hiddenUnits = 256, dropout: rate = 0.5, topPooling = 'flatten' } = options;
  checkPositiveInt(filters, 'filters', fn);
  checkPositiveInt(hiddenUnits, 'hiddenUnits', fn);
  checkRange(rate, 'dropout', fn, { lo: 0, hi: 1, hiOpen: true });
  checkOneOf(topPooling, ['flatten', 'avg'] as const, 'topPooling', fn);
  return buildWith(options, (init) => {
    const input = tfl.input({ shape: r.inputShape, name: 'input' });
    let x: Sym = input;
    for (let i = 1; i <= 4; i++) {
      x = conv2d(x, { filters: filters * 2 ** (i - 1), kernelSize: 3, name: `block${i}_conv1`, init });
      x = activation(x, 'relu', `block${i}_relu`);
      x = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${i}_pool` }), x);
    }
    if (r.includeTop) {
      x =
        topPooling === 'flatten'
          ? apply(tfl.layers.flatten({ name: 'flatten' }), x)
          : apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
      x = activation(dense(x, { units: hiddenUnits, name: 'fc1', init }), 'relu', 'fc1_relu');
      x = apply(tfl.layers.dropout({ rate, seed: init.seed(), name: 'fc1_dropout' }), x);
      x = predictions(dense(x, { units: r.classes, name: 'logits', init }), r.classifierActivation);
    } else {
      x = globalPool(x, r.pooling);
    }
    return tfl.model({ inputs: input, outputs: x, name: r.name });
  });
}

/**
 * SmallVGG: "four convolutional layers and two fully connected layers" (the thesis's
 * section 2.3.2 "VGG" baseline). Four stages of conv 3x3 (bias) -> ReLU -> 2x2 max pool with
 * widths `filters`, `2f`, `4f`, `8f`; then flatten (or global average pooling), dense
 * `hiddenUnits` + ReLU, dropout, dense `classes`.
 *
 * Input `[batch, h, w, c]` with h, w >= 16; output `[batch, classes]`. Layer names follow
 * Keras VGG: `block{i}_conv1`, `block{i}_relu`, `block{i}_pool`, `flatten` (or `gap`), `fc1`,
 * `fc1_relu`, `fc1_dropout`, `logits`, `predictions`.
 *
 * The thesis gives the layer count only; one conv per stage doubling the width, as VGG does
 * between stages, and the hidden width are our reading.
 */
export function SmallVGG<O extends SmallVGGOptions>(options: O = {} as O): Built<O> {
  return buildSmallVGG('SmallVGG', options);
}
