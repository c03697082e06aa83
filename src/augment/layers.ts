/**
 * Keras-style preprocessing layers for users who put augmentation inside the model: each is
 * a tfjs-layers `Layer` that transforms its input only when called with `training: true`
 * (as `model.fit` does) and is the identity otherwise. Class names and config keys follow
 * Keras (`RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomTranslation`, `RandomContrast`,
 * `RandomBrightness`), so Keras configs using them deserialise. The transforms have no
 * gradient: place these layers directly after the input.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type Rng, makeRng } from '../util/random';
import { brightness, contrast } from './intensity';
import { toRange } from './sample';
import { rotate, translate } from './affine';
import { type FlipMode, flip } from './flip';
import { type FillMode, type Interpolation, inverseAbout, warp } from './warp';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options shared by the random layers. */
export interface RandomLayerArgs extends LayerArgs {
  /** Seed of the layer's generator; a seeded layer gives the same sequence of transforms. */
  seed?: number;
}

/**
 * Base of the random preprocessing layers: identity at inference, a per-image random
 * transform of `[batch, height, width, channels]` (or one `[height, width, channels]` image)
 * when `training` is true.
 */
export abstract class RandomImageLayer extends tfl.layers.Layer {
  /** The seed given at construction, if any. */
  readonly seed?: number;
  private readonly rng: Rng;

  /** @param args layer options plus `seed`. */
  constructor(args: RandomLayerArgs = {}) {
    super(args);
    this.seed = args.seed;
    this.rng = makeRng(args.seed);
  }

  /** The transform applied in training; `x` is `[batch, height, width, channels]`. */
  protected abstract augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D;

  /** Transforms in training, identity otherwise. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    if (kwargs?.['training'] !== true) return x;
    if (x.rank !== 3 && x.rank !== 4) {
      throw new Error(
        `${this.getClassName()}: input must be a 3-D or 4-D image tensor; got shape [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const batch = (x.rank === 3 ? tf.expandDims(x, 0) : x) as tf.Tensor4D;
      const y = this.augment(tf.cast(batch, 'float32') as tf.Tensor4D, this.rng);
      return x.rank === 3 ? tf.squeeze(y, [0]) : y;
    });
  }

  /** The output shape equals the input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** Options to rebuild the layer: the base config plus `seed`. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = { ...super.getConfig() };
    if (this.seed !== undefined) cfg['seed'] = this.seed;
    return cfg;
  }
}

/** A layer's random range: `f` means `[-f, f]` (or `[1 - f, 1 + f]` for contrast), or `[lower, upper]`. */
export type LayerFactor = number | [number, number];

function factorConfig(f: LayerFactor): number | number[] {
  return typeof f === 'number' ? f : [f[0], f[1]];
}

/** Options of {@link RandomFlip}. */
export interface RandomFlipArgs extends RandomLayerArgs {
  /** Axes to flip, each with probability 0.5. Default `'horizontal_and_vertical'` (Keras). */
  mode?: FlipMode;
}

/** Keras `RandomFlip`: flips each image horizontally and/or vertically with probability 0.5. */
export class RandomFlip extends RandomImageLayer {
  /** The class name registered for serialisation (as in Keras). */
  static className = 'RandomFlip';
  /** Axes flipped. */
  readonly mode: FlipMode;
  /** @param args see {@link RandomFlipArgs}. */
  constructor(args: RandomFlipArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'horizontal_and_vertical';
    flip(tf.zeros([1, 1, 1, 1]), { mode: this.mode }).dispose();
  }
  protected augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    return flip(x, { mode: this.mode, prob: 0.5, seed: rng });
  }
  /** Config: base + `mode`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/** Options shared by the resampling layers. */
export interface ResampleLayerArgs extends RandomLayerArgs {
  /** Fill mode outside the image. Default `'reflect'`. */
  fillMode?: FillMode;
  /** Image interpolation. Default `'bilinear'`. */
  interpolation?: Interpolation;
  /** Value for `fillMode: 'constant'`. Default 0. */
  fillValue?: number;
}

function resampleConfig(l: {
  fillMode: FillMode;
  interpolation: Interpolation;
  fillValue: number;
}): tf.serialization.ConfigDict {
  return { fillMode: l.fillMode, interpolation: l.interpolation, fillValue: l.fillValue };
}

/** Options of {@link RandomRotation}. */
export interface RandomRotationArgs extends ResampleLayerArgs {
  /** Fraction of a full turn: `f` means `[-f, f]` (source 000 uses 0.2), or `[lower, upper]`. */
  factor: LayerFactor;
}

/** Keras `RandomRotation(factor)`: rotation by an angle uniform in factor * 2 pi. */
export class RandomRotation extends RandomImageLayer {
  /** The class name registered for serialisation (as in Keras). */
  static className = 'RandomRotation';
  /** Rotation range as fractions of a turn. */
  readonly factor: LayerFactor;
  /** Fill mode. */
  readonly fillMode: FillMode;
  /** Interpolation. */
  readonly interpolation: Interpolation;
  /** Fill value. */
  readonly fillValue: number;
  /** @param args see {@link RandomRotationArgs}. */
  constructor(args: RandomRotationArgs) {
    super(args);
    if (args?.factor === undefined) throw new Error(`RandomRotation: 'factor' is required`);
    this.factor = args.factor;
    toRange(this.factor, 'factor', 'RandomRotation');
    this.fillMode = args.fillMode ?? 'reflect';
    this.interpolation = args.interpolation ?? 'bilinear';
    this.fillValue = args.fillValue ?? 0;
  }
  protected augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    return rotate(x, {
      factor: this.factor,
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
      seed: rng,
    });
  }
  /** Config: base + `factor`, `fillMode`, `interpolation`, `fillValue`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: factorConfig(this.factor), ...resampleConfig(this) };
  }
}

/** Options of {@link RandomZoom}. */
export interface RandomZoomArgs extends ResampleLayerArgs {
  /** Vertical zoom: `f` means `[-f, f]`; positive zooms out, negative zooms in (Keras). */
  heightFactor: LayerFactor;
  /** Horizontal zoom; the vertical draw is reused (aspect kept) when omitted. */
  widthFactor?: LayerFactor;
}

/** Keras `RandomZoom`: zoom factor 1 + u per axis, u uniform in the factor range (positive = zoom out). */
export class RandomZoom extends RandomImageLayer {
  /** The class name registered for serialisation (as in Keras). */
  static className = 'RandomZoom';
  /** Vertical factor. */
  readonly heightFactor: LayerFactor;
  /** Horizontal factor, if separate. */
  readonly widthFactor?: LayerFactor;
  /** Fill mode. */
  readonly fillMode: FillMode;
  /** Interpolation. */
  readonly interpolation: Interpolation;
  /** Fill value. */
  readonly fillValue: number;
  /** @param args see {@link RandomZoomArgs}. */
  constructor(args: RandomZoomArgs) {
    super(args);
    if (args?.heightFactor === undefined) throw new Error(`RandomZoom: 'heightFactor' is required`);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor;
    const h = toRange(this.heightFactor, 'heightFactor', 'RandomZoom');
    if (h[0] <= -1) throw new Error(`RandomZoom: 'heightFactor' must be > -1; got ${h[0]}`);
    if (this.widthFactor !== undefined) {
      const w = toRange(this.widthFactor, 'widthFactor', 'RandomZoom');
      if (w[0] <= -1) throw new Error(`RandomZoom: 'widthFactor' must be > -1; got ${w[0]}`);
    }
    this.fillMode = args.fillMode ?? 'reflect';
    this.interpolation = args.interpolation ?? 'bilinear';
    this.fillValue = args.fillValue ?? 0;
  }
  protected augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const hr = toRange(this.heightFactor, 'heightFactor', 'RandomZoom');
    const wr = this.widthFactor === undefined ? null : toRange(this.widthFactor, 'widthFactor', 'RandomZoom');
    const maps = Array.from({ length: n }, () => {
      const zy = 1 + rng.uniform(hr[0], hr[1]);
      const zx = wr === null ? zy : 1 + rng.uniform(wr[0], wr[1]);
      return inverseAbout([1 / zx, 0, 0, 1 / zy], 0, 0, h, w);
    });
    return warp({ x }, maps, {
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
    }).x;
  }
  /** Config: base + factors and resampling options. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      heightFactor: factorConfig(this.heightFactor),
      ...resampleConfig(this),
    };
    if (this.widthFactor !== undefined) cfg['widthFactor'] = factorConfig(this.widthFactor);
    return cfg;
  }
}

/** Options of {@link RandomTranslation}. */
export interface RandomTranslationArgs extends ResampleLayerArgs {
  /** Vertical shift as a fraction of the height: `f` means `[-f, f]`; positive moves down. */
  heightFactor: LayerFactor;
  /** Horizontal shift as a fraction of the width; positive moves right. */
  widthFactor: LayerFactor;
}

/** Keras `RandomTranslation`: shifts by fractions of the height and width drawn per image. */
export class RandomTranslation extends RandomImageLayer {
  /** The class name registered for serialisation (as in Keras). */
  static className = 'RandomTranslation';
  /** Vertical factor. */
  readonly heightFactor: LayerFactor;
  /** Horizontal factor. */
  readonly widthFactor: LayerFactor;
  /** Fill mode. */
  readonly fillMode: FillMode;
  /** Interpolation. */
  readonly interpolation: Interpolation;
  /** Fill value. */
  readonly fillValue: number;
  /** @param args see {@link RandomTranslationArgs}. */
  constructor(args: RandomTranslationArgs) {
    super(args);
    if (args?.heightFactor === undefined || args?.widthFactor === undefined) {
      throw new Error(`RandomTranslation: 'heightFactor' and 'widthFactor' are required`);
    }
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor;
    toRange(this.heightFactor, 'heightFactor', 'RandomTranslation');
    toRange(this.widthFactor, 'widthFactor', 'RandomTranslation');
    this.fillMode = args.fillMode ?? 'reflect';
    this.interpolation = args.interpolation ?? 'bilinear';
    this.fillValue = args.fillValue ?? 0;
  }
  protected augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    return translate(x, {
      translateY: this.heightFactor,
      translateX: this.widthFactor,
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
      seed: rng,
    });
  }
  /** Config: base + factors and resampling options. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heightFactor: factorConfig(this.heightFactor),
      widthFactor: factorConfig(this.widthFactor),
      ...resampleConfig(this),
    };
  }
}

/** Options of {@link RandomContrast}. */
export interface RandomContrastArgs extends RandomLayerArgs {
  /** Contrast factor range: `f` means `[1 - f, 1 + f]`. */
  factor: LayerFactor;
  /** Value range to clip to. Default `[0, 255]` (Keras). */
  valueRange?: [number, number];
}

/** Keras `RandomContrast`: (x - mean) * c + mean per image and channel, c uniform in [1 - f, 1 + f]. */
export class RandomContrast extends RandomImageLayer {
  /** The class name registered for serialisation (as in Keras). */
  static className = 'RandomContrast';
  /** Contrast factor. */
  readonly factor: LayerFactor;
  /** Clip range. */
  readonly valueRange: [number, number];
  /** @param args see {@link RandomContrastArgs}. */
  constructor(args: RandomContrastArgs) {
    super(args);
    if (args?.factor === undefined) throw new Error(`RandomContrast: 'factor' is required`);
    this.factor = args.factor;
    this.valueRange = args.valueRange ?? [0, 255];
    toRange(this.factor, 'factor', 'RandomContrast');
  }
  protected augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const f =
      typeof this.factor === 'number'
        ? this.factor
        : ([1 - this.factor[0], 1 + this.factor[1]] as [number, number]);
    return contrast(x, { factor: f, valueRange: this.valueRange, seed: rng });
  }
  /** Config: base + `factor`, `valueRange`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: factorConfig(this.factor), valueRange: [...this.valueRange] };
  }
}

/** Options of {@link RandomBrightness}. */
export interface RandomBrightnessArgs extends RandomLayerArgs {
  /** Additive shift as a fraction of the value range: `f` means `[-f, f]`, or `[lower, upper]`. */
  factor: LayerFactor;
  /** Value range (shift scale and clip). Default `[0, 255]` (Keras). */
  valueRange?: [number, number];
}

/** Keras `RandomBrightness`: x + u * (hi - lo), u uniform in the factor range, clipped. */
export class RandomBrightness extends RandomImageLayer {
  /** The class name registered for serialisation (as in Keras). */
  static className = 'RandomBrightness';
  /** Brightness factor. */
  readonly factor: LayerFactor;
  /** Value range. */
  readonly valueRange: [number, number];
  /** @param args see {@link RandomBrightnessArgs}. */
  constructor(args: RandomBrightnessArgs) {
    super(args);
    if (args?.factor === undefined) throw new Error(`RandomBrightness: 'factor' is required`);
    this.factor = args.factor;
    this.valueRange = args.valueRange ?? [0, 255];
    toRange(this.factor, 'factor', 'RandomBrightness');
  }
  protected augment(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    return brightness(x, { delta: this.factor, valueRange: this.valueRange, seed: rng });
  }
  /** Config: base + `factor`, `valueRange`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: factorConfig(this.factor), valueRange: [...this.valueRange] };
  }
}

for (const cls of [
  RandomFlip,
  RandomRotation,
  RandomZoom,
  RandomTranslation,
  RandomContrast,
  RandomBrightness,
]) {
  tf.serialization.registerClass(cls);
}
