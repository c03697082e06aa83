/**
 * The ImageNet backbones' own input preprocessing, as `keras.applications`' `preprocess_input`
 * (`keras/applications/imagenet_utils.py`, `_preprocess_numpy_input`) on pixels in [0, 255]:
 * - `'caffe'` (VGG16/19, ResNet50/101/152): RGB -> BGR, then minus the ImageNet mean
 *   `[103.939, 116.779, 123.68]` (BGR order); no scaling.
 * - `'tf'` (InceptionV3, InceptionResNetV2, MobileNetV2): `x / 127.5 - 1`, in [-1, 1].
 * - `'torch'` (DenseNet121/169/201): `x / 255`, minus `[0.485, 0.456, 0.406]`, divided by
 *   `[0.229, 0.224, 0.225]` (RGB order), as torchvision normalises.
 * The function and a serialisable layer, so a model can take raw pixels and preprocess each
 * backbone's way inside the graph (document 000 feeds one image to a ResNet and a DenseNet).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A `keras.applications` preprocessing mode; see {@link preprocessInput}. */
export type PreprocessMode = 'caffe' | 'tf' | 'torch';

const MODES: readonly PreprocessMode[] = ['caffe', 'tf', 'torch'];
/** ImageNet mean in BGR order, on [0, 255] (Keras' caffe mode). */
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

function checkMode(mode: unknown, fn: string): asserts mode is PreprocessMode {
  if (!MODES.includes(mode as PreprocessMode)) {
    throw new Error(`${fn}: 'mode' must be one of ${MODES.join(', ')}; got ${JSON.stringify(mode)}`);
  }
}

/**
 * Preprocesses RGB pixels in [0, 255] the way a `keras.applications` backbone expects.
 * @param x Images `[batch, height, width, 3]` (or any shape whose last axis is 3 RGB
 *   channels; `'tf'` takes any channel count), values in [0, 255].
 * @param mode `'caffe'` (ResNet, VGG), `'tf'` (Inception, MobileNetV2) or `'torch'` (DenseNet).
 * @returns A new float32 tensor of the same shape (`'caffe'` has its channels in BGR order).
 */
export function preprocessInput(x: tf.Tensor, mode: PreprocessMode): tf.Tensor {
  const fn = 'preprocessInput';
  checkMode(mode, fn);
  const channels = x.shape[x.rank - 1];
  if (mode !== 'tf' && channels !== 3) {
    throw new Error(
      `${fn}: mode '${mode}' needs 3 RGB channels on the last axis of 'x'; got shape [${x.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const f = tf.cast(x, 'float32');
    if (mode === 'tf') return tf.sub(tf.div(f, 127.5), 1);
    if (mode === 'torch') return tf.div(tf.sub(tf.div(f, 255), TORCH_MEAN), TORCH_STD);
    return tf.sub(tf.reverse(f, -1), CAFFE_MEAN_BGR);
  });
}

/** Options of {@link PreprocessInput}. */
export interface PreprocessInputOptions {
  /** The backbone's mode (see {@link preprocessInput}). Required. */
  mode: PreprocessMode;
  /** Layer name. */
  name?: string;
}

/**
 * {@link preprocessInput} as a layer without weights: input `[batch, height, width, 3]`
 * pixels in [0, 255], output the same shape preprocessed for a backbone.
 */
export class PreprocessInput extends tfl.layers.Layer {
  /** Registered class name, used by save/load. */
  static className = 'PreprocessInput';
  /** The preprocessing mode. */
  readonly mode: PreprocessMode;

  /** @param options see {@link PreprocessInputOptions}. */
  constructor(options: PreprocessInputOptions) {
    super({ name: options.name, trainable: false });
    checkMode(options.mode, 'PreprocessInput');
    this.mode = options.mode;
  }

  /** Output shape equals the input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** Applies {@link preprocessInput} with this layer's mode. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return preprocessInput(Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs, this.mode);
  }

  /** Round-trips the mode. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(PreprocessInput);
