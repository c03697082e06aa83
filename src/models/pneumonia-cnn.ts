/**
 * The two Keras models of document 004 (pneumonia on chest X-ray, Kermany et al.):
 * {@link PneumoniaCNN}, its custom Sequential CNN (2,525,121 parameters, 1,088
 * non-trainable, at 128x128x1), and {@link VGG16Transfer}, a frozen VGG16 base with a
 * flatten -> 512 -> 128 -> 1 head (31,558,209 parameters, 14,714,688 non-trainable, at
 * 256x256x3). Layer names are those of the document's `model.summary()`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { applyLayer, type Sym } from '../blocks/conv-bn-act';
import { KerasNamer } from '../blocks/inception';
import { kernelInit } from '../blocks/init-scope';
import { checkRange } from '../util/checks';
import { type Built, type ImageShape, buildBackbone, checkInputShape } from './backbone-options';
import { VGG_MIN_SIZE, vggBase } from './vgg';

/** Options of {@link PneumoniaCNN}. */
export interface PneumoniaCNNOptions {
  /** `[height, width, channels]`, both sides >= 32. Default `[128, 128, 1]`. */
  inputShape?: ImageShape;
  /** Dropout after each conv of blocks 2-5. Default 0.2. */
  dropout?: number;
  /** Dropout before the dense 512 layer. Default 0.3. */
  denseDropout?: number;
  /** Seed of the kernel initialisers. */
  seed?: number;
  /** Build with zero kernels (fast; for loading weights). Default `false`. */
  zeroInit?: boolean;
  /** Model name. Default `'pneumonia_cnn'`. */
  name?: string;
}

/**
 * Document 004's CNN: conv 32 -> BN -> maxpool, then four blocks conv (64, 64, 128, 256) ->
 * dropout -> BN -> maxpool, flatten, dropout, dense 512 ReLU, dense 1 sigmoid. All convs
 * 3x3 'same' ReLU. Input `[batch, h, w, c]`, output `[batch, 1]` probabilities.
 */
export function PneumoniaCNN(options: PneumoniaCNNOptions = {}): tfl.LayersModel {
  const { inputShape = [128, 128, 1], dropout = 0.2, denseDropout = 0.3, name = 'pneumonia_cnn' } = options;
  checkInputShape('PneumoniaCNN', inputShape, 32);
  checkRange(dropout, 'dropout', 'PneumoniaCNN', { lo: 0, hi: 1, hiOpen: true });
  checkRange(denseDropout, 'denseDropout', 'PneumoniaCNN', { lo: 0, hi: 1, hiOpen: true });
  return buildBackbone({ seed: options.seed, zeroInit: options.zeroInit }, () => {
    const n = new KerasNamer();
    const input = tfl.input({ shape: inputShape, name: 'input' });
    let x: Sym = input;
    [32, 64, 64, 128, 256].forEach((filters, i) => {
      x = applyLayer(
        tfl.layers.conv2d({
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          name: n.next('conv2d'),
          kernelInitializer: kernelInit(),
        }),
        x,
      );
      if (i > 0) x = applyLayer(tfl.layers.dropout({ rate: dropout, name: n.next('dropout') }), x);
      x = applyLayer(tfl.layers.batchNormalization({ axis: -1, name: n.next('batch_normalization') }), x);
      x = applyLayer(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: n.next('max_pooling2d') }), x);
    });
    x = applyLayer(tfl.layers.flatten({ name: 'flatten' }), x);
    x = applyLayer(tfl.layers.dropout({ rate: denseDropout, name: n.next('dropout') }), x);
    x = applyLayer(
      tfl.layers.dense({
        units: 512,
        activation: 'relu',
        name: n.next('dense'),
        kernelInitializer: kernelInit(),
      }),
      x,
    );
    x = applyLayer(
      tfl.layers.dense({
        units: 1,
        activation: 'sigmoid',
        name: n.next('dense'),
        kernelInitializer: kernelInit(),
      }),
      x,
    );
    return tfl.model({ inputs: input, outputs: x, name });
  });
}

/** Options of {@link VGG16Transfer}. */
export interface VGG16TransferOptions {
  /** `[height, width, channels]`, both sides >= 32. Default `[256, 256, 3]` (the document's 8x8x512 base output). */
  inputShape?: ImageShape;
  /** Units of the hidden dense layers. Default `[512, 128]`. */
  hiddenUnits?: number[];
  /** Whether the VGG16 base is frozen. Default `true`. */
  freezeBase?: boolean;
  /** VGG16 (no top) weights to load by name: path/URL (the builder then returns a Promise) or tensors. */
  weights?: string | import('@tensorflow/tfjs-core').NamedTensorMap;
  /** Seed of the kernel initialisers. */
  seed?: number;
  /** Build with zero kernels. Default: `true` when `weights` is given. */
  zeroInit?: boolean;
  /** Model name. Default `'vgg16_transfer'`. */
  name?: string;
}

/**
 * Document 004's transfer model: the VGG16 convolutional base (frozen by default, layer
 * names `block1_conv1`...), flatten, dense 512 ReLU, dense 128 ReLU, dense 1 sigmoid.
 * Input `[batch, h, w, c]`, output `[batch, 1]` probabilities. Recompile after changing
 * `trainable`.
 */
export function VGG16Transfer<O extends VGG16TransferOptions>(options: O = {} as O): Built<O> {
  const {
    inputShape = [256, 256, 3],
    hiddenUnits = [512, 128],
    freezeBase = true,
    name = 'vgg16_transfer',
  } = options;
  checkInputShape('VGG16Transfer', inputShape, VGG_MIN_SIZE);
  hiddenUnits.forEach((u, i) => {
    if (!Number.isInteger(u) || u <= 0)
      throw new Error(`VGG16Transfer: 'hiddenUnits[${i}]' must be a positive integer; got ${u}`);
  });
  return buildBackbone(options, () => {
    const input = tfl.input({ shape: inputShape, name: 'input' });
    let x = vggBase(input, [2, 2, 3, 3, 3]);
    x = applyLayer(tfl.layers.flatten({ name: 'flatten' }), x);
    const n = new KerasNamer();
    for (const units of hiddenUnits) {
      x = applyLayer(
        tfl.layers.dense({
          units,
          activation: 'relu',
          name: n.next('dense'),
          kernelInitializer: kernelInit(),
        }),
        x,
      );
    }
    x = applyLayer(
      tfl.layers.dense({
        units: 1,
        activation: 'sigmoid',
        name: n.next('dense'),
        kernelInitializer: kernelInit(),
      }),
      x,
    );
    const model = tfl.model({ inputs: input, outputs: x, name });
    if (freezeBase) for (const l of model.layers) if (l.name.startsWith('block')) l.trainable = false;
    return model;
  });
}
