import type * as tf from '@tensorflow/tfjs-core';
import { resolveCtKnobs, sampleDistractors, sampleFinding } from './ct-knobs';
import {
  type CtLesion,
  finishSlice,
  lungEllipses,
  paintAnatomy,
  paintLesions,
  sampleBodyPlan,
} from './ct-slice';
import { paintPhantoms, phantomTensors } from './phantom-batch';
import { pickInt } from './phantom-draw';

/** Preset of the difficulty knobs; explicit knobs override the preset's values. */
export type PhantomDifficulty = 'easy' | 'medium' | 'hard';

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

/**
 * {@link ctPhantoms} as plain typed arrays (no tensors), for writing files or custom pipelines.
 */
export function ctPhantomArrays(options: CtPhantomOptions): PhantomArrays {
  const fn = 'ctPhantoms';
  return paintPhantoms(options, fn, (size) => {
    const k = resolveCtKnobs(options, fn);
    return (buf, mask, positive, rng) => {
      const plan = sampleBodyPlan(rng, k.anatomyJitter);
      const z = rng.uniform(0.3, 0.8);
      const lungCov = paintAnatomy(buf, size, plan, z, rng);
      const lesions: CtLesion[] = sampleDistractors(rng, k);
      if (positive) {
        const count = Math.max(1, pickInt(rng, k.lesionCount));
        for (let c = 0; c < count; c++) lesions.push(sampleFinding(rng, k));
      }
      paintLesions(
        buf,
        mask,
        lungCov,
        size,
        lungEllipses(plan, z),
        lesions.map((lesion) => ({ lesion, scale: 1 })),
      );
      finishSlice(buf, rng, k.noiseStd);
      for (let p = 0; p < mask.length; p++) mask[p] = (mask[p] as number) >= 0.5 ? 1 : 0;
    };
  });
}

/**
 * Synthetic chest-CT-like axial slices in Hounsfield units, the built-in data the examples
 * and the demo train on. Anatomy: air -1000, body ellipse with a subcutaneous fat rim (-100)
 * around soft tissue (+40), two lungs (-860, a little denser posteriorly), heart, descending
 * aorta, vertebra and ribs (+700 cortex), trachea or main bronchi, and lung vessels/airways
 * as small blobs. Positives (label 1) carry COVID-like findings: peripheral, posterior-biased
 * ground-glass opacities (about -500 HU, soft edges, vessels stay visible), crazy paving
 * (ground glass plus a septal grid) and consolidation. Distractors (solid nodules, plate
 * atelectasis) appear in either class at `distractorRate`, so "something is there" is not
 * the answer. Then Gaussian noise.
 *
 * Difficulty: `difficulty` picks a preset; `lesionCount`, `lesionSize`, `ggoHU`,
 * `consolidationHU`, `findings`, `noiseStd`, `distractorRate`, `anatomyJitter` override it.
 * At 64 px the 'medium' preset is learnable by a small CNN in seconds (well above chance)
 * while small, faint lesions keep it short of perfect.
 *
 * Window the HU before a network (e.g. `ctWindow(images, 'lung')` from medinets/augment).
 *
 * @returns `images` `[n, size, size, 1]` HU, `labels` `[n]` int32, `masks` `[n, size, size, 1]`.
 */
export function ctPhantoms(options: CtPhantomOptions): PhantomSet {
  return phantomTensors(ctPhantomArrays(options));
}
