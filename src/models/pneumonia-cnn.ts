/**
 * The two Keras models of document 004 (pneumonia on chest X-ray, Kermany et al.):
 * {@link PneumoniaCNN}, its custom Sequential CNN (2,525,121 parameters, 1,088
 * non-trainable, at 128x128x1), and {@link VGG16Transfer}, a frozen VGG16 base with a
 * flatten -> 512 -> 128 -> 1 head (31,558,209 parameters, 14,714,688 non-trainable, at
 * 256x256x3). Layer names are those of the document's `model.summary()`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { type Sym, apply, conv2d, dense } from '../blocks/graph';
import { KerasNamer } from '../blocks/inception';
import { checkRange } from '../util/checks';
import { buildWith, globalPool } from './build';
import { type BuilderOptions, type Built, resolveOptions } from './options';
import { VGG_MIN_SIZE, vggBase } from './vgg';

/**
 * Options of {@link PneumoniaCNN}. Family defaults: `inputShape` `[128, 128, 1]` (sides >= 32),
 * `classes` 1 (sigmoid), `name` `'pneumonia_cnn'`; without the top the model ends at the last
 * max pooling (or its `pooling`).
 */
export interface PneumoniaCNNOptions extends BuilderOptions {
  /** Dropout after each conv of blocks 2-5. Default 0.2. */
  dropout?: number;
  /** Dropout before the dense 512 layer. Default 0.3. */
  denseDropout?: number;
}

/**
 * Document 004's CNN: conv 32 -> BN -> maxpool, then four blocks conv (64, 64, 128, 256) ->
 * dropout -> BN -> maxpool, flatten, dropout, dense 512 ReLU, dense 1 sigmoid. All convs
 * 3x3 'same' ReLU. Input `[batch, h, w, c]`, output `[batch, 1]` probabilities.
 */
export function PneumoniaCNN<O extends PneumoniaCNNOptions>(options: O = {} as O): Built<O> {
  const fn = 'PneumoniaCNN';
  const r = resolveOptions(fn, options, {
    inputShape: [128, 128, 1],
    minSize: 32,
    classes: 1,
    name: 'pneumonia_cnn',
  });
  const { dropout = 0.2, denseDropout = 0.3 } = options;
  checkRange(dropout, 'dropout', fn, { lo: 0, hi: 1, hiOpen: true });
  checkRange(denseDropout, 'denseDropout', fn, { lo: 0, hi: 1, hiOpen: true });
  return buildWith(options, (init) => {
    const n = new KerasNamer();
    const input = tfl.input({ shape: r.inputShape, name: 'input' });
    let x: Sym = input;
    [32, 64, 64, 128, 256].forEach((filters, i) => {
      x = conv2d(x, { filters, kernelSize: 3, activation: 'relu', name: n.next('conv2d'), init });
      if (i > 0) x = apply(tfl.layers.dropout({ rate: dropout, name: n.next('dropout') }), x);
      x = apply(tfl.layers.batchNormalization({ axis: -1, name: n.next('batch_normalization') }), x);
      x = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: n.next('max_pooling2d') }), x);
    });
    if (r.includeTop) {
      x = apply(tfl.layers.flatten({ name: 'flatten' }), x);
      x = apply(tfl.layers.dropout({ rate: denseDropout, name: n.next('dropout') }), x);
      x = dense(x, { units: 512, activation: 'relu', name: n.next('dense'), init });
      x = dense(x, { units: r.classes, activation: r.classifierActivation, name: n.next('dense'), init });
    } else {
      x = globalPool(x, r.pooling);
    }
    return tfl.model({ inputs: input, outputs: x, name: r.name });
  });
}

/**
 * Options of {@link VGG16Transfer}. Family defaults: `inputShape` `[256, 256, 3]` (the
 * document's 8x8x512 base output; sides >= 32), `classes` 1 (sigmoid), `name`
 * `'vgg16_transfer'`; `weights` are VGG16 (no top) weights loaded by name; without the top the
 * model is the VGG16 base (or its `pooling`).
 */
export interface VGG16TransferOptions extends BuilderOptions {
  /** Units of the hidden dense layers. Default `[512, 128]`. */
  hiddenUnits?: number[];
  /** Whether the VGG16 base is frozen. Default `true`. */
  freezeBase?: boolean;
}

/**
 * Document 004's transfer model: the VGG16 convolutional base (frozen by default, layer
 * names `block1_conv1`...), flatten, dense 512 ReLU, dense 128 ReLU, dense 1 sigmoid.
 * Input `[batch, h, w, c]`, output `[batch, 1]` probabilities. Recompile after changing
 * `trainable`.
 */
export function VGG16Transfer<O extends VGG16TransferOptions>(options: O = {} as O): Built<O> {
  const fn = 'VGG16Transfer';
  const r = resolveOptions(fn, options, {
    inputShape: [256, 256, 3],
    minSize: VGG_MIN_SIZE,
    classes: 1,
    name: 'vgg16_transfer',
  });
  const { hiddenUnits = [512, 128], freezeBase = true } = options;
  hiddenUnits.forEach((u, i) => {
    if (!Number.isInteger(u) || u <= 0)
      throw new Error(`${fn}: 'hiddenUnits[${i}]' must be a positive integer; got ${u}`);
  });
  return buildWith(options, (init) => {
    const input = tfl.input({ shape: r.inputShape, name: 'input' });
    let x = vggBase(input, [2, 2, 3, 3, 3], init);
    if (r.includeTop) {
      x = apply(tfl.layers.flatten({ name: 'flatten' }), x);
      const n = new KerasNamer();
      for (const units of hiddenUnits)
        x = dense(x, { units, activation: 'relu', name: n.next('dense'), init });
      x = dense(x, { units: r.classes, activation: r.classifierActivation, name: n.next('dense'), init });
    } else {
      x = globalPool(x, r.pooling);
    }
    const model = tfl.model({ inputs: input, outputs: x, name: r.name });
    if (freezeBase) for (const l of model.layers) if (l.name.startsWith('block')) l.trainable = false;
    return model;
  });
}
