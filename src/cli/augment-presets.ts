/**
 * `--augment` presets of `medinets train`: per-batch transforms from src/augment, seeded by the
 * batch seed fitWithMixing hands over.
 */
import * as tf from '@tensorflow/tfjs-core';
import { brightness, contrast, flip, mixup, rotate } from '../augment';
import type { BatchMixer } from '../train';

/** Preset names, as `--augment` takes them. */
export const AUGMENT_PRESETS = ['none', 'flip', 'light', 'mixup'] as const;

/** One of {@link AUGMENT_PRESETS}. */
export type AugmentPreset = (typeof AUGMENT_PRESETS)[number];

/** What each preset does, for `--help`. */
export const AUGMENT_HELP: Record<AugmentPreset, string> = {
  none: 'no augmentation',
  flip: 'random horizontal flip',
  light: 'horizontal flip, rotation up to 10 degrees, contrast and brightness 0.1 (default)',
  mixup: "'light', then mixup with alpha 0.4 (the COVID-CT thesis's choice)",
};

/** The batch transform of a preset, or undefined for 'none'. Pixels are in [0, 1]. */
export function augmentPreset(preset: AugmentPreset): BatchMixer | undefined {
  if (preset === 'none') return undefined;
  const valueRange: [number, number] = [0, 1];
  return (x, y, seed) =>
    tf.tidy(() => {
      let a = flip(x as tf.Tensor4D, { mode: 'horizontal', seed });
      if (preset !== 'flip') {
        a = rotate(a, { degrees: 10, seed: seed + 1, fillMode: 'nearest' });
        a = contrast(a, { factor: 0.1, seed: seed + 2, valueRange });
        a = brightness(a, { delta: 0.1, seed: seed + 3, valueRange });
      }
      if (preset === 'mixup') {
        const m = mixup(a, y, { alpha: 0.4, seed: seed + 4 });
        return { x: m.x, y: m.y };
      }
      return { x: a, y: tf.clone(y) };
    });
}
