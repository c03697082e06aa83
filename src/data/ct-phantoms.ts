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

export type {
  PhantomDifficulty,
  CtFindingMix,
  CtDifficultyOptions,
  CtPhantomOptions,
  PhantomSet,
  PhantomArrays,
} from './phantom-types';
import type { CtPhantomOptions, PhantomArrays, PhantomSet } from './phantom-types';

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
