// randomResizedCrop against torchvision's RandomResizedCrop: the crop + resize of a box equals
// F.resized_crop, and the boxes follow get_params' distribution (fixture: make_resized_crop.py).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { randomResizedCrop } from '../../src/augment';
import { drawCropBox } from '../../src/augment/crop';
import { makeRng } from '../../src/util/random';
import { maxDiff } from './helpers';

interface Fixture {
  image: number[][][];
  crops: Record<string, { box: [number, number, number, number]; out: number[][][] }>;
  draws: number;
  distribution: Record<string, Record<'area' | 'logRatio' | 'cy' | 'cx', [number, number]>>;
}
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/augment/resized_crop.json', import.meta.url), 'utf8'),
) as Fixture;

function meanStd(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)];
}

describe('randomResizedCrop vs torchvision RandomResizedCrop', () => {
  it('crops the box it draws and resizes it as F.resized_crop (bilinear, no antialias)', () => {
    const img = tf.tidy(() => tf.div(tf.tensor4d([fx.image]), 255) as tf.Tensor4D);
    for (const [seed, c] of Object.entries(fx.crops)) {
      // The same generator the transform makes from `seed` draws the fixture's box...
      expect(drawCropBox(9, 11, [0.5, 1], [3 / 4, 4 / 3], makeRng(Number(seed)))).toEqual(c.box);
      // ...and the transform's output is torchvision's crop of that box.
      const out = randomResizedCrop(img, { size: [5, 7], scale: [0.5, 1], seed: Number(seed) });
      const ref = tf.tensor4d([c.out]);
      expect(maxDiff(out, ref)).toBeLessThan(1e-5);
      tf.dispose([out, ref]);
    }
    img.dispose();
  });

  it("draws boxes distributed as get_params' (area, aspect ratio, centre; 20,000 draws)", () => {
    for (const [key, ref] of Object.entries(fx.distribution)) {
      const [h, w] = key.split('x').map(Number) as [number, number];
      const rng = makeRng(123);
      const s: Record<'area' | 'logRatio' | 'cy' | 'cx', number[]> = {
        area: [],
        logRatio: [],
        cy: [],
        cx: [],
      };
      for (let i = 0; i < fx.draws; i++) {
        const [top, left, ch, cw] = drawCropBox(h, w, [0.5, 1], [3 / 4, 4 / 3], rng);
        s.area.push((ch * cw) / (h * w));
        s.logRatio.push(Math.log(cw / ch));
        s.cy.push((top + ch / 2) / h);
        s.cx.push((left + cw / 2) / w);
      }
      for (const k of ['area', 'logRatio', 'cy', 'cx'] as const) {
        const [m, sd] = meanStd(s[k]);
        // Standard error of a mean of 20,000 draws is sd / 141; allow ~4 of them on each side.
        const tol = (4 * 2 * (ref[k][1] as number)) / Math.sqrt(fx.draws);
        expect(Math.abs(m - (ref[k][0] as number)), `${key} ${k} mean`).toBeLessThan(tol + 1e-3);
        expect(Math.abs(sd - (ref[k][1] as number)) / (ref[k][1] as number), `${key} ${k} std`).toBeLessThan(
          0.05,
        );
      }
    }
  });
});
