import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { cosineSchedule, getLearningRate, setLearningRate, stepDecay, withWarmup } from '../../src/train';

const fx = JSON.parse(readFileSync(new URL('../fixtures/train/losses.json', import.meta.url), 'utf8')) as {
  schedules: Record<string, number[]>;
};

function expectSeq(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) =>
    expect(Math.abs(g - (want[i] as number))).toBeLessThan(1e-9 + 1e-6 * Math.abs(want[i] as number)),
  );
}

describe('learning-rate schedules match torch.optim.lr_scheduler', () => {
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  it('cosine with period 10 (001), annealing and warm restarts', () => {
    const s = fx.schedules;
    expectSeq(
      range(25).map(cosineSchedule({ baseLr: 1e-4, period: 10, minLr: 1e-6 })),
      s['cosine'] as number[],
    );
    expectSeq(
      range(25).map(cosineSchedule({ baseLr: 1e-4, period: 10, restarts: true })),
      s['cosineRestarts'] as number[],
    );
  });
  it('step decay halving (002) and linear warm-up', () => {
    const s = fx.schedules;
    expectSeq(range(13).map(stepDecay({ baseLr: 0.007, stepSize: 4 })), s['step'] as number[]);
    expectSeq(range(8).map(withWarmup(0.01, { epochs: 5, startFactor: 0.1 })), s['warmup'] as number[]);
    const w = withWarmup(stepDecay({ baseLr: 1, stepSize: 2 }), { epochs: 2 });
    expect([0, 1, 2, 3, 4, 5].map(w)).toEqual([0.1, 0.55, 1, 1, 0.5, 0.5]);
  });
  it('validates options', () => {
    expect(() => cosineSchedule({ baseLr: 1, period: 0 })).toThrow(/period/);
    expect(() => stepDecay({ baseLr: 1, stepSize: 1.5 })).toThrow(/stepSize/);
  });
});

describe('getLearningRate / setLearningRate', () => {
  it('changes the step actually taken by SGD and Adam', () => {
    for (const make of [
      () => tf.train.sgd(0.1),
      () => tf.train.adam(0.1),
      () => tf.train.rmsprop(0.1),
      () => tf.train.momentum(0.1, 0.9),
    ]) {
      const opt = make();
      expect(getLearningRate(opt)).toBeCloseTo(0.1);
      setLearningRate(opt, 0);
      expect(getLearningRate(opt)).toBe(0);
      const v = tf.variable(tf.scalar(1));
      const before = tf.memory().numTensors;
      opt.minimize(() => tf.square(v) as tf.Scalar);
      expect(v.dataSync()[0]).toBe(1); // lr 0: no movement
      setLearningRate(opt, 0.1);
      opt.minimize(() => tf.square(v) as tf.Scalar);
      expect(v.dataSync()[0]).toBeLessThan(1);
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 4); // optimizer slots only
      opt.dispose();
      v.dispose();
    }
  });
});
