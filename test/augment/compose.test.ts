import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  brightness,
  compose,
  flip,
  mixup,
  rotate,
  step,
  type MixedSample,
  type Sample,
} from '../../src/augment';
import { binaryMask, images, maxDiff } from './helpers';

const x = images(4, 8, 6, 3);
const mask = binaryMask(4, 8, 6);
const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
afterAll(() => tf.dispose([x, mask, y]));

describe('compose', () => {
  const pipeline = (seed?: number) =>
    compose(
      [
        step(flip, { mode: 'horizontal_and_vertical' }),
        step(rotate, { factor: 0.1, interpolation: 'nearest' }),
        step(brightness, { delta: 0.1 }),
        step(mixup, { alpha: 0.4 }),
      ],
      { seed },
    );

  it('chains steps: images, labels and mask all come out, rows of y sum to 1', () => {
    const out = pipeline(1)({ x, y, mask }) as MixedSample;
    expect(out.x.shape).toEqual(x.shape);
    expect(out.mask!.shape).toEqual(mask.shape);
    expect(out.y!.shape).toEqual([4, 2]);
    for (const r of out.y!.arraySync() as number[][]) expect(r[0]! + r[1]!).toBeCloseTo(1, 6);
    expect(out.lambda).toHaveLength(4);
    tf.dispose([out.x, out.y!, out.mask!]);
  });

  it('equals running the steps by hand with the same generator', async () => {
    const { makeRng } = await import('../../src/util/random');
    const out = compose([step(flip, { prob: 0.5 }), step(rotate, { degrees: 20 })], { seed: 3 })(x);
    const rng = makeRng(3);
    const a = flip(x, { prob: 0.5, seed: rng });
    const b = rotate(a, { degrees: 20, seed: rng });
    expect(maxDiff(out, b)).toBe(0);
    tf.dispose([out, a, b]);
  });

  it('same seed -> same output; the pipeline generator advances between calls; call seeds override', () => {
    const a = pipeline(5)({ x, y }) as Sample;
    const b = pipeline(5)({ x, y }) as Sample;
    expect(maxDiff(a.x, b.x)).toBe(0);
    const p = pipeline(5);
    const first = p({ x, y }) as Sample;
    const second = p({ x, y }) as Sample;
    expect(maxDiff(first.x, second.x)).toBeGreaterThan(0);
    const s1 = p({ x, y }, 77) as Sample;
    const s2 = pipeline(1)({ x, y }, 77) as Sample;
    expect(maxDiff(s1.x, s2.x)).toBe(0);
    tf.dispose([a, b, first, second, s1, s2].flatMap((s) => [s.x, s.y!]));
  });

  it('disposes every intermediate and never the input', () => {
    const before = tf.memory().numTensors;
    const out = pipeline(2)({ x, y, mask }) as Sample;
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([out.x, out.y!, out.mask!]);
    expect(tf.memory().numTensors).toBe(before);
    expect(x.isDisposed).toBe(false);
    const empty = compose([])(x);
    expect(maxDiff(empty, x)).toBe(0);
    empty.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cleans up when a step throws, and validates its steps', () => {
    const before = tf.memory().numTensors;
    const bad = compose([
      step(flip),
      () => {
        throw new Error('boom');
      },
    ]);
    expect(() => bad(x)).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    expect(() => compose([42 as never])).toThrow(/array of functions/);
    expect(() => pipeline(1)(tf.zeros([2, 2]) as unknown as tf.Tensor4D)).toThrow(
      /compose: 'x' must be a 4-D tensor/,
    );
  });
});
