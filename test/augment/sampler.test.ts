// The host sampler reproduces the cpu Transform kernel (TF's semantics) in every mode.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromHost, toHost } from '../../src/augment/host';
import { transformHost } from '../../src/augment/sampler';
import type { Affine } from '../../src/augment/warp';
import { makeRng } from '../../src/util/random';
import { images, maxDiff } from './helpers';

describe('transformHost', () => {
  it('matches tf.image.transform on cpu for every fill mode and interpolation', () => {
    const x = images(3, 7, 9, 2, 4);
    const rng = makeRng(1);
    // Rotations, zooms out (sources far outside the image) and shifts.
    const maps: Affine[] = Array.from({ length: 3 }, (_, i) => {
      const th = rng.uniform(-1, 1);
      const z = [0.5, 1.7, 3.1][i]!;
      return [
        z * Math.cos(th),
        -z * Math.sin(th),
        rng.uniform(-6, 6),
        z * Math.sin(th),
        z * Math.cos(th),
        rng.uniform(-6, 6),
      ];
    });
    for (const fill of ['constant', 'reflect', 'wrap', 'nearest'] as const) {
      for (const interp of ['nearest', 'bilinear'] as const) {
        for (const out of [undefined, [5, 11] as [number, number]]) {
          const src = toHost(x);
          const [oh, ow] = out ?? [7, 9];
          const ours = fromHost(transformHost(src, maps, interp, fill, 0.25, out), 3, oh, ow, 2);
          const ref = tf.tidy(() =>
            tf.concat(
              maps.map((m, i) =>
                tf.image.transform(
                  tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]),
                  tf.tensor2d([[...m, 0, 0]]),
                  interp,
                  fill,
                  0.25,
                  out,
                ),
              ),
            ),
          );
          expect(maxDiff(ours, ref), `${fill} ${interp} ${out}`).toBeLessThan(1e-5);
          tf.dispose([ours, ref]);
        }
      }
    }
    x.dispose();
  });
});
