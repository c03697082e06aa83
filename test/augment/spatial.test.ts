import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  affine,
  centerCrop,
  elasticDeform,
  flip,
  randomCrop,
  randomResizedCrop,
  resize,
  rotate,
  shear,
  translate,
  zoom,
  type Sample,
} from '../../src/augment';
import { binaryMask, images, maxDiff, noLeak, vals } from './helpers';

const x = images(3, 9, 7, 3);
const mask = binaryMask(3, 9, 7);
afterAll(() => tf.dispose([x, mask]));

/** An image whose every channel equals the mask, so image and mask can be compared after a warp. */
function patterned(): Sample {
  return { x: tf.tile(mask, [1, 1, 1, 3]) as tf.Tensor4D, mask };
}

function expectImageFollowsMask(out: Sample): void {
  const first = tf.slice(out.x, [0, 0, 0, 0], [-1, -1, -1, 1]);
  expect(maxDiff(first, out.mask!)).toBe(0);
  first.dispose();
}

describe('flip', () => {
  it('flipping twice with the same seed is the identity, for every mode', () => {
    for (const mode of ['horizontal', 'vertical', 'horizontal_and_vertical'] as const) {
      const once = flip(x, { mode, seed: 5 });
      const twice = flip(once, { mode, seed: 5 });
      expect(maxDiff(twice, x)).toBe(0);
      tf.dispose([once, twice]);
    }
  });

  it('prob 1 mirrors every image exactly; prob 0 leaves it', () => {
    const h = flip(x, { prob: 1 });
    const ref = tf.reverse(x, 2);
    expect(maxDiff(h, ref)).toBe(0);
    const v = flip(x, { mode: 'vertical', prob: 1 });
    const refV = tf.reverse(x, 1);
    expect(maxDiff(v, refV)).toBe(0);
    const none = flip(x, { prob: 0 });
    expect(maxDiff(none, x)).toBe(0);
    tf.dispose([h, ref, v, refV, none]);
  });

  it('draws per image: some images flipped, some not', () => {
    const big = images(16, 2, 3, 1, 3);
    const out = flip(big, { seed: 11 });
    let flipped = 0;
    for (let i = 0; i < 16; i++) {
      const a = tf.slice(out, [i, 0, 0, 0], [1, -1, -1, -1]);
      const b = tf.slice(big, [i, 0, 0, 0], [1, -1, -1, -1]);
      if (maxDiff(a, b) > 0) flipped++;
      tf.dispose([a, b]);
    }
    expect(flipped).toBeGreaterThan(2);
    expect(flipped).toBeLessThan(14);
    tf.dispose([big, out]);
  });
});

describe('affine family', () => {
  it('rotation by 0 (degrees or factor) is the identity', () => {
    for (const o of [{ degrees: 0 }, { factor: 0 }, { degrees: [0, 0] as [number, number] }]) {
      const out = rotate(x, { ...o, seed: 1 });
      expect(maxDiff(out, x)).toBe(0);
      out.dispose();
    }
  });

  it('rotation by 90 degrees turns a square image counter-clockwise', () => {
    const sq = images(2, 5, 5, 1, 9);
    const out = rotate(sq, { degrees: [90, 90], interpolation: 'nearest' });
    const a = sq.arraySync();
    const b = out.arraySync();
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 5; i++)
        for (let j = 0; j < 5; j++) expect(b[n]![i]![j]![0]).toBe(a[n]![j]![4 - i]![0]);
    tf.dispose([sq, out]);
  });

  it('a Keras factor f rotates by at most f * 360 degrees', () => {
    // A single bright pixel at distance r from the centre stays at distance r and its angle
    // moves by at most 0.05 * 360 = 18 degrees.
    const buf = tf.buffer([1, 21, 21, 1]);
    buf.set(1, 0, 10, 18, 0);
    const dot = buf.toTensor() as tf.Tensor4D;
    for (let seed = 0; seed < 5; seed++) {
      const out = rotate(dot, { factor: 0.05, interpolation: 'nearest', fillMode: 'constant', seed });
      const v = vals(out);
      const k = v.indexOf(Math.max(...v));
      const r = Math.floor(k / 21) - 10;
      const c = (k % 21) - 10;
      const angle = (Math.atan2(-r, c) * 180) / Math.PI;
      expect(Math.abs(angle)).toBeLessThanOrEqual(18 + 4);
      out.dispose();
    }
    dot.dispose();
  });

  it('transforms each image of a batch by its own matrix (cpu kernel batch bug worked around)', () => {
    const one = images(1, 6, 6, 2, 4);
    const two = tf.concat([one, one]) as tf.Tensor4D;
    const out = rotate(two, { degrees: [30, 30] });
    const a = tf.slice(out, [0, 0, 0, 0], [1, -1, -1, -1]);
    const b = tf.slice(out, [1, 0, 0, 0], [1, -1, -1, -1]);
    expect(maxDiff(a, b)).toBe(0);
    expect(Math.max(...vals(b))).toBeGreaterThan(0);
    tf.dispose([one, two, out, a, b]);
  });

  it('integer translation moves pixels exactly', () => {
    const img = images(2, 8, 8, 1, 6);
    const out = translate(img, {
      translateY: [0.25, 0.25],
      translateX: [-0.125, -0.125],
      fillMode: 'constant',
    });
    const a = img.arraySync();
    const b = out.arraySync();
    // Content moves down 2 rows and left 1 column.
    expect(b[1]![5]![2]![0]).toBeCloseTo(a[1]![3]![3]![0]!, 6);
    expect(b[0]![0]![0]![0]).toBe(0);
    tf.dispose([img, out]);
  });

  it('zoom, shear and translate keep the shape and change the image', () => {
    for (const f of [
      () => zoom(x, { seed: 3 }),
      () => shear(x, { seed: 3 }),
      () => translate(x, { seed: 3 }),
      () =>
        affine(x, { degrees: 10, scale: [0.9, 1.1], shear: 5, translateX: 0.1, translateY: 0.1, seed: 3 }),
    ]) {
      const out = f();
      expect(out.shape).toEqual(x.shape);
      expect(maxDiff(out, x)).toBeGreaterThan(0);
      out.dispose();
    }
  });

  it('shear and translate take the option names of affine, with identical results', () => {
    const pairs: [tf.Tensor4D, tf.Tensor4D][] = [
      [shear(x, { shear: [5, 15], shearY: 3, seed: 8 }), affine(x, { shear: [5, 15], shearY: 3, seed: 8 })],
      [
        translate(x, { translateY: 0.2, translateX: [0, 0.1], seed: 8 }),
        affine(x, { translateY: 0.2, translateX: [0, 0.1], seed: 8 }),
      ],
      [zoom(x, { scale: [0.7, 1.3], seed: 8 }), affine(x, { scale: [0.7, 1.3], seed: 8 })],
      [rotate(x, { degrees: 25, seed: 8 }), affine(x, { degrees: 25, seed: 8 })],
    ];
    for (const [a, b] of pairs) {
      expect(maxDiff(a, b)).toBe(0);
      expect(maxDiff(a, x)).toBeGreaterThan(0);
    }
    tf.dispose(pairs.flat());
  });

  it('the deprecated names (shear degrees/degreesY, translate height/width) still work for one release', () => {
    const a = shear(x, { degrees: 12, degreesY: 4, seed: 9 });
    const b = shear(x, { shear: 12, shearY: 4, seed: 9 });
    const c = translate(x, { height: 0.15, width: 0.05, seed: 9 });
    const d = translate(x, { translateY: 0.15, translateX: 0.05, seed: 9 });
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(c, d)).toBe(0);
    expect(() => shear(x, { shear: 1, degrees: 1 })).toThrow(
      /shear: give 'shear' or its deprecated alias 'degrees'/,
    );
    expect(() => translate(x, { width: 0.1, translateX: 0.1 })).toThrow(
      /translate: give 'translateX' or its deprecated alias 'width'/,
    );
    tf.dispose([a, b, c, d]);
  });

  it('same seed gives the same output, another seed a different one', () => {
    const o = { degrees: 30, scale: [0.8, 1.2] as [number, number], seed: 42 };
    const a = affine(x, o);
    const b = affine(x, o);
    const c = affine(x, { ...o, seed: 43 });
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-3);
    tf.dispose([a, b, c]);
  });
});

describe('mask moves with the image, pixel for pixel', () => {
  const cases: [string, (s: Sample) => Sample][] = [
    ['flip', (s) => flip(s, { mode: 'horizontal_and_vertical', seed: 1 })],
    ['rotate', (s) => rotate(s, { degrees: 40, interpolation: 'nearest', fillMode: 'constant', seed: 1 })],
    ['zoom', (s) => zoom(s, { scale: [0.7, 1.4], interpolation: 'nearest', seed: 2 })],
    ['shear', (s) => shear(s, { shear: 20, interpolation: 'nearest', fillMode: 'wrap', seed: 3 })],
    ['translate', (s) => translate(s, { interpolation: 'nearest', seed: 4 })],
    [
      'affine',
      (s) => affine(s, { degrees: 20, scale: [0.8, 1.2], shear: 10, interpolation: 'nearest', seed: 5 }),
    ],
    ['randomCrop', (s) => randomCrop(s, { size: [5, 4], seed: 6 })],
    ['centerCrop', (s) => centerCrop(s, { size: [4, 3] })],
    ['randomResizedCrop', (s) => randomResizedCrop(s, { size: [6, 8], interpolation: 'nearest', seed: 7 })],
    ['resize', (s) => resize(s, { size: [13, 4], interpolation: 'nearest' })],
    ['elasticDeform', (s) => elasticDeform(s, { alpha: 20, sigma: 2, interpolation: 'nearest', seed: 8 })],
  ];
  for (const [name, f] of cases) {
    it(name, () => {
      const s = patterned();
      const out = f(s);
      expect(out.mask!.shape.slice(0, 3)).toEqual(out.x.shape.slice(0, 3));
      expectImageFollowsMask(out);
      // Masks stay binary under every warp (nearest neighbour).
      expect(vals(out.mask!).every((v) => v === 0 || v === 1)).toBe(true);
      tf.dispose([s.x, out.x, out.mask!]);
    });
  }

  it('bilinear images still get nearest-neighbour masks', () => {
    const out = rotate({ x, mask }, { degrees: 33, seed: 1 });
    expect(vals(out.mask!).every((v) => v === 0 || v === 1)).toBe(true);
    tf.dispose([out.x, out.mask!]);
  });
});

describe('crops and resize', () => {
  it('randomCrop returns a window of the input at some offset', () => {
    const out = randomCrop(x, { size: [4, 3], seed: 2 });
    expect(out.shape).toEqual([3, 4, 3, 3]);
    for (let i = 0; i < 3; i++) {
      const o = tf.slice(out, [i, 0, 0, 0], [1, -1, -1, -1]);
      let found = false;
      for (let t = 0; t <= 5 && !found; t++)
        for (let l = 0; l <= 4 && !found; l++) {
          const w = tf.slice(x, [i, t, l, 0], [1, 4, 3, -1]);
          found = maxDiff(o, w) === 0;
          w.dispose();
        }
      expect(found).toBe(true);
      o.dispose();
    }
    out.dispose();
  });

  it('randomResizedCrop with the full area and the image ratio is the identity', () => {
    const out = randomResizedCrop(x, { size: [9, 7], scale: [1, 1], ratio: [7 / 9, 7 / 9], seed: 1 });
    expect(maxDiff(out, x)).toBeLessThan(1e-6);
    out.dispose();
  });

  it('randomResizedCrop outputs the requested size from odd inputs and varies with the seed', () => {
    const a = randomResizedCrop(x, { size: [5, 6], seed: 1 });
    const b = randomResizedCrop(x, { size: [5, 6], seed: 2 });
    expect(a.shape).toEqual([3, 5, 6, 3]);
    expect(maxDiff(a, b)).toBeGreaterThan(0);
    tf.dispose([a, b]);
  });

  it('centerCrop takes the middle window', () => {
    const out = centerCrop(x, { size: [5, 3] });
    const ref = tf.slice(x, [0, 2, 2, 0], [-1, 5, 3, -1]);
    expect(maxDiff(out, ref)).toBe(0);
    tf.dispose([out, ref]);
  });
});

describe('elasticDeform', () => {
  it('alpha 0 is the identity; the default moves pixels; seeds repeat', () => {
    const id = elasticDeform(x, { alpha: 0, seed: 1 });
    expect(maxDiff(id, x)).toBeLessThan(1e-6);
    const a = elasticDeform(x, { seed: 1 });
    const b = elasticDeform(x, { seed: 1 });
    const c = elasticDeform(x, { seed: 2 });
    expect(maxDiff(a, x)).toBeGreaterThan(1e-2);
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-3);
    tf.dispose([id, a, b, c]);
  });
});

describe('shapes, leaks and errors', () => {
  it('works on batch 1 and odd sizes without leaking', () => {
    const one = images(1, 5, 3, 1, 8);
    const m = binaryMask(1, 5, 3, 9);
    const fns: (() => tf.TensorContainer)[] = [
      () => flip({ x: one, mask: m }, { seed: 1 }) as unknown as tf.TensorContainer,
      () => rotate(one, { factor: 0.2, seed: 1 }),
      () => zoom(one, { seed: 1 }),
      () => shear(one, { seed: 1 }),
      () => translate(one, { seed: 1 }),
      () => randomCrop(one, { size: [3, 3], seed: 1 }),
      () =>
        randomResizedCrop({ x: one, mask: m }, { size: [4, 4], seed: 1 }) as unknown as tf.TensorContainer,
      () => resize(one, { size: [7, 2] }),
      () => elasticDeform({ x: one, mask: m }, { seed: 1 }) as unknown as tf.TensorContainer,
    ];
    for (const f of fns) noLeak(f);
    tf.dispose([one, m]);
  });

  it('throws clear errors for bad input', () => {
    const r3 = tf.zeros([4, 4, 3]);
    expect(() => flip(r3 as tf.Tensor4D)).toThrow(/flip: 'x' must be a 4-D tensor/);
    const badMask = tf.zeros([3, 8, 7, 1]) as tf.Tensor4D;
    expect(() => rotate({ x, mask: badMask }, { degrees: 3 })).toThrow(/'mask' must match 'x'/);
    expect(() => rotate(x, {} as never)).toThrow(/give 'degrees' or 'factor'/);
    expect(() => affine(x, { degrees: 3, factor: 0.1 })).toThrow(/not both/);
    expect(() => rotate(x, { degrees: 3, fillMode: 'mirror' as never })).toThrow(/'fillMode' must be one of/);
    expect(() => flip(x, { prob: 2 })).toThrow(/'prob' must be a number in \[0, 1\]/);
    expect(() => randomCrop(x, { size: [10, 2] })).toThrow(/exceeds the image/);
    expect(() => zoom(x, { scale: [0, 1] })).toThrow(/'scale' must be > 0/);
    expect(() => resize(x, { size: [0, 2] })).toThrow(/'size' must be/);
    tf.dispose([r3, badMask]);
  });
});
