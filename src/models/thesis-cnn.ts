/**
 * The two plain baselines of the thesis (document 001, sections 2.3.1-2.3.2, table 5.1):
 * SimpleCNN and a VGG-style net with four conv layers and two fully connected layers.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt, checkRange } from '../util/checks';
import { apply, conv, relu, seeded } from '../blocks/sym';
import type { ThesisModelOptions } from './thesis-options';
import { predictions, resolveThesisOptions } from './thesis-resolve';

/** Options of {@link SimpleCNN}. */
export interface SimpleCNNOptions extends ThesisModelOptions {
  /** Number of conv-ReLU-maxpool blocks; default 3. The smallest legal input is `2^blocks`. */
  blocks?: number;
}

/**
 * SimpleCNN (thesis 2.3.1): `blocks` stages of conv 3x3 (width `filters * 2^i`, bias) ->
 * ReLU -> 2x2 max pool, then global average pooling and one dense layer.
 *
 * Input `[batch, h, w, c]`, output `[batch, classes]`. Default `filters` 16, 3 blocks.
 * Layer names: `block{i}_conv`, `block{i}_relu`, `block{i}_pool`, `gap`, `logits`,
 * `predictions`.
 *
 * The thesis shows the net only as a figure (lost in the text) and says it uses "a very simple
 * 3*3 convolution"; the widths, block count and global pooling (which keeps the parameter count
 * independent of the input size) are our reading.
 */
export function SimpleCNN(options: SimpleCNNOptions = {}): tfl.LayersModel {
  const fn = 'SimpleCNN';
  const blocks = options.blocks ?? 3;
  checkPositiveInt(blocks, 'blocks', fn);
  const o = resolveThesisOptions(fn, options, { filters: 16, minSize: 2 ** blocks });
  const input = tfl.input({ shape: [o.height, o.width, o.channels], name: 'input' });
  let x: tfl.SymbolicTensor = input;
  for (let i = 1; i <= blocks; i++) {
    x = conv(x, { filters: o.filters * 2 ** (i - 1), kernel: 3, name: `block${i}_conv`, rng: o.rng });
    x = relu(x, `block${i}_relu`);
    x = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${i}_pool` }), x);
  }
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
  x = apply(tfl.layers.dense({ units: o.classes, kernelInitializer: seeded(o.rng), name: 'logits' }), x);
  const out = apply(predictions(o.activation), x);
  return tfl.model({ inputs: input, outputs: out, name: 'SimpleCNN' });
}

/** Options of {@link ThesisVGG}. */
export interface ThesisVGGOptions extends ThesisModelOptions {
  /** Units of the first fully connected layer; default 256. */
  hiddenUnits?: number;
  /** Dropout rate after the first fully connected layer; default 0.5 (as VGG). */
  dropout?: number;
  /** `flatten` (default, VGG's own head) or `avg` (global average pooling: parameters independent of input size). */
  pooling?: 'flatten' | 'avg';
}

/**
 * ThesisVGG (thesis 2.3.2): "four convolutional layers and two fully connected layers".
 * Four stages of conv 3x3 (bias) -> ReLU -> 2x2 max pool with widths `filters`, `2f`, `4f`,
 * `8f`; then flatten (or global average pooling), dense `hiddenUnits` + ReLU, dropout, dense
 * `classes`.
 *
 * Input `[batch, h, w, c]` with h, w >= 16; output `[batch, classes]`. Default `filters` 64
 * (VGG's first width). Layer names follow Keras VGG: `block{i}_conv1`, `block{i}_relu`,
 * `block{i}_pool`, `flatten` (or `gap`), `fc1`, `fc1_relu`, `fc1_dropout`, `logits`,
 * `predictions`.
 *
 * The thesis gives the layer count only; one conv per stage doubling the width, as VGG does
 * between stages, and the hidden width are our reading.
 */
export function ThesisVGG(options: ThesisVGGOptions = {}): tfl.LayersModel {
  const fn = 'ThesisVGG';
  const o = resolveThesisOptions(fn, options, { filters: 64, minSize: 16 });
  const hiddenUnits = options.hiddenUnits ?? 256;
  checkPositiveInt(hiddenUnits, 'hiddenUnits', fn);
  const rate = options.dropout ?? 0.5;
  checkRange(rate, 'dropout', fn, { lo: 0, hi: 1, hiOpen: true });
  const pooling = options.pooling ?? 'flatten';
  checkOneOf(pooling, ['flatten', 'avg'] as const, 'pooling', fn);

  const input = tfl.input({ shape: [o.height, o.width, o.channels], name: 'input' });
  let x: tfl.SymbolicTensor = input;
  for (let i = 1; i <= 4; i++) {
    x = conv(x, { filters: o.filters * 2 ** (i - 1), kernel: 3, name: `block${i}_conv1`, rng: o.rng });
    x = relu(x, `block${i}_relu`);
    x = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${i}_pool` }), x);
  }
  x =
    pooling === 'flatten'
      ? apply(tfl.layers.flatten({ name: 'flatten' }), x)
      : apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
  x = apply(tfl.layers.dense({ units: hiddenUnits, kernelInitializer: seeded(o.rng), name: 'fc1' }), x);
  x = relu(x, 'fc1_relu');
  x = apply(tfl.layers.dropout({ rate, seed: o.rng?.int(2 ** 31 - 1), name: 'fc1_dropout' }), x);
  x = apply(tfl.layers.dense({ units: o.classes, kernelInitializer: seeded(o.rng), name: 'logits' }), x);
  const out = apply(predictions(o.activation), x);
  return tfl.model({ inputs: input, outputs: out, name: 'ThesisVGG' });
}
