/**
 * Chaining augmentations: `compose([...steps])` runs steps in order on a {@link Sample},
 * threading one seeded generator through them and disposing every intermediate tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/random';
import { type RandomOptions, type Sample, type SeedLike, isTensor, rngOf, toSample } from './sample';

/** One step of a pipeline: gets the current sample and the pipeline's generator, returns a new sample. */
export type Step = (sample: Sample, rng: Rng) => Sample;

/** A composed pipeline: call it on images or a sample, optionally with a seed for this call. */
export interface Pipeline {
  /** Run on images `[batch, height, width, channels]`; returns images. */
  (x: tf.Tensor4D, seed?: SeedLike): tf.Tensor4D;
  /** Run on a sample (images, labels, mask); returns a new sample (plus whatever steps add, e.g. `lambda`). */
  (sample: Sample, seed?: SeedLike): Sample;
}

/** Options of {@link compose}. */
export type ComposeOptions = Pick<RandomOptions, 'seed'>;

/**
 * Bind options to a transform so it can be a {@link Step}: the step passes the pipeline's
 * generator as `seed` (ignored by deterministic transforms such as `normalize`). Works with
 * every transform of this folder that takes a sample, e.g.
 * `step(flip, { prob: 0.5 })`, `step(rotate, { factor: 0.2 })`, `step(mixup, { alpha: 0.4 })`.
 * @param transform a function `(sample, options) -> sample`.
 * @param options its options, without `seed`.
 */
export function step<O>(transform: (sample: Sample, options: O) => Sample, options?: Omit<O, 'seed'>): Step {
  if (typeof transform !== 'function') throw new Error(`step: 'transform' must be a function`);
  return (s, rng) => transform(s, { ...(options ?? {}), seed: rng } as O);
}

/** Every tensor held by a sample. */
function tensorsOf(s: Sample): tf.Tensor[] {
  return [s.x, s.y, s.mask].filter((t): t is tf.Tensor => t !== undefined);
}

/**
 * Chain steps into one seeded pipeline. Each call draws from the pipeline's generator (or
 * from the call's `seed`), so a seeded pipeline repeats exactly; intermediate samples are
 * disposed as soon as the next step has run, and the input is never disposed.
 * @example
 * const augment = compose([step(flip, { mode: 'horizontal_and_vertical' }), step(rotate, { factor: 0.2 })], { seed: 7 });
 * const out = augment({ x: images, y: labels });
 */
export function compose(steps: Step[], options: ComposeOptions = {}): Pipeline {
  if (!Array.isArray(steps) || !steps.every((s) => typeof s === 'function')) {
    throw new Error(`compose: 'steps' must be an array of functions (use step(transform, options))`);
  }
  const own = rngOf(options.seed);
  const run = (input: tf.Tensor4D | Sample, seed?: SeedLike): tf.Tensor4D | Sample => {
    const start = toSample(input, 'compose');
    const rng = seed === undefined ? own : rngOf(seed);
    const keep = new Set(tensorsOf(start));
    let cur: Sample = start;
    for (const st of steps) {
      let next: Sample;
      try {
        next = st(cur, rng);
      } catch (e) {
        if (cur !== start) tf.dispose(tensorsOf(cur));
        throw e;
      }
      if (cur !== start) {
        const live = new Set(tensorsOf(next));
        tf.dispose(tensorsOf(cur).filter((t) => !live.has(t) && !keep.has(t)));
      }
      cur = next;
    }
    if (cur === start) {
      const copy: Sample = { x: tf.clone(start.x) };
      if (start.y !== undefined) copy.y = tf.clone(start.y);
      if (start.mask !== undefined) copy.mask = tf.clone(start.mask);
      cur = copy;
    }
    return isTensor(input) ? cur.x : cur;
  };
  return run as Pipeline;
}
