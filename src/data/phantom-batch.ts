/**
 * The driver both 2-D phantom generators share: argument checks, exact class balance, one
 * child generator per image (so image i does not depend on how many draws image i-1 took),
 * and the typed-array -> tensor step. Internal; not re-exported.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt, checkRange } from '../util/checks';
import { Rng, makeRng } from '../util/random';
import type { PhantomArrays, PhantomSet } from './phantom-types';
import { balancedLabels } from './phantom-draw';

/** Paints one image and its lesion mask (both `size * size`, zero-filled) in place. */
export type PhantomPainter = (image: Float32Array, mask: Float32Array, positive: boolean, rng: Rng) => void;

/** The options every 2-D phantom generator takes. */
export interface PhantomCountOptions {
  n: number;
  size?: number;
  seed?: number;
  positiveFraction?: number;
}

/**
 * Validate `n`, `size`, `positiveFraction` (errors name `fn`), then call `makePainter` (which
 * resolves and checks the generator's own knobs) and paint `n` images with it.
 */
export function paintPhantoms(
  options: PhantomCountOptions,
  fn: string,
  makePainter: (size: number) => PhantomPainter,
): PhantomArrays {
  const { n, size = 64, seed, positiveFraction = 0.5 } = options;
  checkPositiveInt(n, 'n', fn);
  checkPositiveInt(size, 'size', fn);
  if (size < 16) throw new Error(`${fn}: 'size' must be at least 16; got ${size}`);
  checkRange(positiveFraction, 'positiveFraction', fn, { lo: 0, hi: 1 });
  const paint = makePainter(size);
  const master = makeRng(seed);
  const labels = balancedLabels(n, positiveFraction, master);
  const px = size * size;
  const images = new Float32Array(n * px);
  const masks = new Float32Array(n * px);
  for (let i = 0; i < n; i++) {
    const rng = new Rng(master.seed());
    paint(images.subarray(i * px, (i + 1) * px), masks.subarray(i * px, (i + 1) * px), labels[i] === 1, rng);
  }
  return { images, labels, masks, n, size };
}

/** The arrays as `[n, size, size, 1]` image and mask tensors and `[n]` int32 labels. */
export function phantomTensors(a: PhantomArrays): PhantomSet {
  return {
    images: tf.tensor4d(a.images, [a.n, a.size, a.size, 1], 'float32'),
    labels: tf.tensor1d(a.labels, 'int32'),
    masks: tf.tensor4d(a.masks, [a.n, a.size, a.size, 1], 'float32'),
  };
}
