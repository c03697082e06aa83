import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  MetricsAccumulator,
  MetricsCallback,
  aggregateSeries,
  evaluateScores,
  f1,
  rocAuc,
  type MetricName,
  METRIC_NAMES,
} from '../../src/metrics';
import { makeRng } from '../../src/util/random';

const ALL = METRIC_NAMES as readonly MetricName[];

function synthetic(n: number, k: number, seed: number): { y: number[]; s: number[][] } {
  const rng = makeRng(seed);
  const y: number[] = [];
  const s: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = rng.int(k);
    const z = Array.from({ length: k }, (_, j) => rng.normal() + (j === c ? 1.2 : 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    y.push(c);
    s.push(e.map((v) => v / sum));
  }
  return { y, s };
}

describe('MetricsAccumulator', () => {
  it('equals the one-shot computation for sigmoid, 2-class and 4-class scores', () => {
    for (const k of [1, 2, 4]) {
      const { y, s } = synthetic(97, Math.max(k, 2), 7 + k);
      const scores = k === 1 ? s.map((r) => [r[1] as number]) : s;
      const acc = new MetricsAccumulator();
      for (let b = 0; b < y.length; b += 16) acc.update(y.slice(b, b + 16), scores.slice(b, b + 16));
      expect(acc.count).toBe(97);
      const oneShot = evaluateScores(y, scores, ALL);
      expect(acc.compute()).toEqual(oneShot);
      if (k <= 2) {
        const pos = scores.map((r) => r[r.length - 1] as number);
        expect(oneShot.auc).toBe(rocAuc(y, pos));
        expect(oneShot.f1).toBe(
          f1(
            y,
            pos.map((p) => (p >= 0.5 ? 1 : 0)),
          ),
        );
      } else {
        expect(oneShot.auc).toBe(rocAuc(y, scores, { multiClass: 'ovr', average: 'macro' }));
      }
      const cm = acc.confusionMatrix();
      expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(97);
    }
  });

  it('accepts tensors (one-hot labels) without leaking', () => {
    const { y, s } = synthetic(40, 3, 3);
    const before = tf.memory().numTensors;
    const acc = new MetricsAccumulator({ metrics: ['accuracy', 'auc', 'f1'] });
    for (let b = 0; b < 40; b += 10) {
      const yt = tf.tidy(() => tf.oneHot(tf.tensor1d(y.slice(b, b + 10), 'int32'), 3));
      const st = tf.tensor2d(s.slice(b, b + 10));
      acc.update(yt, st);
      tf.dispose([yt, st]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(acc.compute()).toEqual(evaluateScores(y, s, ['accuracy', 'auc', 'f1']));
    acc.reset();
    expect(acc.count).toBe(0);
    expect(() => acc.compute()).toThrow(/no samples/);
  });

  it('reports an undefined AUC as NaN with a warning', () => {
    const warnings: string[] = [];
    const r = evaluateScores([1, 1, 1], [0.2, 0.7, 0.9], ['auc', 'accuracy'], {
      onWarning: (w) => warnings.push(w.metric),
    });
    expect(r.auc).toBeNaN();
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
    expect(warnings).toContain('auc');
  });
});

describe('aggregateSeries', () => {
  const scores = [0.9, 0.7, 0.2, 0.1, 0.4, 0.8, 0.3];
  const ids = ['a', 'a', 'b', 'b', 'c', 'c', 'c'];
  it('mean / max / vote over slices, in order of first appearance', () => {
    const mean = aggregateSeries(scores, ids, { yTrue: [1, 1, 0, 0, 1, 1, 1] });
    expect(mean.ids).toEqual(['a', 'b', 'c']);
    expect(mean.counts).toEqual([2, 2, 3]);
    expect(mean.scores[0]).toBeCloseTo(0.8, 12);
    expect(mean.scores[2]).toBeCloseTo(0.5, 12);
    expect(mean.predicted).toEqual([1, 0, 1]);
    expect(mean.yTrue).toEqual([1, 0, 1]);
    expect(aggregateSeries(scores, ids, { reduce: 'max' }).scores).toEqual([0.9, 0.2, 0.8]);
    const vote = aggregateSeries(scores, ids, { reduce: 'vote' });
    expect(vote.scores[2]).toBeCloseTo(1 / 3, 12);
    expect(vote.predicted).toEqual([1, 0, 0]);
    expect(f1(mean.yTrue!, mean.predicted)).toBe(1);
  });
  it('aggregates [n, K] rows and rejects inconsistent labels', () => {
    const rows = [
      [0.2, 0.8],
      [0.6, 0.4],
      [0.9, 0.1],
    ];
    const r = aggregateSeries(rows, [1, 1, 2], { reduce: 'vote' });
    expect(r.scores).toEqual([
      [0.5, 0.5],
      [1, 0],
    ]);
    expect(r.predicted).toEqual([0, 0]);
    expect(() => aggregateSeries(scores, ids, { yTrue: [1, 0, 0, 0, 1, 1, 1] })).toThrow(/series 'a'/);
    expect(() => aggregateSeries(scores, ids, { reduce: 'median' as 'mean' })).toThrow(/'reduce'/);
  });
});

describe('MetricsCallback', () => {
  it('adds val_auc and val_f1 to the fit logs and history', async () => {
    const rng = makeRng(11);
    const n = 64;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = rng.int(2);
      xs.push(rng.normal() + 2 * c, rng.normal());
      ys.push(c);
    }
    const x = tf.tensor2d(xs, [n, 2]);
    const y = tf.tensor2d(ys, [n, 1]);
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2], kernelInitializer: 'zeros' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.1), loss: 'binaryCrossentropy' });
    const cb = new MetricsCallback({ validationData: [x, y], metrics: ['auc', 'f1', 'ap'] });
    const seen: number[] = [];
    const after = new (class extends tfl.Callback {
      override async onEpochEnd(_e: number, logs?: tfl.Logs): Promise<void> {
        seen.push(logs?.val_auc as number);
      }
    })();
    const before = tf.memory().numTensors;
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [cb, after] });
    expect(h.history.val_auc).toHaveLength(3);
    expect(h.history.val_f1).toHaveLength(3);
    expect(h.history.val_ap).toHaveLength(3);
    expect(seen).toEqual(h.history.val_auc);
    const p = model.predict(x) as tf.Tensor;
    expect(h.history.val_auc![2]).toBe(rocAuc(ys, p));
    expect(cb.epochs[2]!.auc).toBe(h.history.val_auc![2]);
    expect(h.history.val_auc![2] as number).toBeGreaterThan(0.8);
    tf.dispose(p);
    // fit itself keeps optimizer state; the callback must not add tensors per epoch.
    const mid = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [cb] });
    expect(tf.memory().numTensors).toBe(mid);
    expect(mid).toBeGreaterThanOrEqual(before);
    tf.dispose([x, y]);
    model.dispose();
  });
  it('validates its options', () => {
    const x = tf.zeros([2, 2]);
    expect(() => new MetricsCallback({ validationData: [x, x], metrics: ['aucc' as 'auc'] })).toThrow(
      /'metrics'/,
    );
    expect(() => new MetricsCallback({ validationData: [x, x], metrics: [] })).toThrow(/'metrics'/);
    x.dispose();
  });
});
