import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ctPhantomArrays,
  ctPhantoms,
  ctSeriesPhantoms,
  xrayPhantomArrays,
  xrayPhantoms,
} from '../../src/data';

function meanWhere(values: Float32Array, pick: (k: number) => boolean): number {
  let s = 0;
  let c = 0;
  for (let k = 0; k < values.length; k++) {
    if (pick(k)) {
      s += values[k] as number;
      c++;
    }
  }
  return c ? s / c : NaN;
}

describe('ctPhantoms', () => {
  it('returns tensors of the documented shapes and dtypes without leaking', () => {
    const before = tf.memory().numTensors;
    const set = ctPhantoms({ n: 6, size: 32, seed: 1 });
    expect(set.images.shape).toEqual([6, 32, 32, 1]);
    expect(set.masks.shape).toEqual([6, 32, 32, 1]);
    expect(set.labels.shape).toEqual([6]);
    expect(set.labels.dtype).toBe('int32');
    expect(set.images.dtype).toBe('float32');
    tf.dispose([set.images, set.labels, set.masks]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = ctPhantomArrays({ n: 8, size: 32, seed: 7 });
    const b = ctPhantomArrays({ n: 8, size: 32, seed: 7 });
    const c = ctPhantomArrays({ n: 8, size: 32, seed: 8 });
    expect(a.images).toEqual(b.images);
    expect(a.labels).toEqual(b.labels);
    expect(a.masks).toEqual(b.masks);
    expect(a.images).not.toEqual(c.images);
  });

  it('has exactly round(n * positiveFraction) positives, lesion masks only on positives', () => {
    const a = ctPhantomArrays({ n: 40, size: 48, seed: 3, positiveFraction: 0.3 });
    const px = 48 * 48;
    expect(Array.from(a.labels).filter((l) => l === 1).length).toBe(12);
    let positivesWithMask = 0;
    for (let i = 0; i < a.n; i++) {
      const m = a.masks.subarray(i * px, (i + 1) * px);
      const area = m.reduce((s, v) => s + v, 0);
      if (a.labels[i] === 0) expect(area).toBe(0);
      else if (area > 0) positivesWithMask++;
      expect(m.every((v) => v === 0 || v === 1)).toBe(true);
    }
    expect(positivesWithMask).toBeGreaterThanOrEqual(11);
  });

  it('has chest-CT-like Hounsfield values: air, lungs, soft tissue, bone; lesions denser than lung', () => {
    const a = ctPhantomArrays({ n: 20, size: 64, seed: 5, noiseStd: 0, positiveFraction: 1 });
    let min = Infinity;
    let max = -Infinity;
    for (const v of a.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeLessThanOrEqual(-990);
    expect(max).toBeGreaterThan(500);
    // The corner pixel is air.
    expect(a.images[0]).toBeCloseTo(-1000, 0);
    const lesion = meanWhere(a.images, (k) => a.masks[k] === 1);
    expect(lesion).toBeGreaterThan(-750);
    expect(lesion).toBeLessThan(-100);
    // Lung parenchyma: the darkest tenth of body pixels sits near -860.
    const body = Array.from(a.images.subarray(0, 64 * 64)).filter((v) => v > -990 && v < -700);
    expect(body.length).toBeGreaterThan(300);
    const median = body.sort((x, y) => x - y)[Math.floor(body.length / 2)] as number;
    expect(median).toBeGreaterThan(-900);
    expect(median).toBeLessThan(-780);
  });

  it('difficulty knobs act: easy lesions are larger than hard ones', () => {
    const area = (d: 'easy' | 'hard'): number => {
      const a = ctPhantomArrays({ n: 20, size: 48, seed: 2, difficulty: d, positiveFraction: 1 });
      return a.masks.reduce((s, v) => s + v, 0);
    };
    expect(area('easy')).toBeGreaterThan(2 * area('hard'));
  });

  it("'moderate' sits between 'easy' and 'medium': lesion area, lesion contrast and noise", () => {
    const stats = (d: 'easy' | 'moderate' | 'medium'): { area: number; lesion: number } => {
      const a = ctPhantomArrays({
        n: 40,
        size: 48,
        seed: 2,
        difficulty: d,
        positiveFraction: 1,
        noiseStd: 0,
      });
      return {
        area: a.masks.reduce((s, v) => s + v, 0),
        lesion: meanWhere(a.images, (k) => a.masks[k] === 1),
      };
    };
    const [e, m, h] = [stats('easy'), stats('moderate'), stats('medium')];
    expect(e.area).toBeGreaterThan(m.area);
    expect(m.area).toBeGreaterThan(h.area);
    // Denser (less negative HU) findings stand out more from lung at -860.
    expect(e.lesion).toBeGreaterThan(m.lesion);
    expect(m.lesion).toBeGreaterThan(h.lesion);
    const xArea = (d: 'easy' | 'moderate' | 'medium'): number =>
      xrayPhantomArrays({ n: 40, size: 48, seed: 2, difficulty: d, positiveFraction: 1 }).masks.reduce(
        (s, v) => s + v,
        0,
      );
    expect(xArea('easy')).toBeGreaterThan(xArea('moderate'));
    expect(xArea('moderate')).toBeGreaterThan(xArea('medium'));
    // Seeded like the other presets.
    expect(ctPhantomArrays({ n: 4, size: 32, seed: 9, difficulty: 'moderate' }).images).toEqual(
      ctPhantomArrays({ n: 4, size: 32, seed: 9, difficulty: 'moderate' }).images,
    );
  });

  it('rejects bad options naming them', () => {
    expect(() => ctPhantoms({ n: 0 })).toThrow(/ctPhantoms: 'n'/);
    expect(() => ctPhantoms({ n: 2, positiveFraction: 2 })).toThrow(/'positiveFraction'/);
    expect(() => ctPhantoms({ n: 2, lesionSize: [0.2, 0.1] })).toThrow(/'lesionSize'/);
    expect(() => ctPhantoms({ n: 2, difficulty: 'brutal' as 'hard' })).toThrow(/'difficulty'/);
    expect(() => ctPhantoms({ n: 2, findings: { ggo: 0, crazyPaving: 0, consolidation: 0 } })).toThrow(
      /'findings'/,
    );
  });
});

describe('xrayPhantoms', () => {
  it('gives 0..255 radiographs with darker lungs and brighter opacities', () => {
    const before = tf.memory().numTensors;
    const set = xrayPhantoms({ n: 4, size: 32, seed: 1 });
    expect(set.images.shape).toEqual([4, 32, 32, 1]);
    tf.dispose([set.images, set.labels, set.masks]);
    expect(tf.memory().numTensors).toBe(before);

    const a = xrayPhantomArrays({
      n: 8,
      size: 64,
      seed: 4,
      positiveFraction: 1,
      noiseStd: 0,
      exposureJitter: 0,
    });
    expect(Math.min(...a.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.images)).toBeLessThanOrEqual(255);
    const b = xrayPhantomArrays({
      n: 8,
      size: 64,
      seed: 4,
      positiveFraction: 0,
      noiseStd: 0,
      exposureJitter: 0,
    });
    // Same anatomy draws are not guaranteed across labels, so compare region means instead.
    const lesion = meanWhere(a.images, (k) => a.masks[k] === 1);
    const centreRow = (img: Float32Array): number =>
      meanWhere(img, (k) => Math.floor((k % 4096) / 64) === 32);
    expect(lesion).toBeGreaterThan(0);
    expect(b.masks.every((v) => v === 0)).toBe(true);
    expect(centreRow(b.images)).toBeGreaterThan(30);
    const again = xrayPhantomArrays({
      n: 8,
      size: 64,
      seed: 4,
      positiveFraction: 1,
      noiseStd: 0,
      exposureJitter: 0,
    });
    expect(again.images).toEqual(a.images);
  });
});

describe('ctSeriesPhantoms', () => {
  it('gives volumes with series ids, series labels and per-slice labels', () => {
    const before = tf.memory().numTensors;
    const s = ctSeriesPhantoms({ nSeries: 6, slices: 8, size: 32, seed: 9 });
    expect(s.volumes.shape).toEqual([6, 8, 32, 32, 1]);
    expect(s.masks.shape).toEqual([6, 8, 32, 32, 1]);
    expect(s.seriesIds).toEqual([
      'series-000',
      'series-001',
      'series-002',
      'series-003',
      'series-004',
      'series-005',
    ]);
    expect(Array.from(s.sliceSeries)).toEqual(Array.from({ length: 48 }, (_, k) => Math.floor(k / 8)));
    const labels = Array.from(s.labels.dataSync());
    const sliceLabels = Array.from(s.sliceLabels.dataSync());
    expect(labels.filter((l) => l === 1).length).toBe(3);
    for (let i = 0; i < 6; i++) {
      const mine = sliceLabels.slice(i * 8, (i + 1) * 8);
      if (labels[i] === 0) expect(mine.every((l) => l === 0)).toBe(true);
      else expect(mine.some((l) => l === 1)).toBe(true);
    }
    // Findings are local in z: positive series also contain clean slices.
    const positiveSlices = sliceLabels.filter((l, k) => labels[Math.floor(k / 8)] === 1 && l === 0).length;
    expect(positiveSlices).toBeGreaterThan(0);
    tf.dispose([s.volumes, s.masks, s.labels, s.sliceLabels]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed', () => {
    const a = ctSeriesPhantoms({ nSeries: 2, slices: 4, size: 24, seed: 1 });
    const b = ctSeriesPhantoms({ nSeries: 2, slices: 4, size: 24, seed: 1 });
    expect(a.volumes.dataSync()).toEqual(b.volumes.dataSync());
    tf.dispose([a.volumes, a.masks, a.labels, a.sliceLabels, b.volumes, b.masks, b.labels, b.sliceLabels]);
  });
});
