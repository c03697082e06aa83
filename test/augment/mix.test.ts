import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Mixer,
  cutmix,
  cutmixPairs,
  mixup,
  mixupLoss,
  mixupPairs,
  mosaic,
  smoothLabels,
} from '../../src/augment';
import { binaryMask, images, maxDiff, noLeak, vals } from './helpers';

const N = 5;
const x = images(N, 9, 7, 3);
const yIdx = tf.tensor1d([0, 1, 2, 1, 0], 'int32');
const yOne = tf.oneHot(yIdx, 3);
afterAll(() => tf.dispose([x, yIdx, yOne]));

/** Images whose pixels all equal their batch index + 1, so a pixel tells which image it came from. */
function constantImages(n: number, h: number, w: number): tf.Tensor4D {
  return tf.tidy(() =>
    tf.mul(tf.ones([n, h, w, 1]), tf.reshape(tf.range(1, n + 1), [n, 1, 1, 1])),
  ) as tf.Tensor4D;
}

function rows(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

function expectRowsSumToOne(y: tf.Tensor): void {
  for (const r of rows(y)) expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
}

describe('mixup', () => {
  it('lies on the segment between each image and its partner; labels mixed with the same lambda', () => {
    for (const mode of ['batch', 'pair', 'elem'] as const) {
      const r = mixup(x, yIdx, { classes: 3, mode, seed: 3 });
      const a = x.arraySync();
      const b = r.x.arraySync();
      const yo = rows(yOne);
      const ym = rows(r.y);
      for (let i = 0; i < N; i++) {
        const lam = r.lambda[i]!;
        const j = r.index[i]!;
        expect(lam).toBeGreaterThanOrEqual(0);
        expect(lam).toBeLessThanOrEqual(1);
        for (const [p, q] of [
          [0, 0],
          [4, 6],
          [8, 3],
        ] as const) {
          for (let c = 0; c < 3; c++) {
            expect(b[i]![p]![q]![c]).toBeCloseTo(lam * a[i]![p]![q]![c]! + (1 - lam) * a[j]![p]![q]![c]!, 5);
          }
        }
        for (let k = 0; k < 3; k++)
          expect(ym[i]![k]).toBeCloseTo(lam * yo[i]![k]! + (1 - lam) * yo[j]![k]!, 6);
      }
      expectRowsSumToOne(r.y);
      if (mode === 'batch') expect(new Set(r.lambda).size).toBe(1);
      if (mode === 'pair') for (let i = 0; i < N; i++) expect(r.lambda[r.index[i]!]).toBe(r.lambda[i]);
      if (mode === 'elem') expect(new Set(r.lambda).size).toBeGreaterThan(1);
      tf.dispose([r.x, r.y]);
    }
  });

  it('pairs images both ways in pair mode, and is a permutation otherwise', () => {
    const p = mixup(x, yOne, { mode: 'pair', seed: 9 });
    for (let i = 0; i < N; i++) expect(p.index[p.index[i]!]).toBe(i);
    const b = mixup(x, yOne, { mode: 'batch', seed: 9 });
    expect([...b.index].sort()).toEqual([0, 1, 2, 3, 4]);
    tf.dispose([p.x, p.y, b.x, b.y]);
  });

  it('accepts one-hot labels and a sample, repeats with a seed and differs across seeds', () => {
    const a = mixup(x, yOne, { seed: 1 });
    const b = mixup({ x, y: yOne }, { seed: 1 });
    const c = mixup(x, yOne, { seed: 2 });
    expect(maxDiff(a.x, b.x)).toBe(0);
    expect(maxDiff(a.y, b.y!)).toBe(0);
    expect(a.lambda).toEqual(b.lambda);
    expect(maxDiff(a.x, c.x)).toBeGreaterThan(0);
    tf.dispose([a.x, a.y, b.x, b.y!, c.x, c.y]);
  });

  it('small alpha gives lambdas near 0 or 1 (Beta(alpha, alpha))', () => {
    const lams: number[] = [];
    for (let s = 0; s < 40; s++) {
      const r = mixup(x, yOne, { alpha: 0.1, seed: s });
      lams.push(r.lambda[0]!);
      tf.dispose([r.x, r.y]);
    }
    const extreme = lams.filter((l) => l < 0.1 || l > 0.9).length;
    expect(extreme).toBeGreaterThan(25);
  });
});

describe('cutmix', () => {
  it('pastes a box whose area share is 1 - lambda after correction, in every mode', () => {
    const c = constantImages(6, 10, 13);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32'), 6);
    for (const mode of ['batch', 'pair', 'elem'] as const) {
      for (let seed = 0; seed < 4; seed++) {
        const r = cutmix(c, y, { mode, seed });
        const img = r.x.arraySync();
        const ym = rows(r.y);
        for (let i = 0; i < 6; i++) {
          const j = r.index[i]!;
          if (j === i) continue;
          let pasted = 0;
          let minR = 99;
          let maxR = -1;
          let minC = 99;
          let maxC = -1;
          for (let p = 0; p < 10; p++)
            for (let q = 0; q < 13; q++) {
              const v = img[i]![p]![q]![0]!;
              expect(v === i + 1 || v === j + 1).toBe(true);
              if (v === j + 1) {
                pasted++;
                minR = Math.min(minR, p);
                maxR = Math.max(maxR, p);
                minC = Math.min(minC, q);
                maxC = Math.max(maxC, q);
              }
            }
          expect(pasted / 130).toBeCloseTo(1 - r.lambda[i]!, 10);
          // The pasted region is one rectangle.
          if (pasted > 0) expect((maxR - minR + 1) * (maxC - minC + 1)).toBe(pasted);
          expect(ym[i]![i]).toBeCloseTo(r.lambda[i]!, 6);
          expect(ym[i]![j]).toBeCloseTo(1 - r.lambda[i]!, 6);
        }
        expectRowsSumToOne(r.y);
        tf.dispose([r.x, r.y]);
      }
    }
    tf.dispose([c, y]);
  });

  it('minMax bounds the box sides; correctLam false keeps the drawn lambda', () => {
    const c = constantImages(4, 20, 20);
    const r = cutmix(c, tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4), {
      minMax: [0.2, 0.4],
      mode: 'elem',
      seed: 5,
    });
    for (const l of r.lambda) {
      expect(1 - l).toBeGreaterThanOrEqual(0.2 * 0.2 - 1e-9);
      expect(1 - l).toBeLessThanOrEqual(0.4 * 0.4 + 1e-9);
    }
    const y4 = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    // Uncorrected lambdas are Beta draws, almost never an exact multiple of 1 / 400.
    const u = cutmix(c, y4, { correctLam: false, mode: 'elem', seed: 6 });
    expect(u.lambda.some((l) => Math.abs(l * 400 - Math.round(l * 400)) > 1e-6)).toBe(true);
    tf.dispose([c, r.x, r.y, y4, u.x, u.y]);
  });

  it('cuts and pastes the mask with the image and never puts it in the labels', () => {
    const mask = binaryMask(N, 9, 7);
    const s = { x: tf.tile(mask, [1, 1, 1, 3]) as tf.Tensor4D, y: yOne, mask };
    const r = cutmix(s, { mode: 'elem', seed: 2 });
    const first = tf.slice(r.x, [0, 0, 0, 0], [-1, -1, -1, 1]);
    expect(maxDiff(first, r.mask!)).toBe(0);
    expect(vals(r.mask!).every((v) => v === 0 || v === 1)).toBe(true);
    expect(r.y!.shape).toEqual([N, 3]);
    expectRowsSumToOne(r.y!);
    // Segmentation-only: no labels needed.
    const seg = cutmix({ x: s.x, mask }, { seed: 2 });
    expect(seg.y).toBeUndefined();
    tf.dispose([mask, s.x, r.x, r.y!, r.mask!, first, seg.x, seg.mask!]);
  });
});

describe('mosaic', () => {
  it('tiles four images and mixes labels by area, rows summing to 1', () => {
    const c = constantImages(4, 10, 12);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    const r = mosaic(c, y, { seed: 3 });
    const img = r.x.arraySync();
    const ym = rows(r.y);
    for (let i = 0; i < 4; i++) {
      const counts = new Array<number>(4).fill(0);
      for (const row of img[i]!) for (const px of row) counts[px[0]! - 1]! += 1;
      const expected = new Array<number>(4).fill(0);
      r.sources[i]!.forEach((s, q) => (expected[s]! += r.weights[i]![q]!));
      counts.forEach((cnt, k) => expect(cnt / 120).toBeCloseTo(expected[k]!, 10));
      expected.forEach((e, k) => expect(ym[i]![k]).toBeCloseTo(e, 6));
      expect(r.weights[i]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(r.sources[i]![0]).toBe(i);
      expect(r.lambda[i]).toBe(r.weights[i]![0]);
      // Centre within the offset range: the top-left cell covers 1/16 to 9/16 of the image.
      expect(r.weights[i]![0]).toBeGreaterThanOrEqual(0.25 * 0.25 - 0.1);
      expect(r.weights[i]![0]).toBeLessThanOrEqual(0.75 * 0.75 + 0.1);
    }
    expectRowsSumToOne(r.y);
    tf.dispose([c, y, r.x, r.y]);
  });

  it('tiles the mask like the image (nearest)', () => {
    const mask = binaryMask(3, 8, 9);
    const s = { x: tf.tile(mask, [1, 1, 1, 2]) as tf.Tensor4D, mask };
    const r = mosaic(s, { seed: 1 });
    expect(vals(r.mask!).every((v) => v === 0 || v === 1)).toBe(true);
    expect(r.mask!.shape).toEqual([3, 8, 9, 1]);
    tf.dispose([mask, s.x, r.x, r.mask!]);
  });
});

describe('Mixer', () => {
  it('switches between mixup and CutMix and smooths labels', () => {
    const c = constantImages(6, 8, 8);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const mixer = new Mixer({
      mixupAlpha: 0.4,
      cutmixAlpha: 1,
      classes: 3,
      labelSmoothing: 0.1,
      mode: 'elem',
      seed: 1,
    });
    let sawBox = false;
    let sawBlend = false;
    for (let k = 0; k < 4; k++) {
      const r = mixer.apply(c, y);
      const img = r.x.arraySync();
      for (let i = 0; i < 6; i++) {
        const j = r.index[i]!;
        if (j === i) continue;
        const pxs = img[i]!.flat().map((p) => p[0]!);
        const pure = pxs.every((v) => v === i + 1 || v === j + 1);
        if (pure && pxs.some((v) => v === j + 1)) sawBox = true;
        if (!pure) sawBlend = true;
      }
      expectRowsSumToOne(r.y);
      // Smoothing: no label is exactly 0.
      expect(Math.min(...vals(r.y))).toBeGreaterThan(0);
      tf.dispose([r.x, r.y]);
    }
    expect(sawBox).toBe(true);
    expect(sawBlend).toBe(true);
    tf.dispose([c, y]);
  });

  it('prob 0 mixes nothing (labels only smoothed); seeded mixers repeat', () => {
    const m0 = new Mixer({ prob: 0, classes: 3, labelSmoothing: 0.3, seed: 1 });
    const r = m0.apply(x, yIdx);
    expect(maxDiff(r.x, x)).toBe(0);
    const s = smoothLabels(yOne as tf.Tensor2D, 0.3);
    expect(maxDiff(r.y, s)).toBeLessThan(1e-6);
    const a = new Mixer({ classes: 3, seed: 4 }).apply(x, yIdx);
    const b = new Mixer({ classes: 3, seed: 4 }).apply(x, yIdx);
    expect(maxDiff(a.x, b.x)).toBe(0);
    expect(a.lambda).toEqual(b.lambda);
    tf.dispose([r.x, r.y, s, a.x, a.y, b.x, b.y]);
  });

  it('validates its options', () => {
    expect(() => new Mixer({ mixupAlpha: 0, cutmixAlpha: 0 })).toThrow(/enable mixup/);
    expect(() => new Mixer({ mixupAlpha: -1 })).toThrow(/'mixupAlpha' must be a finite number > 0/);
    expect(() => new Mixer({ switchProb: 1.5 })).toThrow(/'switchProb'/);
    expect(() => new Mixer({ labelSmoothing: 1 })).toThrow(/'labelSmoothing'/);
  });
});

describe('two-target form and mixupLoss', () => {
  it('mixupPairs returns unmixed yA, yB = y[index] and the same images as mixup', () => {
    const p = mixupPairs(x, yIdx, { seed: 7 });
    const m = mixup(x, yIdx, { classes: 3, seed: 7 });
    expect(maxDiff(p.x, m.x)).toBe(0);
    expect(vals(p.yA)).toEqual(vals(yIdx));
    expect(vals(p.yB)).toEqual(p.index.map((j) => vals(yIdx)[j]!));
    const c = cutmixPairs(x, yOne, { seed: 7, mode: 'elem' });
    expect(c.yB.shape).toEqual([N, 3]);
    tf.dispose([p.x, p.yA, p.yB, m.x, m.y, c.x, c.yA, c.yB]);
  });

  it('lambda L(yA) + (1 - lambda) L(yB) equals the loss on mixed one-hot labels (cross-entropy is linear in y)', () => {
    const logits = tf.randomNormal([N, 3], 0, 1, 'float32', 3);
    const pred = tf.softmax(logits);
    const ce = (yt: tf.Tensor, yp: tf.Tensor): tf.Tensor => tf.neg(tf.sum(tf.mul(yt, tf.log(yp)), -1));
    const ceMean = (yt: tf.Tensor, yp: tf.Tensor): tf.Tensor => tf.mean(ce(yt, yp));
    for (const mode of ['batch', 'elem'] as const) {
      const p = mixupPairs(x, yOne, { seed: 2, mode });
      const m = mixup(x, yOne, { seed: 2, mode });
      const loss = mixupLoss(mode === 'batch' ? ceMean : ce)(pred, p.yA, p.yB, p.lambda);
      const direct = tf.mean(ce(m.y, pred));
      expect(loss.dataSync()[0]).toBeCloseTo(direct.dataSync()[0]!, 5);
      tf.dispose([p.x, p.yA, p.yB, m.x, m.y, loss, direct]);
    }
    const p = mixupPairs(x, yOne, { seed: 2, mode: 'elem' });
    expect(() => mixupLoss(ceMean)(pred, p.yA, p.yB, p.lambda)).toThrow(/per-sample values/);
    const scalarLam = mixupLoss(ceMean)(pred, p.yA, p.yB, 0.3);
    expect(scalarLam.rank).toBe(0);
    tf.dispose([logits, pred, p.x, p.yA, p.yB, scalarLam]);
  });
});

describe('shapes, leaks, errors', () => {
  it('batch 1 and odd sizes work without leaks', () => {
    const one = images(1, 5, 3, 1);
    const y1 = tf.tensor1d([2], 'int32');
    noLeak(() => mixup(one, y1, { classes: 3, seed: 1 }) as unknown as tf.TensorContainer);
    noLeak(() => cutmix(one, y1, { classes: 3, seed: 1 }) as unknown as tf.TensorContainer);
    noLeak(() => mosaic(one, y1, { classes: 3, seed: 1 }) as unknown as tf.TensorContainer);
    noLeak(
      () => new Mixer({ classes: 3, seed: 1, mode: 'pair' }).apply(one, y1) as unknown as tf.TensorContainer,
    );
    noLeak(() => mixupPairs(one, y1, { seed: 1 }) as unknown as tf.TensorContainer);
    const r = mixup(one, y1, { classes: 3, seed: 1 });
    expect(r.index).toEqual([0]);
    expect(maxDiff(r.x, one)).toBeLessThan(1e-6);
    tf.dispose([one, y1, r.x, r.y]);
  });

  it('throws for wrong rank, mismatched batch, alpha <= 0 and bad labels', () => {
    const y4 = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
    expect(() => mixup(tf.zeros([5, 4, 4]) as unknown as tf.Tensor4D, yOne)).toThrow(
      /mixup: 'x' must be a 4-D tensor/,
    );
    expect(() => mixup(x, y4)).toThrow(/mixup: 'x' and 'y' must have the same batch size; got 5 and 4/);
    expect(() => cutmix(x, y4)).toThrow(/same batch size/);
    expect(() => mixup(x, yOne, { alpha: 0 })).toThrow(/mixup: 'alpha' must be a finite number > 0; got 0/);
    expect(() => cutmix(x, yOne, { alpha: -1 })).toThrow(/cutmix: 'alpha' must be a finite number > 0/);
    expect(() => mixupPairs(x, yOne, { alpha: 0 })).toThrow(/'alpha'/);
    expect(() => mixup(x, yIdx)).toThrow(/pass 'classes'/);
    expect(() => mixup(x, yIdx, { classes: 2 })).toThrow(/outside \[0, 2\)/);
    expect(() => mixup(x, yOne, { mode: 'pairs' as never })).toThrow(/'mode' must be one of/);
    expect(() => cutmix(x, yOne, { minMax: [0.5, 0.2] })).toThrow(/'minMax'/);
    expect(() => mosaic(x, yOne, { offset: [0.8, 0.2] })).toThrow(/'offset'/);
    const bad = tf.zeros([5, 4, 4, 1]) as tf.Tensor4D;
    expect(() => cutmix(x, yOne, { mask: bad })).toThrow(/'mask' must match 'x'/);
    tf.dispose([y4, bad]);
  });
});
