import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdamW, adamw, setLearningRate } from '../../src/train';

interface Case {
  name: string;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  steps: number;
  halveAt?: number;
  decoupled?: boolean;
  trajectory: { w: number[]; b: number[] }[];
}
const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/train/adamw.json'), 'utf8')) as {
  x: number[];
  y: number[];
  w0: number[];
  b0: number[];
  cases: Case[];
};

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1e-6, Math.abs(b[i] as number));
    m = Math.max(m, d);
  }
  return m;
}

describe('AdamW', () => {
  for (const c of fx.cases) {
    it(`follows torch.optim.${c.decoupled === false ? 'Adam(weight_decay)' : 'AdamW'}'s trajectory step by step (${c.name})`, () => {
      const before = tf.memory().numTensors;
      const x = tf.tensor2d(fx.x, [8, 3]);
      const y = tf.tensor2d(fx.y, [8, 2]);
      const w = tf.tidy(() => tf.variable(tf.tensor2d(fx.w0, [3, 2]), true, `adamw_w_${c.name}`));
      const b = tf.tidy(() => tf.variable(tf.tensor1d(fx.b0), true, `adamw_b_${c.name}`));
      const opt = adamw({
        learningRate: c.lr,
        weightDecay: c.weightDecay,
        beta1: c.beta1,
        beta2: c.beta2,
        epsilon: c.epsilon,
        decoupled: c.decoupled ?? true,
      });
      let worst = 0;
      for (let t = 0; t < c.steps; t++) {
        if (c.halveAt !== undefined && t === c.halveAt) setLearningRate(opt, c.lr / 2);
        opt.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar);
        const ref = c.trajectory[t]!;
        worst = Math.max(worst, maxRelErr(w.dataSync(), ref.w), maxRelErr(b.dataSync(), ref.b));
      }
      // float32 on both sides; the difference is rounding.
      expect(worst).toBeLessThan(2e-5);
      tf.dispose([x, y, w, b]);
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('differs from Adam exactly by the decoupled decay on the first step', () => {
    const p1 = tf.variable(tf.tensor1d([2, -3]), true, 'adamw_cmp_1');
    const p2 = tf.variable(tf.tensor1d([2, -3]), true, 'adamw_cmp_2');
    const a = adamw({ learningRate: 0.1, weightDecay: 0.5 });
    const b = tf.train.adam(0.1, 0.9, 0.999, 1e-8);
    a.minimize(() => tf.sum(tf.mul(p1, tf.tensor1d([1, 2]))) as tf.Scalar);
    b.minimize(() => tf.sum(tf.mul(p2, tf.tensor1d([1, 2]))) as tf.Scalar);
    // AdamW: p(1 - 0.05) - step; Adam: p - step, with the same step.
    const d = tf.sub(p1, tf.sub(p2, tf.mul(tf.tensor1d([2, -3]), 0.05)));
    expect(Math.max(...Array.from(d.dataSync()).map(Math.abs))).toBeLessThan(1e-6);
    tf.dispose([p1, p2, d]);
    a.dispose();
    b.dispose();
  });

  it('trains a model through compile, round-trips its config and validates options', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [3], units: 1, kernelInitializer: 'ones' })],
    });
    const opt = adamw({ learningRate: 1e-2, weightDecay: 1e-4 });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const x = tf.ones([4, 3]);
    const y = tf.zeros([4, 1]);
    const h = await model.fit(x, y, { epochs: 3, verbose: 0 });
    expect(h.history.loss![2]! as number).toBeLessThan(h.history.loss![0]! as number);
    expect(opt.getClassName()).toBe('AdamW');
    const cfg = opt.getConfig();
    expect(cfg.weightDecay).toBe(1e-4);
    const back = AdamW.fromConfig(AdamW, cfg);
    expect(back).toBeInstanceOf(AdamW);
    expect(back.getConfig()).toEqual(cfg);
    tf.dispose([x, y]);
    model.dispose();
    expect(() => adamw({ weightDecay: -1 })).toThrow(/adamw: 'weightDecay'/);
    expect(() => adamw({ beta2: 1 })).toThrow(/adamw: 'beta2'/);
    expect(() => adamw({ learningRate: NaN })).toThrow(/adamw: 'learningRate'/);
  });
});
