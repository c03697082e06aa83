// The transforms run on wasm too (tf.image.transform is batched there) and agree with cpu.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setupBackend } from '../../src/backend';
import {
  affine,
  colorJitter,
  cutmix,
  elasticDeform,
  mosaic,
  randomResizedCrop,
  type Sample,
} from '../../src/augment';

describe('wasm backend', () => {
  it('gives the same results as cpu', async () => {
    const run = (): number[][] => {
      const x = tf.randomUniform([3, 12, 10, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3));
      const cm = cutmix(x, y, { seed: 5, mode: 'elem' });
      const mo = mosaic({ x, y }, { seed: 6 }) as Sample;
      const outs: tf.Tensor[] = [
        affine(x, { degrees: 30, scale: [0.8, 1.2], shear: 10, translateX: 0.1, seed: 1 }),
        randomResizedCrop(x, { size: [7, 9], seed: 2 }),
        elasticDeform(x, { seed: 3 }),
        colorJitter(x, { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.1, seed: 4 }),
        cm.x,
        cm.y,
        mo.x,
        mo.y!,
      ];
      const v = outs.map((t) => Array.from(t.dataSync()));
      tf.dispose([x, y, ...outs]);
      return v;
    };
    const onCpu = run();
    await setupBackend({ prefer: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const onWasm = run();
    expect(tf.memory().numTensors).toBe(before);
    onCpu.forEach((a, k) => {
      const b = onWasm[k]!;
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
      expect(m, `output ${k}`).toBeLessThan(1e-4);
    });
  });
});
