/**
 * Validation and defaults of the thesis models' shared options (internal; not re-exported).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { makeRng, type Rng } from '../util/random';
import type { UpsampleMode } from '../blocks/unet';
import type {
  ClassifierActivation,
  ThesisHead,
  ThesisModelOptions,
  UNetFamilyOptions,
} from './thesis-options';

/** Validated, defaulted common options (internal). */
export interface ResolvedThesisOptions {
  height: number;
  width: number;
  channels: number;
  classes: number;
  filters: number;
  activation: ClassifierActivation;
  rng: Rng | undefined;
  seed: number | undefined;
}

/** Validate and default the common options; `minSize` is the smallest legal height/width. */
export function resolveThesisOptions(
  fn: string,
  opts: ThesisModelOptions,
  defaults: { filters: number; minSize: number },
): ResolvedThesisOptions {
  const inputShape = opts.inputShape ?? [256, 256, 1];
  if (!Array.isArray(inputShape) || inputShape.length !== 3) {
    throw new Error(
      `${fn}: 'inputShape' must be [height, width, channels]; got ${JSON.stringify(inputShape)}`,
    );
  }
  const [height, width, channels] = inputShape;
  checkPositiveInt(height, 'inputShape[0] (height)', fn);
  checkPositiveInt(width, 'inputShape[1] (width)', fn);
  checkPositiveInt(channels, 'inputShape[2] (channels)', fn);
  if (height < defaults.minSize || width < defaults.minSize) {
    throw new Error(
      `${fn}: 'inputShape' height and width must be at least ${defaults.minSize}; got [${inputShape.join(', ')}]`,
    );
  }
  const classes = opts.classes ?? 2;
  checkPositiveInt(classes, 'classes', fn);
  const filters = opts.filters ?? defaults.filters;
  checkPositiveInt(filters, 'filters', fn);
  const activation = opts.classifierActivation ?? (classes === 1 ? 'sigmoid' : 'softmax');
  checkOneOf(activation, ['softmax', 'sigmoid', 'linear'] as const, 'classifierActivation', fn);
  if (opts.seed !== undefined && !Number.isFinite(opts.seed)) {
    throw new Error(`${fn}: 'seed' must be a finite number; got ${opts.seed}`);
  }
  const rng = opts.seed === undefined ? undefined : makeRng(opts.seed);
  return { height, width, channels, classes, filters, activation, rng, seed: opts.seed };
}

/** Validate `head` and `upsample` of the UNet family, with their defaults. */
export function resolveUNetFamily(
  fn: string,
  opts: UNetFamilyOptions,
): { head: ThesisHead; upsample: UpsampleMode } {
  const head = opts.head ?? 'classify';
  checkOneOf(head, ['classify', 'segment'] as const, 'head', fn);
  const upsample = opts.upsample ?? 'bilinear';
  checkOneOf(upsample, ['bilinear', 'transpose'] as const, 'upsample', fn);
  return { head, upsample };
}

/** The named output activation layer `predictions` (softmax over the last axis). */
export function predictions(activation: ClassifierActivation): tfl.layers.Layer {
  return tfl.layers.activation({ activation, name: 'predictions' });
}
