/**
 * Types shared by the phantom generators (ct-phantoms, ct-knobs, phantom-batch,
 * xray-phantoms), in a file of their own so those modules do not import each other in a circle.
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Preset of the difficulty knobs, easiest first: `'easy'` < `'moderate'` < `'medium'` < `'hard'`;
 * explicit knobs override the preset's values. `'moderate'` is the examples' quick mode: hard
 * enough that the models of document 001 spread (none at AUC 1, none at chance) in 10 epochs.
 */
export type PhantomDifficulty = 'easy' | 'moderate' | 'medium' | 'hard';

/** Every {@link PhantomDifficulty}, easiest first (for validation). */
export const PHANTOM_DIFFICULTIES: readonly PhantomDifficulty[] = ['easy', 'moderate', 'medium', 'hard'];

/** Relative frequency of each COVID-like finding on positive slices. */
export interface CtFindingMix {
  /** Peripheral ground-glass opacity (hazy, soft-edged, vessels stay visible). */
  ggo: number;
  /** Ground glass with superimposed septal thickening (a polygonal grid). */
  crazyPaving: number;
  /** Dense, sharper-edged consolidation (about soft-tissue density). */
  consolidation: number;
}

/**
 * Difficulty knobs shared by the CT phantom generators. Sizes are radii in normalised
 * units where the image half-width is 1 (so at 64 px, 0.1 is about 3 pixels).
 */
export interface CtDifficultyOptions {
  /** Preset the knobs below start from. Default 'medium'. */
  difficulty?: PhantomDifficulty;
  /** [min, max] number of findings on a positive slice / series. medium: [1, 3]. */
  lesionCount?: [number, number];
  /** [min, max] finding radius (normalised units). medium: [0.07, 0.16]. */
  lesionSize?: [number, number];
  /** [min, max] ground-glass density in HU (lung is about -860). medium: [-680, -480]. */
  ggoHU?: [number, number];
  /** [min, max] consolidation density in HU. medium: [-150, 30]. */
  consolidationHU?: [number, number];
  /** Relative frequency of the finding types. medium: { ggo: 0.6, crazyPaving: 0.25, consolidation: 0.15 }. */
  findings?: CtFindingMix;
  /** Gaussian noise standard deviation in HU. medium: 25. */
  noiseStd?: number;
  /**
   * Probability (per slice, either class) of distractors: 1-2 solid nodules, and with half
   * that probability a thin band of dependent atelectasis. medium: 0.5.
   */
  distractorRate?: number;
  /** How much body shape, lung size and position vary between patients, 0..1. Default 1. */
  anatomyJitter?: number;
}

/** Options of {@link ctPhantoms}. */
export interface CtPhantomOptions extends CtDifficultyOptions {
  /** Number of slices. */
  n: number;
  /** Height and width in pixels. Default 64. */
  size?: number;
  /** Seed; equal seeds and options give identical data. Default: random. */
  seed?: number;
  /** Fraction of COVID-like (label 1) slices; exactly round(n * fraction) of them. Default 0.5. */
  positiveFraction?: number;
}

/** A labelled set of phantom images with lesion masks. */
export interface PhantomSet {
  /** `[n, size, size, 1]` float32 (HU for CT, 0..255 for X-ray). */
  images: tf.Tensor4D;
  /** `[n]` int32: 1 = diseased (COVID-like / pneumonia-like), 0 = normal. */
  labels: tf.Tensor1D;
  /** `[n, size, size, 1]` float32 in {0, 1}: pixels of the disease findings (distractors excluded). */
  masks: tf.Tensor4D;
}

/** The same data as {@link PhantomSet} as plain arrays (row-major NHWC, one channel). */
export interface PhantomArrays {
  /** `n * size * size` values. */
  images: Float32Array;
  /** `n` labels. */
  labels: Int32Array;
  /** `n * size * size` values in {0, 1}. */
  masks: Float32Array;
  /** Number of images. */
  n: number;
  /** Height and width. */
  size: number;
}
